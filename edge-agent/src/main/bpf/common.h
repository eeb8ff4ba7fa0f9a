/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * State shared by every probe: load-time configuration, maps, counters and the ring-buffer output
 * with batched wake-ups. Included once, by peregrine.bpf.c, before the tcp/, l7/ and proc/ parts.
 */
#ifndef PEREGRINE_COMMON_H
#define PEREGRINE_COMMON_H

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define SOCK_STREAM 1
#define EINPROGRESS 115

/* Kernel TCP states (include/net/tcp_states.h; part of the tracepoint ABI). */
#define PG_TCP_ESTABLISHED 1
#define PG_TCP_SYN_SENT 2
#define PG_TCP_SYN_RECV 3
#define PG_TCP_CLOSE 7

/* ---- load-time configuration (rodata, set by the loader before load; constants to the verifier) */

/* Bytes of each request and response prefix copied, 1..PG_MAX_CAPTURE. */
const volatile __u32 cfg_capture_bytes = PG_MAX_CAPTURE;
/* Unconsumed ring-buffer bytes at which a producer wakes the loader; below it, the loader's poll
 * timeout collects the data. One wake-up per this many bytes instead of one per record. */
const volatile __u64 cfg_wakeup_bytes = 64 * 1024;
/* Ship request/response pairs of protocols the kernel does not recognise (user space decodes). */
const volatile __u8 cfg_capture_unknown = 1;

/* ---- maps */

/* A connection is tracked per (process, descriptor): the syscall tracepoints only know those. */
struct conn_key {
	__u32 tgid;
	__s32 fd;
};

#define CONN_F_SKIP 0x01 /* no more payload capture on this connection (TLS ciphertext, 101) */
#define CONN_F_UDP 0x02  /* a resolver's UDP socket connected to port 53: exchanges only, no connection records */
#define CONN_F_TLS 0x04  /* TLS, plaintext from the SSL_read/SSL_write probes: its syscalls only count bytes */
#define CONN_F_H2 0x08   /* HTTP/2: every call's first bytes go out as a chunk (l7/http2.h), no pairing */
#define CONN_F_ADOPTED 0x10 /* established before the sensor started (tcp/adopt.h) */

/* Which way the last payload-carrying syscall went, to find direction changes. */
#define IO_NONE 0
#define IO_READ 1
#define IO_WRITE 2

struct conn {
	__u64 id;
	__u64 sk;           /* struct sock * as an integer: a key into `socks`, never dereferenced
	                     * except with bpf_probe_read_kernel */
	__u64 bytes_sent;
	__u64 bytes_received;
	struct pg_addr addr;
	__u8 direction;     /* enum pg_direction */
	__u8 last_io;       /* IO_* */
	__u8 flags;         /* CONN_F_* */
	__u8 inflight;      /* an exchange is in progress: `inflight` holds it, not REQ_IDLE */
	__u32 h2_seq;       /* CONN_F_H2: number of the next chunk (struct pg_h2_rec.seq) */
};

struct conn_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* loader: --max-connections */
	__type(key, struct conn_key);
	__type(value, struct conn);
} conns SEC(".maps");

/* struct sock * -> owner, for the probes that only see the socket (state changes, retransmits). */
struct sock_owner {
	__u32 tgid;
	__s32 fd;
	__u64 connect_ts;   /* connect(2) entry, for OUTBOUND */
	__u8 direction;
	__u8 _pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* loader: same as conns */
	__type(key, __u64);
	__type(value, struct sock_owner);
} socks SEC(".maps");

/*
 * The exchange in progress on a connection: a request waiting for its response, then (HTTP, or a
 * short first chunk) a response waiting for its end. One entry per connection, reused from one
 * exchange to the next and deleted with the connection: inserting a 2 KiB value per request was
 * the single largest cost of a request (measured: ~0.4 us of ~1 us in the request's exit probe).
 */
#define REQ_IDLE 0       /* between exchanges */
#define REQ_WAITING 1    /* request seen, no response byte yet */
#define REQ_RESPONDING 2 /* response started, its end not seen yet */

struct inflight_req {
	__u64 start_ts;
	__u64 request_bytes;
	__u64 response_bytes; /* so far */
	__u64 resp_end_ts;    /* return of the latest response call */
	__u64 resp_expected;  /* response bytes that complete it (headers + Content-Length); 0: unknown */
	__u16 status;
	__u16 len;            /* captured request bytes in payload */
	__u16 resp_len;       /* captured response bytes in resp_payload (kept while RESPONDING) */
	__u8 protocol;
	__u8 method;
	__u8 flags;           /* PG_L7_F_* so far */
	__u8 state;           /* REQ_* */
	__u8 chunked;         /* chunked body: ends with the zero-size chunk */
	__u8 interim;         /* a 1xx came: more request bytes may follow (Expect: 100-continue) */
	__u8 payload[PG_MAX_CAPTURE];
	__u8 resp_payload[PG_MAX_CAPTURE];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096); /* loader: --max-inflight; ~2 KiB each, preallocated; LRU evicts
	                            * the entries of connections idle the longest */
	__type(key, struct conn_key);
	__type(value, struct inflight_req);
} inflight SEC(".maps");

