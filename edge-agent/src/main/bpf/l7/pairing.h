/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Request/response pairing in the kernel, so that one record per request reaches user space.
 *
 * A request/response protocol alternates directions on a connection. The first payload call after
 * a direction change starts a message: in the request direction (the client writes, the server
 * reads) it starts a request, whose first bytes and start time wait in `inflight`; in the other
 * direction it starts the response. Later calls in the same direction add to byte counts and copy
 * nothing, except while the prefix is shorter than PG_MIN_PREFIX (a peer reading a 4-byte length
 * first, or a header byte by byte) and the 5-byte tail of a chunked HTTP response.
 *
 * When is the pair emitted?
 *  - HTTP/1.x: when the response is complete, so latency and response size cover the whole
 *    response (a server that writes headers and body separately, delayed by Nagle and delayed
 *    ACKs, makes the client wait ~40 ms for the body; time-to-first-byte would report 0.3 ms).
 *    Complete means: headers + Content-Length bytes seen; the zero-size chunk of a chunked body;
 *    the headers of a response without body (HEAD, 1xx, 204, 304). A response whose end the
 *    kernel cannot tell (no length, headers beyond the capture) ends at the next request or close.
 *    A 1xx interim response (100 Continue) does not end the exchange.
 *  - Other protocols: at the response's first bytes (Coroot's model): latency is time to the first
 *    response chunk, exact for responses that fit one read. Unless that chunk is short AND filled
 *    the reader's buffer (it asked for exactly that many bytes: a length prefix): then more is
 *    coming, and the pair waits for PG_MIN_PREFIX bytes or a read that drains what was there.
 *
 * Known limits (pairing by direction): pipelined protocols (Redis pipelines, Kafka with several
 * requests in flight) pair per turn: one record whose prefixes hold several requests and replies,
 * which user space splits where its decoder can (Redis, PostgreSQL); TLS ciphertext is recognised
 * and skipped (the TLS probes pair its plaintext); HTTP/2 is recognised and handed to l7/http2.h,
 * which ships every call as a chunk instead.
 */
#ifndef PEREGRINE_L7_PAIRING_H
#define PEREGRINE_L7_PAIRING_H

/* A prefix shorter than this keeps growing from later calls in the same direction. */
#define PG_MIN_PREFIX 64

/*
 * Emits the pair: the fixed record, the request prefix kept in `r`, then resp_len bytes of `resp`.
 * The record is built in the per-CPU scratch and copied once into the ring with its real size: a
 * GET costs a few hundred bytes of ring, not two full captures.
 */
static __always_inline void l7_emit(struct scratch *s, struct conn_key *key, struct conn *c,
				    struct inflight_req *r, const __u8 *resp, __u64 resp_len,
				    __u8 flags, __u64 end_ts)
{
	struct pg_l7_rec *rec = (struct pg_l7_rec *)s->out;
	__u64 req_len = r->len;
	__u64 size;

	if (r->protocol == PG_PROTO_UNKNOWN && !cfg_capture_unknown)
		return;
	if (req_len > PG_MAX_CAPTURE)
		req_len = PG_MAX_CAPTURE;
	if (resp_len > PG_MAX_CAPTURE)
		resp_len = PG_MAX_CAPTURE;
	size = sizeof(*rec) + req_len + resp_len;
	flags |= r->flags;
	if (c->flags & CONN_F_TLS)
		flags |= PG_L7_F_TLS;
	if (r->request_bytes > req_len)
		flags |= PG_L7_F_REQ_TRUNCATED;
	if (r->response_bytes > resp_len)
		flags |= PG_L7_F_RESP_TRUNCATED;

	fill_hdr(&rec->hdr, PG_REC_L7, size, r->start_ts);
	rec->conn_id = c->id;
	rec->pid = key->tgid;
	rec->fd = key->fd;
	rec->protocol = r->protocol;
	rec->side = c->direction == PG_DIR_OUTBOUND ? PG_SIDE_CLIENT : PG_SIDE_SERVER;
	rec->method = r->method;
	rec->flags = flags;
	rec->status = r->status;
	rec->req_len = req_len;
	rec->resp_len = resp_len;
	rec->_pad0 = 0;
	rec->_pad1 = 0;
	rec->addr = c->addr;
	rec->latency_ns = end_ts - r->start_ts;
	rec->request_bytes = r->request_bytes;
	rec->response_bytes = r->response_bytes;
	/* Kernel-to-kernel copies between map values; on the impossible failure the helper zeroes
	 * the destination, so the record stays well-formed. */
	bpf_probe_read_kernel(s->out + sizeof(*rec), req_len, r->payload);
	bpf_probe_read_kernel(s->out + sizeof(*rec) + req_len, resp_len, resp);
	if (bpf_ringbuf_output(&events, s->out, size, wakeup_flags(size)))
		count(PG_CNT_RB_DROP_L7);
	else
		count(PG_CNT_L7_EMITTED);
}

