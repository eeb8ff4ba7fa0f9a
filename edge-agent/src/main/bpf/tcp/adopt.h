/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Adoption of the TCP connections that were already established when the sensor started (a
 * database pool, a Redis client, HTTP keep-alive): tcp/state.h learns a connection only at its
 * connect or accept, so without this they would show no L7 traffic until they reconnect.
 *
 * The loader runs this task_file iterator once its other programs are attached (so a connection
 * opened in between is seen by them; one seen by both is left as they track it), in two passes
 * over every open file of every process:
 *  1. listening TCP sockets: (network namespace, port) into `adopt_listens`;
 *  2. established TCP sockets: tracked as connect/accept would have (conns, socks, tracking_tgids),
 *     INBOUND when their local port is one their namespace listens on, else OUTBOUND, with
 *     CONN_F_ADOPTED, and a PG_CONN_ADOPTED record (not an OPEN: it opened before, at a time
 *     nobody knows; procfs reports such connections to the pipeline).
 * In the kernel rather than from /proc: the iterator hands over the struct sock itself, which
 * /proc/net/tcp shows only to root with kptr_restrict off, and without it close and state changes
 * could not find the connection; and it needs no inode matching across namespaces.
 *
 * Mid-exchange: an adopted connection starts with last_io IO_NONE and nothing in flight, so a
 * response to a request sent before adoption pairs with nothing and is dropped (l7_response needs
 * c->inflight); pairing is exact from the next request on. An HTTP/2 connection cannot be decoded
 * without its HPACK state from the preface on: an adopted one is recognised by its frames and
 * skipped (adopted_h2() in l7/pairing.h).
 */
#ifndef PEREGRINE_TCP_ADOPT_H
#define PEREGRINE_TCP_ADOPT_H

#define PG_TCP_LISTEN 10

/* Set by the loader before each run of the iterator: PG_ADOPT_* (records.h). */
__u32 adopt_pass = 0;

struct adopt_listen_key {
	__u32 netns; /* inode number of the network namespace */
	__u16 port;
	__u16 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct adopt_listen_key);
	__type(value, __u8);
} adopt_listens SEC(".maps");

static __always_inline __u32 netns_of(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

SEC("iter/task_file")
int pg_adopt(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct adopt_listen_key lk = {};
	struct conn_key key = {};
	struct sock_owner owner = {};
	struct pg_conn_rec r = {};
	struct pg_addr addr = {};
	struct socket *sock;
	struct conn *c;
	struct sock *sk;
	__u8 state, one = 1;
	__u64 skp;

	if (!task || !file)
		return 0;
	key.tgid = BPF_CORE_READ(task, tgid);
	key.fd = (__s32)ctx->fd;
	if (is_ignored(key.tgid))
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock || BPF_CORE_READ(sock, type) != SOCK_STREAM)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	lk.netns = netns_of(sk);

	if (adopt_pass == PG_ADOPT_LISTENS) {
		if (state == PG_TCP_LISTEN) {
			lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
			bpf_map_update_elem(&adopt_listens, &lk, &one, BPF_ANY);
		}
		return 0;
	}
	if (adopt_pass != PG_ADOPT_CONNS || state != PG_TCP_ESTABLISHED || !addr_from_sock(sk, &addr))
		return 0;
	skp = (__u64)sk;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c && c->sk == skp)
		return 0; /* opened since the probes were attached: already tracked, and exactly */
	if (bpf_map_lookup_elem(&socks, &skp))
		return 0; /* another process's copy of a tracked socket (tcp/fork.h) */

	lk.port = addr.local_port;
	r.direction = bpf_map_lookup_elem(&adopt_listens, &lk) ? PG_DIR_INBOUND : PG_DIR_OUTBOUND;
	r.conn_id = new_conn_id();
	track(&key, skp, &addr, r.direction, r.conn_id, CONN_F_ADOPTED);
	owner.tgid = key.tgid;
	owner.fd = key.fd;
	owner.direction = r.direction;
	bpf_map_update_elem(&socks, &skp, &owner, BPF_ANY);
	count(PG_CNT_ADOPTED);

	r.pid = key.tgid;
	r.fd = key.fd;
	r.kind = PG_CONN_ADOPTED;
	r.tcp_state = state;
	r.flags = PG_CONN_F_ADOPTED;
	r.addr = addr;
	tcp_metrics(skp, &r.srtt_us, &r.retransmits);
	emit_conn(&r, bpf_ktime_get_ns());
	return 0;
}

#endif /* PEREGRINE_TCP_ADOPT_H */
