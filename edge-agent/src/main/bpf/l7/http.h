/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * First-bytes classification done in the kernel: just enough to pair and to skip what cannot be
 * decoded. Everything else (paths, headers, other protocols) is decoded in user space from the
 * shipped prefixes, where it is testable and cannot upset the verifier.
 *
 * Every reader takes a pointer to at least 8 readable bytes (scratch buffers are larger) and the
 * number of valid bytes, so it never matches stale bytes past the end of a short payload.
 */
#ifndef PEREGRINE_L7_HTTP_H
#define PEREGRINE_L7_HTTP_H

static __always_inline bool prefix4(const __u8 *p, char a, char b, char c, char d)
{
	return p[0] == a && p[1] == b && p[2] == c && p[3] == d;
}

/* The HTTP/1.x method of a request line ("GET /..."), or PG_HTTP_NONE. */
static __always_inline __u8 http_method(const __u8 *p, long len)
{
	if (len < 5)
		return PG_HTTP_NONE;
	if (prefix4(p, 'G', 'E', 'T', ' '))
		return PG_HTTP_GET;
	if (prefix4(p, 'P', 'O', 'S', 'T') && p[4] == ' ')
		return PG_HTTP_POST;
	if (prefix4(p, 'P', 'U', 'T', ' '))
		return PG_HTTP_PUT;
	if (prefix4(p, 'H', 'E', 'A', 'D') && p[4] == ' ')
		return PG_HTTP_HEAD;
	if (len < 7)
		return PG_HTTP_NONE;
	if (prefix4(p, 'D', 'E', 'L', 'E') && p[4] == 'T' && p[5] == 'E' && p[6] == ' ')
		return PG_HTTP_DELETE;
	if (prefix4(p, 'P', 'A', 'T', 'C') && p[4] == 'H' && p[5] == ' ')
		return PG_HTTP_PATCH;
	if (prefix4(p, 'T', 'R', 'A', 'C') && p[4] == 'E' && p[5] == ' ')
		return PG_HTTP_TRACE;
	if (len < 8)
		return PG_HTTP_NONE;
	if (prefix4(p, 'O', 'P', 'T', 'I') && prefix4(p + 4, 'O', 'N', 'S', ' '))
		return PG_HTTP_OPTIONS;
	if (prefix4(p, 'C', 'O', 'N', 'N') && prefix4(p + 4, 'E', 'C', 'T', ' '))
		return PG_HTTP_CONNECT;
	return PG_HTTP_NONE;
}

static __always_inline bool is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

/* The status of an HTTP/1.x status line ("HTTP/1.1 200 ..."), or 0. */
static __always_inline __u16 http_status(const __u8 *p, long len)
{
	if (len < 12 || !prefix4(p, 'H', 'T', 'T', 'P') || !prefix4(p + 4, '/', '1', '.', p[7]) ||
	    p[8] != ' ' || !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]))
		return 0;
	return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* A TLS record header: content type 20..23 (handshake, alert, application data, ...), major 3. */
static __always_inline bool is_tls(const __u8 *p, long len)
{
	return len >= 5 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03 && p[2] <= 0x04;
}

/* The HTTP/2 client connection preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
static __always_inline bool is_http2_preface(const __u8 *p, long len)
{
	return len >= 8 && prefix4(p, 'P', 'R', 'I', ' ') && prefix4(p + 4, '*', ' ', 'H', 'T');
}

/* Eight characters as one little-endian word: how an 8-byte load from a buffer sees them. */
#define PG_LE8(a, b, c, d, e, f, g, h)                                                             \
	((__u64)(a) | ((__u64)(b) << 8) | ((__u64)(c) << 16) | ((__u64)(d) << 24) |                   \
	 ((__u64)(e) << 32) | ((__u64)(f) << 40) | ((__u64)(g) << 48) | ((__u64)(h) << 56))

/* Where the response-head scan is (see l7/http_body.h). */
#define HEAD_LINE 0   /* at the start of a line */
#define HEAD_SKIP 1   /* in a line whose content does not matter: looking for its end */
#define HEAD_LENGTH 2 /* in a Content-Length value: one digit per step */
#define HEAD_CODING 3 /* in a Transfer-Encoding value: looking for its end */

/* State of the response-head scan (kept in the per-CPU scratch, see http_body_info). */
struct head_scan {
	__u64 end;        /* bytes to scan */
	__u64 pos;        /* next byte to scan */
	__u64 header_end; /* offset just past "\r\n\r\n"; 0 until found */
	__u64 length;     /* Content-Length */
	__u8 mode;        /* HEAD_* */
	__u8 have_length;
	__u8 bad_length;
	__u8 chunked;
	__u32 _pad;
};

/* The last chunk of a chunked body with no trailers. */
static __always_inline bool is_last_chunk_tail(const __u8 t[5])
{
	return t[0] == '0' && t[1] == '\r' && t[2] == '\n' && t[3] == '\r' && t[4] == '\n';
}

#endif /* PEREGRINE_L7_HTTP_H */
