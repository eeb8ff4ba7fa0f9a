/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where an HTTP/1.x response ends, from its captured head: header end, Content-Length, chunked
 * Transfer-Encoding, one pass.
 *
 * Verifier budget is the design constraint here. The pass is a bpf_loop (Linux 5.17+) whose step
 * the verifier checks once; as a bounded loop, or unrolled, over a 1 KiB head and inlined into the
 * eight syscall programs, it blew past the million-instruction budget. And the step keeps ALL its
 * state in the per-CPU scratch map, not on the stack: the verifier tracks stack values, so a
 * stack-held window or counter changes its state on every iteration and it must iterate the
 * callback until the ranges converge, once per caller state; map memory is untracked, so the step
 * verifies in one or two passes. Header names are matched with two byte windows and one folded
 * compare each.
 */
#ifndef PEREGRINE_L7_HTTP_BODY_H
#define PEREGRINE_L7_HTTP_BODY_H

/* Where an HTTP/1.x response ends, as far as its first bytes tell. */
struct http_body {
	__u64 expected; /* response bytes up to its end: headers + Content-Length; 0 when unknown */
	__u8 chunked;   /* Transfer-Encoding ends in chunked: the end is the zero-size chunk */
};

struct head_scan_ctx {
	struct scratch *s;
};

/* One byte of the scan; returns 1 when the scan is over. */
static __always_inline long head_scan_byte(struct scratch *s, struct head_scan *x)
{
	__u64 i = x->pos; /* from map memory: no range the verifier carries from byte to byte */
	__u8 c;

	if (i >= x->end)
		return 1;
	x->pos = i + 1;
	c = s->cap[i & (PG_MAX_CAPTURE - 1)];
	if (c == '\r' || c == '\n') {
		/* End of a line: a Transfer-Encoding value ends in "chunked" (the last coding;
		 * "chunked, gzip" is not chunked framing). */
		if (x->field == HEAD_FIELD_CODING)
			x->chunked = (x->low & 0x00ffffffffffffffULL) == PG_W8(0, 'c', 'h', 'u', 'n', 'k', 'e', 'd');
		x->field = HEAD_FIELD_NONE;
	} else if (x->field == HEAD_FIELD_LENGTH) {
		if (c >= '0' && c <= '9' && x->length < 100000000000000ULL)
			x->length = x->length * 10 + (c - '0');
		else if (c != ' ' && c != '\t')
			x->bad_length = 1;
	}
	x->raw = (x->raw << 8) | c;
	x->low2 = (x->low2 << 8) | (x->low >> 56);
	x->low = (x->low << 8) | (c | 0x20);
	if ((x->raw & 0xffffffff) == PG_W8(0, 0, 0, 0, '\r', '\n', '\r', '\n')) {
		x->header_end = i + 1;
		return 1;
	}
	if (x->field == HEAD_FIELD_NONE) {
		if (PG_FOLD(x->low2, x->low) == PG_CONTENT_LENGTH) {
			x->field = HEAD_FIELD_LENGTH;
			x->have_length = 1;
			x->length = 0;
		} else if (PG_FOLD(x->low2, x->low) == PG_TRANSFER_ENCODING) {
			x->field = HEAD_FIELD_CODING;
			x->chunked = 0;
		}
	}
	return 0;
}

/* Bytes per bpf_loop step. The scan of nginx's ~150-byte response head was ~2 us of the 2.9 us
 * of its writev exit program at one byte per call (bpf_stats, versus a build without the scan);
 * two bytes per call cut ~0.6 us there and in the client's read. Each byte more per call costs
 * the verifier far more than linearly (processed insns for an exit program: 25k at 1, 44k at 2,
 * 135k at 4, 526k at 8), so it stays at 2. */
#define HEAD_SCAN_STRIDE 2

static long head_scan_step(__u64 n, void *ctx)
{
	struct scratch *s = ((struct head_scan_ctx *)ctx)->s;
	struct head_scan *x = &s->scan;

#pragma unroll
	for (int k = 0; k < HEAD_SCAN_STRIDE; k++)
		if (head_scan_byte(s, x))
			return 1;
	return 0;
}

/*
 * Scans s->cap[0, len). Responses without a body (HEAD, 1xx, 204, 304) end with their headers.
 * Without bpf_loop, or when nothing is found (headers beyond the capture, a body delimited by
 * close), expected stays 0: the response then ends at the next request or at close (latency still
 * runs to its last byte; the record only leaves later).
 */
static __always_inline void http_body_info(struct scratch *s, long len, __u8 method, __u16 status,
					   struct http_body *b)
{
	struct head_scan_ctx ctx = { .s = s };
	struct head_scan *x = &s->scan;

	b->expected = 0;
	b->chunked = 0;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return;
	__builtin_memset(x, 0, sizeof(*x));
	x->end = len;
	bpf_loop(PG_MAX_CAPTURE / HEAD_SCAN_STRIDE, head_scan_step, &ctx, 0);
	if (!x->header_end)
		return;
	if (method == PG_HTTP_HEAD || (status >= 100 && status < 200) || status == 204 || status == 304)
		b->expected = x->header_end;
	else if (x->chunked)
		b->chunked = 1;
	else if (x->have_length && !x->bad_length)
		b->expected = x->header_end + x->length;
}

#endif /* PEREGRINE_L7_HTTP_BODY_H */