/* The exchange is over (emitted or abandoned); the entry stays for the connection's next one. */
static __always_inline void l7_done(struct conn *c, struct inflight_req *r)
{
	r->state = REQ_IDLE;
	c->inflight = 0;
}

/* Emits what `inflight` holds for the connection, as it stands: a response in progress ends at
 * its latest byte; a request that never got one is reported as such. */
static __always_inline void l7_flush(struct conn_key *key, struct conn *c, struct inflight_req *r, __u64 now)
{
	struct scratch *s = get_scratch();

	if (s) {
		if (r->state == REQ_RESPONDING)
			l7_emit(s, key, c, r, r->resp_payload, r->resp_len, 0, r->resp_end_ts);
		else if (r->state == REQ_WAITING)
			l7_emit(s, key, c, r, s->cap, 0, PG_L7_F_NO_RESPONSE, now);
	}
	l7_done(c, r);
}

/* The connection closes: flush what waits. */
static __always_inline void l7_on_close(struct conn_key *key, struct conn *c, __u64 now)
{
	struct inflight_req *r = bpf_map_lookup_elem(&inflight, key);

	if (r) {
		l7_flush(key, c, r, now);
		bpf_map_delete_elem(&inflight, key);
	}
	c->inflight = 0;
}

/*
 * An HTTP/2 connection adopted after its preface (tcp/adopt.h): the call starts with a frame
 * header (24-bit length, type up to CONTINUATION, reserved bit clear) whose frame fits the call.
 * HTTP/1.x, RESP, PostgreSQL and MySQL requests fail the type or the length test.
 */
static __always_inline bool adopted_h2(struct conn *c, const __u8 *p, long len)
{
	__u32 frame;

	if (!(c->flags & CONN_F_ADOPTED) || len < 9)
		return false;
	frame = ((__u32)p[0] << 16 | (__u32)p[1] << 8 | p[2]) + 9;
	return p[3] <= 0x9 && !(p[5] & 0x80) && frame <= (__u32)len;
}

/*
 * Ciphertext: stop looking at this connection. HTTP/2, whose frames direction pairing cannot
 * follow: from now on its calls go out as chunks (l7/http2.h), this one first. True for both.
 */
static __always_inline bool skip_if_undecodable(struct conn_key *key, struct conn *c, const __u8 *p, long len)
{
	if (is_http2_preface(p, len)) {
		h2_start(key, c);
		return true;
	}
	if (adopted_h2(c, p, len)) {
		c->flags |= CONN_F_SKIP; /* no HPACK state: its header names cannot be decoded */
		bpf_map_delete_elem(&inflight, key);
		c->inflight = 0;
		return true;
	}
	if (!is_tls(p, len))
		return false;
	count(PG_CNT_TLS_SKIPPED);
	c->flags |= CONN_F_SKIP;
	bpf_map_delete_elem(&inflight, key); /* nothing more will be paired here */
	c->inflight = 0;
	return true;
}

