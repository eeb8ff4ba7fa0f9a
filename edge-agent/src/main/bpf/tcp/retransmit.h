/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP retransmissions. The tracepoint usually runs in softirq or timer context, so the owner comes
 * from the socket map; a socket the sensor does not track (opened before it started, or by an
 * ignored process) is still reported, with pid 0 and fd -1: retransmits are a host-level signal.
 */
#ifndef PEREGRINE_TCP_RETRANSMIT_H
#define PEREGRINE_TCP_RETRANSMIT_H

/*
 * The tracepoint's context changed type name across kernels (the shared tcp_event_sk_skb class
 * until 6.x, its own tcp_retransmit_skb class since it gained `err`); the fields read here kept
 * their names. Local flavours of both, resolved by CO-RE at load time: the branch for the type the
 * running kernel lacks is dead and removed by the verifier.
 */
struct trace_event_raw_tcp_retransmit_skb___pg {
	const void *skaddr;
	int state;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_event_sk_skb___pg {
	const void *skaddr;
	int state;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
} __attribute__((preserve_access_index));

#define PG_RETRANSMIT_FIELDS(c, skp, r)                                                            \
	do {                                                                                       \
		skp = (__u64)(c)->skaddr;                                                          \
		(r)->tcp_state = (c)->state;                                                       \
		ADDR_FROM_TP(&(r)->addr, c);                                                       \
	} while (0)

SEC("tracepoint/tcp/tcp_retransmit_skb")
int pg_tcp_retransmit_skb(void *ctx)
{
	struct pg_conn_rec r = {};
	struct sock_owner *o;
	__u64 skp;

	if (bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb___pg)) {
		struct trace_event_raw_tcp_retransmit_skb___pg *c = ctx;
		PG_RETRANSMIT_FIELDS(c, skp, &r);
	} else {
		struct trace_event_raw_tcp_event_sk_skb___pg *c = ctx;
		PG_RETRANSMIT_FIELDS(c, skp, &r);
	}
	r.kind = PG_CONN_RETRANSMIT;
	r.fd = -1;
	o = bpf_map_lookup_elem(&socks, &skp);
	if (o) {
		struct conn_key key = { .tgid = o->tgid, .fd = o->fd };
		struct conn *c = bpf_map_lookup_elem(&conns, &key);

		r.pid = o->tgid;
		r.fd = o->fd;
		r.direction = o->direction;
		if (c && c->sk == skp)
			r.conn_id = c->id;
	}
	tcp_metrics(skp, &r.srtt_us, &r.retransmits);
	emit_conn(&r, bpf_ktime_get_ns());
	return 0;
}

#endif /* PEREGRINE_TCP_RETRANSMIT_H */
