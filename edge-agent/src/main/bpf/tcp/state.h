/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP connection lifecycle: connect (ok and failed), accept, close.
 *
 * Who owns a socket is known only in process context, so ownership is captured where the process
 * is current and keyed by the socket for the later, possibly softirq-context, state changes:
 *  - connect: sys_enter_connect stashes the fd per thread; inet_sock_set_state CLOSE->SYN_SENT runs
 *    inside connect(2) in that thread (tcp_v4/v6_connect) and records socket -> (tgid, fd).
 *    SYN_SENT->ESTABLISHED (often in softirq) finds the owner by socket and emits OPEN with the
 *    full 4-tuple (the source port is not yet chosen at SYN_SENT); SYN_SENT->CLOSE emits FAILED
 *    with sk_err (set by tcp_done_with_error before the state change).
 *  - accept: the new socket is already ESTABLISHED when accept(2) returns, so sys_exit_accept(4)
 *    resolves the returned fd to its struct sock through the task's fd table (CO-RE reads) and
 *    takes the tuple from the socket itself.
 *  - fork: a child's copies of tracked connections are tracked too, and the close of one copy
 *    while another lives is not a CLOSE (tcp/fork.h).
 *  - close: whichever comes first, close(2) of the tracked fd or the socket reaching TCP_CLOSE
 *    (reset, or the process exiting without close), emits CLOSE and forgets the connection, so a
 *    reused fd number never inherits the old connection.
 */
#ifndef PEREGRINE_TCP_STATE_H
#define PEREGRINE_TCP_STATE_H

/* tcp/fork.h: connections copied to a forked child */
static __always_inline void fork_note_tracker(__u32 tgid);
static __always_inline bool fork_close_copy(struct conn_key *key, struct conn *c, __u64 now);

/* Per thread, between sys_enter_connect and sys_exit_connect. */
struct connect_args {
	__u64 ts;
	__s32 fd;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct connect_args);
} connects SEC(".maps");

/*
 * The tuple from a tracepoint context that has sport/dport/family/saddr/daddr/saddr_v6/daddr_v6.
 * The address arrays are copied with a helper: a CO-RE-relocated array field is addressed as
 * ctx + offset, and the verifier refuses loads through a modified ctx pointer.
 */
#define ADDR_FROM_TP(a, c)                                                                        \
	do {                                                                                      \
		(a)->family = (c)->family;                                                        \
		(a)->local_port = (c)->sport;                                                     \
		(a)->remote_port = (c)->dport;                                                    \
		if ((a)->family == AF_INET) {                                                     \
			bpf_probe_read_kernel((a)->local, 4, (const void *)(c)->saddr);           \
			bpf_probe_read_kernel((a)->remote, 4, (const void *)(c)->daddr);          \
		} else {                                                                          \
			bpf_probe_read_kernel((a)->local, 16, (const void *)(c)->saddr_v6);       \
			bpf_probe_read_kernel((a)->remote, 16, (const void *)(c)->daddr_v6);      \
		}                                                                                 \
	} while (0)

/* The tuple of an established socket, read from sock_common. */
static __always_inline bool addr_from_sock(struct sock *sk, struct pg_addr *a)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	a->family = family;
	a->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	a->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(a->local, &l, 4);
		__builtin_memcpy(a->remote, &r, 4);
		return true;
	}
	if (family == AF_INET6 && bpf_core_field_exists(sk->__sk_common.skc_v6_daddr)) {
		BPF_CORE_READ_INTO(&a->local, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&a->remote, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		return true;
	}
	return false;
}

static __always_inline void tcp_metrics(__u64 skp, __u32 *srtt_us, __u32 *retransmits)
{
	struct tcp_sock *tp = (struct tcp_sock *)skp;
	*srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	*retransmits = BPF_CORE_READ(tp, total_retrans);
}

static __always_inline void emit_conn(struct pg_conn_rec *r, __u64 ts)
{
	fill_hdr(&r->hdr, PG_REC_CONN, sizeof(*r), ts);
	if (bpf_ringbuf_output(&events, r, sizeof(*r), wakeup_flags(sizeof(*r))))
		count(PG_CNT_RB_DROP_CONN);
	else
		count(PG_CNT_CONN_EMITTED);
}