/* First call in the request direction after a direction change. */
static __always_inline void l7_request(struct conn_key *key, struct conn *c, struct io_args *a,
				       long ret, __u64 start_ts, __u64 now)
{
	struct inflight_req *r = bpf_map_lookup_elem(&inflight, key);
	struct scratch *s;
	__u64 want = ret < cfg_capture_bytes ? ret : cfg_capture_bytes;
	__u8 flags = 0;
	long got;

	if (r) {
		if (r->state == REQ_WAITING && r->interim) {
			/* After "100 Continue" the client sends the body: still the same request. */
			r->interim = 0;
			__sync_fetch_and_add(&r->request_bytes, ret);
			return;
		}
		if (r->state == REQ_RESPONDING)
			l7_flush(key, c, r, now); /* its end is this turn of the conversation */
		else if (r->state == REQ_WAITING)
			count(PG_CNT_REQ_REPLACED); /* it never saw a response */
	} else {
		/* The connection's first exchange: insert its entry once (any content; every field
		 * is set below before the entry counts as in use). */
		s = get_scratch();
		if (!s)
			return;
		s->req.state = REQ_IDLE;
		if (bpf_map_update_elem(&inflight, key, &s->req, BPF_NOEXIST)) {
			count(PG_CNT_INFLIGHT_FAILED);
			return;
		}
		r = bpf_map_lookup_elem(&inflight, key);
		if (!r)
			return;
	}
	c->inflight = 0;
	r->state = REQ_IDLE;

	s = get_scratch();
	if (!s)
		return;
	got = capture(r->payload, a, want);
	if (got < 0) {
		count(PG_CNT_CAPTURE_FAULT);
		flags |= PG_L7_F_CAPTURE_FAULT;
		got = 0;
	}
	got = launder(&s->stash, got, PG_MAX_CAPTURE);
	if (skip_if_undecodable(key, c, r->payload, got)) {
		if (c->flags & CONN_F_H2) /* the call that carries the preface is chunk 0 */
			h2_chunk(key, c, a, ret, c->direction == PG_DIR_OUTBOUND, now);
		return;
	}
	r->method = http_method(r->payload, got);
	r->protocol = r->method != PG_HTTP_NONE ? PG_PROTO_HTTP : PG_PROTO_UNKNOWN;
	/* A short prefix may still turn out to be HTTP once it grows (see l7_request_more). */
	if (r->protocol == PG_PROTO_UNKNOWN && !cfg_capture_unknown && got >= PG_MIN_PREFIX)
		return;
	r->start_ts = start_ts;
	r->request_bytes = ret;
	r->response_bytes = 0;
	r->resp_end_ts = 0;
	r->resp_expected = 0;
	r->status = 0;
	r->len = got;
	r->resp_len = 0;
	r->flags = flags;
	r->chunked = 0;
	r->interim = 0;
	r->state = REQ_WAITING;
	c->inflight = 1;
}

/*
 * Appends the start of the call's data (its buffer, or its first iovec) to a short prefix: `base`
 * holds `len` < PG_MIN_PREFIX bytes; returns the new length.
 */
static __always_inline __u64 prefix_append(__u8 *base, __u64 len, const struct io_args *a, long ret)
{
	const void *src = (const void *)a->ptr;
	__u64 n = ret, room;

	if (len >= PG_MIN_PREFIX || len >= cfg_capture_bytes)
		return len;
	room = cfg_capture_bytes - len;
	if (a->iovcnt) {
		struct iovec iov;

		if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)a->ptr))
			return len;
		src = iov.iov_base;
		if (iov.iov_len < n)
			n = iov.iov_len;
	}
	if (n > room)
		n = room;
	/* For the verifier: base may be the last field of its map value, so offset + size must stay
	 * within PG_MAX_CAPTURE of it. It costs at most PG_MIN_PREFIX bytes of a long append. */
	if (n > PG_MAX_CAPTURE - PG_MIN_PREFIX)
		n = PG_MAX_CAPTURE - PG_MIN_PREFIX;
	/* len < PG_MIN_PREFIX: the mask changes nothing but bounds the offset for the verifier. */
	if (bpf_probe_read_user(base + (len & (PG_MIN_PREFIX - 1)), n, src))
		return len;
	return len + n;
}

/* A later call in the request direction: counted, and appended while the prefix is short. */
static __always_inline void l7_request_more(struct conn_key *key, struct conn *c, struct io_args *a, long ret)
{
	struct inflight_req *r = bpf_map_lookup_elem(&inflight, key);
	__u64 len;

	if (!r || r->state != REQ_WAITING)
		return;
	__sync_fetch_and_add(&r->request_bytes, ret);
	if (r->len >= PG_MIN_PREFIX)
		return;
	len = prefix_append(r->payload, r->len, a, ret);
	r->len = len;
	/* HTTP/2 recognised only now (the preface came in pieces): user space gets chunks from the
	 * next call on, without the preface, and will not trust that connection's frames. */
	if (skip_if_undecodable(key, c, r->payload, len))
		return;
	if (r->protocol == PG_PROTO_UNKNOWN) {
		r->method = http_method(r->payload, len);
		if (r->method != PG_HTTP_NONE)
			r->protocol = PG_PROTO_HTTP;
	}
}

/* Has the HTTP response in `r` ended with this call (whose data is `ret` bytes)? */
static __always_inline bool http_response_done(struct inflight_req *r, struct io_args *a, long ret)
{
	__u8 tail[5];

	if (r->resp_expected)
		return r->response_bytes >= r->resp_expected;
	if (r->chunked)
		return read_tail5(a, ret, tail) && is_last_chunk_tail(tail);
	return false;
}

