/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Socket data syscalls: read/write, recvfrom/sendto, readv/writev, recvmsg/sendmsg.
 *
 * Cost model: every one of these syscalls on the host runs the entry and exit programs, whose first
 * act is a bit test in `tracking_tgids`: processes that never had a tracked connection leave
 * there. Then one hash lookup of (tgid, fd) in `conns`: file and pipe I/O misses and leaves. Only
 * tracked sockets stash arguments, and only the first call after a direction change copies
 * payload.
 * Per-syscall tracepoints fire for their own syscall only (raw_syscalls would run for all).
 */
#ifndef PEREGRINE_L7_SYSCALLS_H
#define PEREGRINE_L7_SYSCALLS_H

static __always_inline void tls_note_fd(__u64 id, __s32 fd); /* l7/tls.h */

static __always_inline void io_enter(__s32 fd, __u64 ptr, __u32 iovcnt, __u64 count)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct conn_key key = { .tgid = id >> 32, .fd = fd };
	struct io_args a = {}, *p;

	if (!may_track(key.tgid) || !bpf_map_lookup_elem(&conns, &key))
		return;
	tls_note_fd(id, fd);
	a.ptr = ptr;
	a.enter_ts = bpf_ktime_get_ns();
	a.fd = fd;
	a.iovcnt = iovcnt;
	a.count = count;
	a.live = 1;
	p = bpf_map_lookup_elem(&io_stash, &id);
	if (p)
		*p = a; /* only this thread writes its entry */
	else
		bpf_map_update_elem(&io_stash, &id, &a, BPF_ANY);
}

/* sendmsg/recvmsg: the iovec array is behind the user's msghdr. */
static __always_inline void io_enter_msg(__s32 fd, __u64 msg)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct conn_key key = { .tgid = id >> 32, .fd = fd };
	struct user_msghdr m;

	if (!may_track(key.tgid) || !bpf_map_lookup_elem(&conns, &key))
		return;
	if (bpf_probe_read_user(&m, sizeof(m), (const void *)msg)) {
		count(PG_CNT_CAPTURE_FAULT);
		return;
	}
	/* iovcnt 0 would mean "plain buffer" to capture(); a message without iovecs has no payload. */
	if (m.msg_iovlen == 0)
		return;
	io_enter(fd, (__u64)m.msg_iov, m.msg_iovlen > PG_MAX_IOV ? PG_MAX_IOV : m.msg_iovlen, 0);
}

/*
 * One data transfer of `ret` bytes on a tracked connection, in plaintext: the pairing state
 * machine. Called for socket syscalls, and for TLS connections from the SSL_read/SSL_write probes
 * (l7/tls.h) with the library's plaintext buffer.
 */
static __always_inline void l7_io(struct conn_key *key, struct conn *c, struct io_args *a, long ret,
				  bool is_write)
{
	bool request_dir;
	__u64 now;
	__u8 io = is_write ? IO_WRITE : IO_READ;

	now = bpf_ktime_get_ns();
	if (c->flags & CONN_F_H2) {
		/* Multiplexed: every call goes to user space, which follows the streams. */
		h2_chunk(key, c, a, ret, is_write, now);
		return;
	}
	/* The client writes requests and reads responses; the server the other way round. */
	request_dir = (c->direction == PG_DIR_OUTBOUND) == is_write;
	if (c->last_io == io) {
		if (c->inflight) {
			if (request_dir)
				l7_request_more(key, c, a, ret);
			else
				l7_response_more(key, c, a, ret, now);
		}
		return;
	}
	c->last_io = io;
	if (c->flags & CONN_F_SKIP)
		return;
	if (request_dir)
		/* A write starts when it is called; a read's request starts when its bytes arrived. */
		l7_request(key, c, a, ret, is_write ? a->enter_ts : now, now);
	else if (c->inflight)
		l7_response(key, c, a, ret, now);
}