/* Emits CLOSE for a tracked connection (and NO_RESPONSE for a request left waiting), then forgets
 * it. `c` must point into `conns` at `key`. */
static __always_inline void close_conn(struct conn_key *key, struct conn *c, __u8 tcp_state, __u64 now)
{
	struct pg_conn_rec r = {};
	__u64 sk = c->sk;

	l7_on_close(key, c, now); /* flushes an exchange in progress, frees the entry */
	if (c->flags & CONN_F_UDP) {
		bpf_map_delete_elem(&conns, key);
		return;
	}
	r.conn_id = c->id;
	r.pid = key->tgid;
	r.fd = key->fd;
	r.kind = PG_CONN_CLOSE;
	r.direction = c->direction;
	r.tcp_state = tcp_state;
	r.flags = c->flags & CONN_F_ADOPTED ? PG_CONN_F_ADOPTED : 0;
	r.addr = c->addr;
	r.bytes_sent = c->bytes_sent;
	r.bytes_received = c->bytes_received;
	tcp_metrics(sk, &r.srtt_us, &r.retransmits);
	emit_conn(&r, now);
	bpf_map_delete_elem(&conns, key);
	bpf_map_delete_elem(&socks, &sk);
}

static __always_inline void track(struct conn_key *key, __u64 sk, struct pg_addr *addr, __u8 direction,
				  __u64 id, __u8 flags)
{
	struct conn c = {};

	c.id = id;
	c.sk = sk;
	c.addr = *addr;
	c.direction = direction;
	c.flags = flags;
	/* Replaces whatever a reused fd number left behind; any request it had is dropped with it. */
	bpf_map_delete_elem(&inflight, key);
	mark_tracking(key->tgid); /* before the entry: the syscall probes test the bit first */
	if (bpf_map_update_elem(&conns, key, &c, BPF_ANY))
		count(PG_CNT_TRACK_FAILED);
	else
		fork_note_tracker(key->tgid);
}