/*
 * Reads the HTTP status and framing from the response head in s->cap[0, len). Returns false when
 * the head is a 1xx interim response (the exchange goes on) and true otherwise.
 */
static __always_inline bool http_response_head(struct scratch *s, struct conn *c, struct inflight_req *r, long len)
{
	struct http_body body;

	r->status = http_status(s->cap, len);
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		r->interim = 1; /* the final response is still to come */
		r->status = 0;
		r->response_bytes = 0;
		return false;
	}
	if (r->status == 101)
		c->flags |= CONN_F_SKIP; /* switched protocols (WebSocket ...): no longer HTTP/1.x */
	http_body_info(s, len, r->method, r->status, &body);
	r->resp_expected = body.expected;
	r->chunked = body.chunked;
	return true;
}

/* First call in the response direction after a direction change. */
static __always_inline void l7_response(struct conn_key *key, struct conn *c, struct io_args *a,
					long ret, __u64 now)
{
	struct inflight_req *r = bpf_map_lookup_elem(&inflight, key);
	struct scratch *s;
	__u64 want = ret < cfg_capture_bytes ? ret : cfg_capture_bytes;
	__u8 flags = 0;
	bool more;
	long got;

	if (!r) {
		c->inflight = 0; /* evicted from the LRU */
		return;
	}
	if (r->state != REQ_WAITING)
		return;
	s = get_scratch();
	if (!s) {
		l7_done(c, r);
		return;
	}
	got = capture(s->cap, a, want);
	if (got < 0) {
		count(PG_CNT_CAPTURE_FAULT);
		flags |= PG_L7_F_CAPTURE_FAULT;
		got = 0;
	}
	got = launder(&s->stash, got, PG_MAX_CAPTURE);
	r->response_bytes = ret;
	r->resp_end_ts = now;
	/* A short first chunk that filled the reader's buffer: a length prefix read on its own. */
	more = got < PG_MIN_PREFIX && a->count && ret == a->count;

	if (r->protocol == PG_PROTO_HTTP) {
		if (got >= 12) {
			if (!http_response_head(s, c, r, got))
				return; /* 1xx */
			/* Status 0 here: not an HTTP response after all; it goes out as it is. */
			more = r->status != 0 && r->status != 101 && !http_response_done(r, a, ret);
		} else {
			more = true; /* the status line is still to come */
		}
	}
	if (!more) {
		l7_emit(s, key, c, r, s->cap, got, flags, now);
		l7_done(c, r);
		return;
	}
	/* Keep the response's first bytes until its end shows up. */
	if (got > PG_MAX_CAPTURE)
		got = PG_MAX_CAPTURE;
	bpf_probe_read_kernel(r->resp_payload, got, s->cap);
	r->resp_len = got;
	r->flags |= flags;
	r->state = REQ_RESPONDING;
}

/* A later call in the response direction: counted, appended while the prefix is short, and the
 * pair emitted if this call ends the response. */
static __always_inline void l7_response_more(struct conn_key *key, struct conn *c, struct io_args *a,
					     long ret, __u64 now)
{
	struct inflight_req *r = bpf_map_lookup_elem(&inflight, key);
	struct scratch *s;
	__u64 len;

	if (!r || r->state != REQ_RESPONDING)
		return;
	r->response_bytes += ret;
	r->resp_end_ts = now;
	len = r->resp_len;
	if (len < PG_MIN_PREFIX) {
		len = prefix_append(r->resp_payload, len, a, ret);
		r->resp_len = len;
		if (r->protocol != PG_PROTO_HTTP) {
			/* Enough to decode, or the reader drained what was there: the response is in. */
			if (len >= PG_MIN_PREFIX || !a->count || ret < a->count)
				l7_flush(key, c, r, now);
			return;
		}
		if (r->status == 0 && len >= 12) {
			s = get_scratch();
			if (!s)
				return;
			len = launder(&s->stash, len, PG_MAX_CAPTURE);
			bpf_probe_read_kernel(s->cap, len, r->resp_payload);
			if (!http_response_head(s, c, r, len)) {
				r->state = REQ_WAITING; /* 1xx: wait for the final response */
				r->resp_len = 0;
				return;
			}
			if (r->status == 101) {
				l7_flush(key, c, r, now);
				return;
			}
		}
	}
	if (r->protocol == PG_PROTO_HTTP && r->status != 0 && http_response_done(r, a, ret))
		l7_flush(key, c, r, now);
}

#endif /* PEREGRINE_L7_PAIRING_H */