/*
 * Processes that have had a tracked connection, one bit per tgid: the first test of the probes
 * that run for every read, write and close on the host, so that other processes leave after an
 * (inlined) array load instead of a hash lookup. A bit is never cleared: a stale one costs what
 * every call cost without the bitmap, one hash lookup. Tgids are below PID_MAX_LIMIT (2^22).
 */
#define PG_TGID_BITS (1U << 22)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PG_TGID_BITS / 64); /* 512 KiB */
	__type(key, __u32);
	__type(value, __u64);
} tracking_tgids SEC(".maps");

/* Processes whose sockets are not tracked (the agent itself, so it never observes its own Kafka
 * traffic); filled by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} ignored_tgids SEC(".maps");

/* Per-CPU scratch: BPF stacks are 512 bytes, payloads are up to PG_MAX_CAPTURE. Tracepoint
 * programs do not nest on one CPU (the kernel skips a program that would, and counts it), so one
 * slot per CPU is enough. `cap` is twice the capture so that a variable offset < PG_MAX_CAPTURE
 * plus a variable length <= PG_MAX_CAPTURE provably stays inside it. */
struct scratch {
	__u64 stash;          /* launders values through memory: see launder() */
	struct head_scan scan; /* the HTTP response-head scan's state: see l7/http_body.h */
	__u8 cap[2 * PG_MAX_CAPTURE];  /* a response's first bytes */
	struct inflight_req req;       /* source of a connection's first `inflight` insert */
	__u8 out[sizeof(struct pg_l7_rec) + 2 * PG_MAX_CAPTURE]; /* an L7 record being built */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PG_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024); /* loader: --ring-bytes */
} events SEC(".maps");

/* ---- helpers */

/*
 * Returns v, bounded to [0, max], with no history for the verifier: stored to and reloaded from
 * map memory (the verifier does not follow values through map memory). Used on a copy length that
 * comes out of a loop (capture()): otherwise each loop exit hands a different exact length to
 * everything after it, which the verifier then explores once per exit (measured: 37k instead of
 * 25k processed for each syscall-exit program).
 */
static __always_inline __u64 launder(__u64 *slot, __u64 v, __u64 max)
{
	*(volatile __u64 *)slot = v;
	v = *(volatile __u64 *)slot;
	return v > max ? max : v;
}

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);
	if (v)
		__sync_fetch_and_add(v, 1); /* per-CPU slot: uncontended, atomic only against nesting */
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/*
 * Wake the loader only when this record makes the unconsumed data cross cfg_wakeup_bytes; below
 * the threshold the loader's poll timeout picks records up, above it the loader is already awake.
 * Unbatched wake-ups (one irq_work + wake_up per record) were the main overhead OpenTelemetry's
 * eBPF instrumentation found.
 */
static __always_inline __u64 wakeup_flags(__u64 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail < cfg_wakeup_bytes && avail + size >= cfg_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* For a reservation: the reserved bytes already count in BPF_RB_AVAIL_DATA. */
static __always_inline __u64 wakeup_flags_reserved(__u64 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail >= cfg_wakeup_bytes && avail - size < cfg_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void fill_hdr(struct pg_hdr *h, __u8 type, __u32 size, __u64 ts)
{
	h->magic = PG_MAGIC;
	h->version = PG_VERSION;
	h->type = type;
	h->size = size;
	h->ts_ns = ts;
}

static __always_inline __u64 new_conn_id(void)
{
	return ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32() | 1; /* never 0 */
}

/* Bit `tgid` of a tgid bitmap (tracking_tgids, tls_tgids); true beyond its range. */
static __always_inline bool tgid_bit(void *bitmap, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *w;

	if (tgid >= PG_TGID_BITS)
		return true;
	w = bpf_map_lookup_elem(bitmap, &word);
	return !w || (*w & (1ULL << (tgid & 63)));
}

static __always_inline void set_tgid_bit(void *bitmap, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 bit = 1ULL << (tgid & 63), *w;

	if (tgid >= PG_TGID_BITS)
		return;
	w = bpf_map_lookup_elem(bitmap, &word);
	if (w && !(*w & bit))
		__sync_fetch_and_or(w, bit);
}

/* False when no connection of process `tgid` can be tracked. */
static __always_inline bool may_track(__u32 tgid)
{
	return tgid_bit(&tracking_tgids, tgid);
}

/* Before a connection of process `tgid` is tracked. */
static __always_inline void mark_tracking(__u32 tgid)
{
	set_tgid_bit(&tracking_tgids, tgid);
}

static __always_inline bool is_ignored(__u32 tgid)
{
	return bpf_map_lookup_elem(&ignored_tgids, &tgid) != NULL;
}

#endif /* PEREGRINE_COMMON_H */