/* The open file behind descriptor `fd` of the current process, or NULL. */
static __always_inline struct file *file_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file;

	if (!fdt || fd < 0 || (__u64)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* The socket behind descriptor `fd` of the current process, or NULL when it is not a socket. */
static __always_inline struct socket *socket_of_fd(long fd)
{
	struct file *file = file_of_fd(fd);
	struct socket *sock;

	if (!file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	/* Only a socket's file points back at it from its private data. */
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return NULL;
	return sock;
}

/*
 * DNS over UDP: a resolver (glibc, musl, Go, the JDK) connects a UDP socket to the name server's
 * port 53, writes the query and reads the answer. Such a socket is tracked like an outbound TCP
 * connection, so its exchanges pair the same way and reach user space as L7 records, which the
 * DNS decoder recognises; it emits no connection records (UDP has no connection to report).
 * Unconnected sendto(2) queries are not seen (resolvers connect, to reject spoofed answers).
 */
static __always_inline void track_dns_socket(__u32 tgid, __s32 fd)
{
	struct socket *sock = socket_of_fd(fd);
	struct conn_key key = { .tgid = tgid, .fd = fd };
	struct pg_addr addr = {};
	struct sock *sk;

	if (!sock || BPF_CORE_READ(sock, type) != SOCK_DGRAM)
		return;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_UDP)
		return;
	if (!addr_from_sock(sk, &addr) || addr.remote_port != 53)
		return;
	track(&key, (__u64)sk, &addr, PG_DIR_OUTBOUND, new_conn_id(), CONN_F_UDP);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int pg_sys_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct connect_args a = {};

	if (is_ignored(id >> 32))
		return 0;
	a.ts = bpf_ktime_get_ns();
	a.fd = (__s32)ctx->args[0];
	bpf_map_update_elem(&connects, &id, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int pg_sys_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct connect_args *a = bpf_map_lookup_elem(&connects, &id);

	/* TCP connects are tracked from their state changes; a UDP connect completes right here. */
	if (a && ctx->ret == 0)
		track_dns_socket(id >> 32, a->fd);
	bpf_map_delete_elem(&connects, &id);
	return 0;
}

static __always_inline int on_accept(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct socket *sock;
	struct sock *sk;
	struct pg_addr addr = {};
	struct conn_key key = {};
	struct sock_owner owner = {};
	struct pg_conn_rec r = {};
	__u64 skp, now;

	if (ret < 0 || is_ignored(tgid))
		return 0;
	sock = socket_of_fd(ret);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sock, type) != SOCK_STREAM)
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (!addr_from_sock(sk, &addr))
		return 0;

	skp = (__u64)sk;
	now = bpf_ktime_get_ns();
	key.tgid = tgid;
	key.fd = (__s32)ret;
	r.conn_id = new_conn_id();
	track(&key, skp, &addr, PG_DIR_INBOUND, r.conn_id, 0);
	owner.tgid = tgid;
	owner.fd = key.fd;
	owner.direction = PG_DIR_INBOUND;
	bpf_map_update_elem(&socks, &skp, &owner, BPF_ANY);

	r.pid = tgid;
	r.fd = key.fd;
	r.kind = PG_CONN_OPEN;
	r.direction = PG_DIR_INBOUND;
	r.tcp_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	r.addr = addr;
	tcp_metrics(skp, &r.srtt_us, &r.retransmits);
	emit_conn(&r, now);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int pg_sys_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int pg_sys_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_close")
int pg_sys_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct conn_key key = { .tgid = id >> 32, .fd = (__s32)ctx->args[0] };
	struct conn *c;
	struct sock *sk;
	__u8 state;

	if (!may_track(key.tgid))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	if (fork_close_copy(&key, c, bpf_ktime_get_ns()))
		return 0; /* a copy: the socket lives on in another process */
	/* Not inside BPF_CORE_READ: that would relocate c->sk against kernel BTF too. */
	sk = (struct sock *)c->sk;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	close_conn(&key, c, state, bpf_ktime_get_ns());
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int pg_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 skp = (__u64)ctx->skaddr;
	int oldstate = ctx->oldstate, newstate = ctx->newstate;
	struct sock_owner *o;
	__u64 now;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;

	if (oldstate == PG_TCP_CLOSE && newstate == PG_TCP_SYN_SENT) {
		/* Inside connect(2), in the connecting thread. */
		__u64 id = bpf_get_current_pid_tgid();
		struct connect_args *a = bpf_map_lookup_elem(&connects, &id);
		struct sock_owner owner = {};

		if (!a)
			return 0; /* not a connect(2) we watch (ignored process, TCP fast open, ...) */
		owner.tgid = id >> 32;
		owner.fd = a->fd;
		owner.connect_ts = a->ts;
		owner.direction = PG_DIR_OUTBOUND;
		if (bpf_map_update_elem(&socks, &skp, &owner, BPF_ANY))
			count(PG_CNT_TRACK_FAILED);
		return 0;
	}

	o = bpf_map_lookup_elem(&socks, &skp);
	if (!o)
		return 0;
	now = bpf_ktime_get_ns();

	if (oldstate == PG_TCP_SYN_SENT) {
		struct pg_conn_rec r = {};
		struct conn_key key = { .tgid = o->tgid, .fd = o->fd };

		ADDR_FROM_TP(&r.addr, ctx);
		r.pid = o->tgid;
		r.fd = o->fd;
		r.direction = PG_DIR_OUTBOUND;
		r.tcp_state = newstate;
		r.connect_ns = now - o->connect_ts;
		if (newstate == PG_TCP_ESTABLISHED) {
			r.kind = PG_CONN_OPEN;
			r.conn_id = new_conn_id();
			track(&key, skp, &r.addr, PG_DIR_OUTBOUND, r.conn_id, 0);
			tcp_metrics(skp, &r.srtt_us, &r.retransmits);
		} else if (newstate == PG_TCP_CLOSE) {
			r.kind = PG_CONN_FAILED;
			r.error = BPF_CORE_READ((struct sock *)skp, sk_err);
			bpf_map_delete_elem(&socks, &skp);
		} else {
			return 0;
		}
		emit_conn(&r, now);
		return 0;
	}

	if (newstate == PG_TCP_CLOSE) {
		struct conn_key key = { .tgid = o->tgid, .fd = o->fd };
		struct conn *c = bpf_map_lookup_elem(&conns, &key);

		if (c && c->sk == skp)
			close_conn(&key, c, PG_TCP_CLOSE, now);
		else
			bpf_map_delete_elem(&socks, &skp);
	}
	return 0;
}

#endif /* PEREGRINE_TCP_STATE_H */
