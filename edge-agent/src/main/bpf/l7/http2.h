/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * HTTP/2 connections: chunks instead of pairs.
 *
 * Pairing (l7/pairing.h) assumes one exchange per turn of the conversation; HTTP/2 multiplexes
 * streams, interleaves their frames in both directions, and compresses headers with HPACK, whose
 * dynamic table is built from EVERY header block of the connection in order. So once a connection
 * shows the client preface ("PRI * HTTP/2.0", written by the client or read by the server, on the
 * socket or as TLS plaintext from the OpenSSL probes) it is marked CONN_F_H2, and from then on each
 * read/write ships its first bytes (up to PG_H2_MAX_CAPTURE) with its direction, time and a per-
 * connection sequence number as one struct pg_h2_rec. User space (io.peregrine.agent.l7.http2)
 * reassembles the frames, decodes the header blocks with one HPACK table per direction and ends
 * each stream at its END_STREAM. A call longer than the capture is cut; its total length lets user
 * space skip the missing bytes exactly when they lie inside a DATA frame (the usual case: bodies).
 *
 * Cost: other connections pay one flag test in l7_io; an HTTP/2 call costs one capture and one
 * ring-buffer record of its real size (a per-CPU scratch builds it, as l7_emit does). The capture
 * is larger than the request/response prefixes' (8 KiB, not cfg_capture_bytes): a prefix only
 * has to hold a request's first line, a chunk has to hold every frame header and header block of
 * the call, or user space loses the connection.
 */
#ifndef PEREGRINE_L7_HTTP2_H
#define PEREGRINE_L7_HTTP2_H

/* Per-CPU room to build a chunk: twice the capture, so that a variable offset below it plus a
 * variable length up to it provably stays inside (see capture_upto). */
struct h2_scratch {
	__u64 stash;
	__u8 out[sizeof(struct pg_h2_rec) + 2 * PG_H2_MAX_CAPTURE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct h2_scratch);
} h2_scratch_map SEC(".maps");

/* The preface was seen: chunks start here, numbered from 0; pairing stops. */
static __always_inline void h2_start(struct conn_key *key, struct conn *c)
{
	count(PG_CNT_HTTP2_CONNS);
	c->flags |= CONN_F_H2;
	c->h2_seq = 0;
	bpf_map_delete_elem(&inflight, key);
	c->inflight = 0;
}

/* Ships the first bytes of one call on an HTTP/2 connection. */
static __always_inline void h2_chunk(struct conn_key *key, struct conn *c, struct io_args *a, long ret,
				     bool is_write, __u64 now)
{
	__u32 zero = 0;
	struct h2_scratch *s = bpf_map_lookup_elem(&h2_scratch_map, &zero);
	struct pg_h2_rec *rec;
	__u64 want = ret < PG_H2_MAX_CAPTURE ? ret : PG_H2_MAX_CAPTURE;
	__u64 size;
	__u8 flags = 0;
	long got;

	if (!s)
		return;
	rec = (struct pg_h2_rec *)s->out;
	got = capture_upto(s->out + sizeof(*rec), a, want, PG_H2_MAX_CAPTURE);
	if (got < 0) {
		count(PG_CNT_CAPTURE_FAULT);
		flags |= PG_L7_F_CAPTURE_FAULT;
		got = 0;
	}
	got = launder(&s->stash, got, PG_H2_MAX_CAPTURE);
	if (c->flags & CONN_F_TLS)
		flags |= PG_L7_F_TLS;
	size = sizeof(*rec) + got;
	fill_hdr(&rec->hdr, PG_REC_H2, size, is_write ? a->enter_ts : now);
	rec->conn_id = c->id;
	rec->pid = key->tgid;
	rec->fd = key->fd;
	/* Numbered even when the ring is full, so user space sees the gap. */
	rec->seq = __sync_fetch_and_add(&c->h2_seq, 1);
	rec->len = got;
	rec->side = c->direction == PG_DIR_OUTBOUND ? PG_SIDE_CLIENT : PG_SIDE_SERVER;
	rec->is_write = is_write;
	rec->flags = flags;
	__builtin_memset(rec->_pad0, 0, sizeof(rec->_pad0));
	rec->total = ret;
	rec->end_ns = now;
	rec->addr = c->addr;
	if (bpf_ringbuf_output(&events, s->out, size, wakeup_flags(size)))
		count(PG_CNT_RB_DROP_L7);
}

#endif /* PEREGRINE_L7_HTTP2_H */