static __always_inline int io_exit(long ret, bool is_write)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct io_args *stashed;
	struct conn_key key = {};
	struct io_args a;
	struct conn *c;

	if (!may_track(id >> 32))
		return 0; /* io_enter stashed nothing */
	stashed = bpf_map_lookup_elem(&io_stash, &id);
	if (!stashed || !stashed->live)
		return 0;
	a = *stashed;
	stashed->live = 0;
	if (ret <= 0)
		return 0; /* error, EAGAIN or EOF: nothing moved */
	key.tgid = id >> 32;
	key.fd = a.fd;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0; /* closed meanwhile by another thread */

	if (is_write)
		__sync_fetch_and_add(&c->bytes_sent, ret);
	else
		__sync_fetch_and_add(&c->bytes_received, ret);
	/* Ciphertext of a connection whose plaintext the TLS probes see: counted, not paired. */
	if (c->flags & CONN_F_TLS)
		return 0;
	l7_io(&key, c, &a, ret, is_write);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int pg_sys_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	io_enter((__s32)ctx->args[0], ctx->args[1], 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_write")
int pg_sys_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, true);
}

SEC("tracepoint/syscalls/sys_enter_read")
int pg_sys_enter_read(struct trace_event_raw_sys_enter *ctx)
{
	io_enter((__s32)ctx->args[0], ctx->args[1], 0, ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_read")
int pg_sys_exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, false);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int pg_sys_enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	io_enter((__s32)ctx->args[0], ctx->args[1], 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_sendto")
int pg_sys_exit_sendto(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, true);
}

/* recv(2) flag: the data stays queued, the next read returns it again (nginx peeks at the first
 * byte of a connection to tell TLS from plain HTTP). A peek is neither counted nor captured. */
#define PG_MSG_PEEK 0x2

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int pg_sys_enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[3] & PG_MSG_PEEK)
		return 0;
	io_enter((__s32)ctx->args[0], ctx->args[1], 0, ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int pg_sys_exit_recvfrom(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, false);
}

SEC("tracepoint/syscalls/sys_enter_writev")
int pg_sys_enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	__u64 n = ctx->args[2];

	if (n)
		io_enter((__s32)ctx->args[0], ctx->args[1], n > PG_MAX_IOV ? PG_MAX_IOV : n, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_writev")
int pg_sys_exit_writev(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, true);
}

SEC("tracepoint/syscalls/sys_enter_readv")
int pg_sys_enter_readv(struct trace_event_raw_sys_enter *ctx)
{
	__u64 n = ctx->args[2];

	if (n)
		io_enter((__s32)ctx->args[0], ctx->args[1], n > PG_MAX_IOV ? PG_MAX_IOV : n, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_readv")
int pg_sys_exit_readv(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, false);
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int pg_sys_enter_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	io_enter_msg((__s32)ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_sendmsg")
int pg_sys_exit_sendmsg(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, true);
}

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int pg_sys_enter_recvmsg(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[2] & PG_MSG_PEEK)
		return 0;
	io_enter_msg((__s32)ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int pg_sys_exit_recvmsg(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret, false);
}

/*
 * sendmmsg(2): resolvers send the A and AAAA queries in one call. The first message is captured as
 * the request; the call returns a message count, so the byte count comes from that message's
 * msg_len, which the kernel fills in.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid */
	__type(value, __u64); /* struct mmsghdr * in user memory */
} mmsg_vecs SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int pg_sys_enter_sendmmsg(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 vec = ctx->args[1];
	struct conn_key key = { .tgid = id >> 32, .fd = (__s32)ctx->args[0] };

	if (!ctx->args[2] || !may_track(key.tgid) || !bpf_map_lookup_elem(&conns, &key))
		return 0;
	/* struct mmsghdr begins with the first message's struct user_msghdr. */
	io_enter_msg(key.fd, vec);
	bpf_map_update_elem(&mmsg_vecs, &id, &vec, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_sendmmsg")
int pg_sys_exit_sendmmsg(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *vec;
	__u32 len = 0;

	if (!may_track(id >> 32))
		return 0;
	vec = bpf_map_lookup_elem(&mmsg_vecs, &id);
	if (!vec)
		return 0;
	if (ctx->ret >= 1 &&
	    bpf_probe_read_user(&len, sizeof(len), (const void *)(*vec + __builtin_offsetof(struct mmsghdr, msg_len))))
		len = 0;
	bpf_map_delete_elem(&mmsg_vecs, &id);
	return io_exit(len, true);
}

#endif /* PEREGRINE_L7_SYSCALLS_H */
