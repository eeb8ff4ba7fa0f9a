/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TLS plaintext from OpenSSL (libssl.so.3, whose ABI 1.1 shares these functions): uprobes on
 * SSL_read / SSL_write and their _ex variants see the application's bytes after decryption and
 * before encryption. The loader attaches them to the host's libssl for every process (pid -1);
 * applications with their own statically linked TLS stack (Go, BoringSSL in Envoy, the JDK's JSSE)
 * are not covered by these probes.
 *
 * Which connection does an SSL object use? Its descriptor is NOT read from OpenSSL's private
 * structs (their layout changes between releases, and CO-RE cannot relocate user-space types).
 * The socket syscall OpenSSL makes inside the call, on the same thread, names it (io_enter calls
 * tls_note_fd), and `ssl_fds` remembers it per SSL object for the calls that need no syscall
 * (SSL_read served from OpenSSL's buffer). The first plaintext on a connection marks it
 * CONN_F_TLS: from then on its syscalls only count bytes and the probes drive the pairing, with
 * the same state machine as plain sockets (l7_io). (BPF_KPROBE: the pt_regs argument macros are
 * the same for uprobes, and libbpf 1.1 has no BPF_UPROBE.)
 */
#ifndef PEREGRINE_L7_TLS_H
#define PEREGRINE_L7_TLS_H

struct ssl_call {
	__u64 ssl;
	__u64 buf;
	__u64 num;      /* bytes the caller asked to read or write */
	__u64 done_ptr; /* _ex variants: where the library stores the bytes done; 0 otherwise */
	__u64 enter_ts;
	__s32 fd;       /* descriptor of the first tracked socket syscall inside the call; -1 before */
	__u8 is_write;
	__u8 _pad[3];
};

struct ssl_key {
	__u64 ssl;      /* SSL * in the process's address space */
	__u32 tgid;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid: a thread is inside at most one SSL call */
	__type(value, struct ssl_call);
} ssl_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, __s32);
} ssl_fds SEC(".maps");

/* Processes that have called into the probed OpenSSL, one bit per tgid (as tracking_tgids): the
 * socket syscalls of the others skip the ssl_calls lookup. Never cleared. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PG_TGID_BITS / 64); /* 512 KiB */
	__type(key, __u32);
	__type(value, __u64);
} tls_tgids SEC(".maps");

static __always_inline void tls_note_fd(__u64 id, __s32 fd)
{
	struct ssl_call *call;

	if (!tgid_bit(&tls_tgids, id >> 32))
		return;
	call = bpf_map_lookup_elem(&ssl_calls, &id);

	if (call && call->fd < 0)
		call->fd = fd;
}

static __always_inline int ssl_enter(__u64 ssl, __u64 buf, __u64 num, __u64 done_ptr, bool is_write)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_call call = {};

	if (is_ignored(id >> 32))
		return 0;
	call.ssl = ssl;
	call.buf = buf;
	call.num = num;
	call.done_ptr = done_ptr;
	call.enter_ts = bpf_ktime_get_ns();
	call.fd = -1;
	call.is_write = is_write;
	set_tgid_bit(&tls_tgids, id >> 32); /* before the call's socket syscalls look */
	bpf_map_update_elem(&ssl_calls, &id, &call, BPF_ANY);
	return 0;
}

static __always_inline int ssl_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_call *p = bpf_map_lookup_elem(&ssl_calls, &id);
	struct ssl_key sk = {};
	struct conn_key key = {};
	struct io_args a = {};
	struct ssl_call call;
	struct conn *c;
	__s32 *known;

	if (!p)
		return 0;
	call = *p;
	bpf_map_delete_elem(&ssl_calls, &id);
	if (call.done_ptr) {
		/* SSL_read_ex / SSL_write_ex return 1 on success and store the byte count. */
		__u64 n = 0;

		if (ret != 1 || bpf_probe_read_user(&n, sizeof(n), (const void *)call.done_ptr))
			return 0;
		ret = n;
	}
	if (ret <= 0)
		return 0;
	sk.ssl = call.ssl;
	sk.tgid = id >> 32;
	if (call.fd >= 0) {
		bpf_map_update_elem(&ssl_fds, &sk, &call.fd, BPF_ANY);
	} else {
		known = bpf_map_lookup_elem(&ssl_fds, &sk);
		if (!known)
			return 0; /* no socket seen under this SSL object yet */
		call.fd = *known;
	}
	key.tgid = sk.tgid;
	key.fd = call.fd;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0; /* connection opened before the sensor, or not TCP */
	if (!(c->flags & CONN_F_TLS)) {
		/* The handshake the syscalls saw made the connection skip; pair its plaintext afresh. */
		c->flags = (c->flags & ~CONN_F_SKIP) | CONN_F_TLS;
		c->last_io = IO_NONE;
		c->inflight = 0;
		bpf_map_delete_elem(&inflight, &key);
	}
	a.ptr = call.buf;
	a.enter_ts = call.enter_ts;
	a.fd = call.fd;
	a.count = call.is_write ? 0 : call.num;
	l7_io(&key, c, &a, ret, call.is_write);
	return 0;
}

/* int SSL_write(SSL *ssl, const void *buf, int num) */
SEC("uprobe")
int BPF_KPROBE(pg_ssl_write, void *ssl, const void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, num, 0, true);
}

/* int SSL_read(SSL *ssl, void *buf, int num) */
SEC("uprobe")
int BPF_KPROBE(pg_ssl_read, void *ssl, void *buf, int num)
{
	return ssl_enter((__u64)ssl, (__u64)buf, num, 0, false);
}

/* int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written) */
SEC("uprobe")
int BPF_KPROBE(pg_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return ssl_enter((__u64)ssl, (__u64)buf, num, (__u64)written, true);
}

/* int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes) */
SEC("uprobe")
int BPF_KPROBE(pg_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return ssl_enter((__u64)ssl, (__u64)buf, num, (__u64)readbytes, false);
}

/* Return of any of the four (the loader attaches this one program to each). */
SEC("uretprobe")
int BPF_KRETPROBE(pg_ssl_return, int ret)
{
	return ssl_exit(ret);
}

#endif /* PEREGRINE_L7_TLS_H */
