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
 * verifies in one or two passes.
 *
 * Run time is the other constraint: the scan runs twice per HTTP request (the server's write and
 * the client's read of the response). A step handles a line start (header names compared as 8-byte
 * words) with its first 8 bytes, or up to 32 more bytes of a line (a word-at-a-time search for '\n');
 * only Content-Length digits go one byte per step, so a step per byte is the worst case.
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

#define PG_ONES 0x0101010101010101ULL
/* Words of a line searched for its end per step: more cost the verifier little, and the loop's
 * fixed cost per step is most of a step's. */
#define HEAD_REST_WORDS 4
#define PG_LOWER 0x2020202020202020ULL /* OR-ed in: lower case for letters; '-' and ':' keep */

/* The 8 captured bytes from offset i (i < PG_MAX_CAPTURE; cap is twice that long). Bytes past the
 * scanned length are stale: callers check lengths before trusting them. */
static __always_inline __u64 cap_word(struct scratch *s, __u64 i)
{
	return *(__u64 *)(s->cap + (i & (PG_MAX_CAPTURE - 1)));
}

/* Index (0..7) of the first '\n' in w, or 8. Exact for the first one: the zero-byte test below
 * can only misfire on bytes after a real match. */
static __always_inline __u64 first_newline(__u64 w)
{
	__u64 t = w ^ (PG_ONES * '\n');
	__u64 z = (t - PG_ONES) & ~t & (PG_ONES * 0x80);

	if (!z)
		return 8;
	/* The lowest flag bit is 8k+7; (z & -z) >> 7 has byte k set to 1, and the multiply moves
	 * byte 7-k of the constant (which is k) to the top. */
	return (((z & -z) >> 7) * 0x0001020304050607ULL) >> 56;
}

/* Bytes of a line's rest from i, up to HEAD_REST_WORDS words: on its end, a Transfer-Encoding value is judged by its last
 * coding ("chunked, gzip" is not chunked framing), and the next line starts. */
static __always_inline long head_rest(struct scratch *s, struct head_scan *x, __u64 i)
{
	__u64 k = first_newline(cap_word(s, i)), e;

	/* Most header lines end within 32 bytes: one step for them. */
	for (int w = 1; w < HEAD_REST_WORDS && k == 8 && i + 8 < x->end; w++) {
		i += 8;
		k = first_newline(cap_word(s, i));
	}

	if (i + k >= x->end)
		return 1; /* no line end before the capture's: nothing more to learn */
	if (k == 8) {
		x->pos = i + 8;
		return 0;
	}
	if (x->mode == HEAD_CODING) {
		e = i + k; /* the value ends before "\r\n" or a bare '\n' */
		if (e > 0 && s->cap[(e - 1) & (PG_MAX_CAPTURE - 1)] == '\r')
			e--;
		x->chunked = e >= 7 && ((cap_word(s, e - 7) | PG_LOWER) & 0x00ffffffffffffffULL) ==
					       PG_LE8('c', 'h', 'u', 'n', 'k', 'e', 'd', 0);
	}
	x->mode = HEAD_LINE;
	x->pos = i + k + 1;
	return 0;
}

/* At the start of the line at i: the head's end, a header whose value matters, or neither. */
static __always_inline long head_line(struct scratch *s, struct head_scan *x, __u64 i)
{
	__u64 w0, w1;

	if (s->cap[i & (PG_MAX_CAPTURE - 1)] == '\r') {
		if (i + 1 < x->end && s->cap[(i + 1) & (PG_MAX_CAPTURE - 1)] == '\n') {
			x->header_end = i + 2;
			return 1;
		}
	}
	x->mode = HEAD_SKIP;
	if (i + 15 > x->end)
		return head_rest(s, x, i); /* too short for a header name that matters */
	w0 = cap_word(s, i) | PG_LOWER;
	w1 = cap_word(s, i + 8) | PG_LOWER;
	if (w0 == PG_LE8('c', 'o', 'n', 't', 'e', 'n', 't', '-') &&
	    (w1 & 0x00ffffffffffffffULL) == PG_LE8('l', 'e', 'n', 'g', 't', 'h', ':', 0)) {
		x->mode = HEAD_LENGTH;
		x->pos = i + 15;
		x->have_length = 1;
		x->length = 0;
	} else if (w0 == PG_LE8('t', 'r', 'a', 'n', 's', 'f', 'e', 'r') &&
		   w1 == PG_LE8('-', 'e', 'n', 'c', 'o', 'd', 'i', 'n') && i + 18 <= x->end &&
		   ((cap_word(s, i + 16) | PG_LOWER) & 0xffff) == PG_LE8('g', ':', 0, 0, 0, 0, 0, 0)) {
		x->mode = HEAD_CODING;
		x->pos = i + 18;
		x->chunked = 0;
	} else {
		return head_rest(s, x, i); /* in the same step: short lines end within it */
	}
	return 0;
}

/* One step of the scan; returns 1 when it is over. */
static long head_scan_step(__u64 n, void *ctx)
{
	struct scratch *s = ((struct head_scan_ctx *)ctx)->s;
	struct head_scan *x = &s->scan;
	__u64 i = x->pos; /* from map memory: no range the verifier carries from step to step */
	__u8 c;

	if (i >= x->end)
		return 1;
	if (x->mode == HEAD_LINE)
		return head_line(s, x, i);
	if (x->mode != HEAD_LENGTH)
		return head_rest(s, x, i);
	c = s->cap[i & (PG_MAX_CAPTURE - 1)];
	x->pos = i + 1;
	if (c == '\n')
		x->mode = HEAD_LINE;
	else if (c >= '0' && c <= '9' && x->length < 100000000000000ULL)
		x->length = x->length * 10 + (c - '0');
	else if (c != ' ' && c != '\t' && c != '\r')
		x->bad_length = 1;
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
	bpf_loop(PG_MAX_CAPTURE, head_scan_step, &ctx, 0); /* a step per byte at worst */
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
