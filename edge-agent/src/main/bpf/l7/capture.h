/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Payload capture from the syscall arguments. The buffer (or iovec array) pointer is stashed per
 * thread at syscall entry, only for descriptors of tracked connections, and read at exit, when the
 * return value says how many bytes were really transferred: a read's bytes are only there after
 * it returns, and a short or failed write must not be mistaken for a request.
 */
#ifndef PEREGRINE_L7_CAPTURE_H
#define PEREGRINE_L7_CAPTURE_H

/* iovec entries gathered per call; JDK NIO, libuv and most servers use 1-3. */
#define PG_MAX_IOV 8

struct io_args {
	__u64 ptr;      /* user buffer, or user iovec array when iovcnt > 0 */
	__u64 enter_ts;
	__s32 fd;
	__u32 iovcnt;
	__u64 count;    /* bytes a plain read asked for; 0 for writes and vectored calls */
	__u64 live;     /* 1 from a tracked call's entry to its exit */
};

/* LRU: an entry whose exit never ran (a thread that vanished inside the call) ages out. A thread's
 * entry stays between its calls, marked not live, and is rewritten in place: an insert and a
 * delete per syscall were ~40% of the entry and exit programs of a request's plain calls. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid: a thread is in at most one syscall */
	__type(value, struct io_args);
} io_stash SEC(".maps");

/*
 * Copies the first `want` (<= max) payload bytes of the call described by `a` to dst, which must be
 * followed by at least `max` more bytes of the same map value (the verifier checks offset + length
 * against the whole value). `max` is a power of two and a constant at every call site (the masks
 * below are what the verifier bounds offsets by). Returns the bytes copied, or -1 on a fault.
 */
static __always_inline long capture_upto(__u8 *dst, const struct io_args *a, __u64 want, const __u64 max)
{
	__u64 off = 0;

	if (want > max)
		want = max;
	if (a->iovcnt == 0) {
		if (bpf_probe_read_user(dst, want, (const void *)a->ptr))
			return -1;
		return want;
	}
	for (int i = 0; i < PG_MAX_IOV; i++) {
		struct iovec iov;
		__u64 n;

		if (i >= a->iovcnt || off >= want)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)(a->ptr + i * sizeof(iov))))
			return -1;
		n = iov.iov_len;
		if (n > want - off)
			n = want - off;
		if (n > max)
			n = max;
		/* off < want <= max, so the mask changes nothing but proves the bound. */
		if (bpf_probe_read_user(dst + (off & (max - 1)), n, iov.iov_base))
			return -1;
		off += n;
	}
	return off;
}

/* capture_upto() of at most PG_MAX_CAPTURE bytes: a request's or a response's prefix. */
static __always_inline long capture(__u8 *dst, const struct io_args *a, __u64 want)
{
	return capture_upto(dst, a, want, PG_MAX_CAPTURE);
}

/* The 5 bytes that end the call's data (which is `ret` bytes long), for the chunked-end check.
 * False when they cannot be read in one piece (short call, tail across iovecs, fault). */
static __always_inline bool read_tail5(const struct io_args *a, long ret, __u8 out[5])
{
	__u64 seen = 0;

	if (ret < 5)
		return false;
	if (a->iovcnt == 0)
		return bpf_probe_read_user(out, 5, (const void *)(a->ptr + ret - 5)) == 0;
	for (int i = 0; i < PG_MAX_IOV; i++) {
		struct iovec iov;

		if (i >= a->iovcnt)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)(a->ptr + i * sizeof(iov))))
			return false;
		if (seen + iov.iov_len >= (__u64)ret) {
			__u64 in = ret - seen; /* data bytes in this segment */

			if (in < 5)
				return false;
			return bpf_probe_read_user(out, 5, (const __u8 *)iov.iov_base + in - 5) == 0;
		}
		seen += iov.iov_len;
	}
	return false;
}

#endif /* PEREGRINE_L7_CAPTURE_H */
