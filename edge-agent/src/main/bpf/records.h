/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Records the eBPF sensor hands to user space: the ONE definition shared by the kernel programs
 * (peregrine.bpf.c), the native loader (loader.c) and, through `peregrine-loader --layout` and
 * RecordLayoutTest, the Java reader (io.peregrine.agent.ebpf.RecordLayout).
 *
 * Wire rules, which every change must keep:
 *  - little-endian (every architecture we load on is; the loader refuses to build otherwise);
 *  - every struct is packed AND naturally aligned by explicit padding, so `packed` changes nothing;
 *    PG_RECORD also declares 8-byte alignment, so compilers keep using whole-word stores (a bare
 *    `packed` makes clang write byte by byte) and the kernel never does an unaligned access; the
 *    _Static_asserts below pin each size;
 *  - a record starts with struct pg_hdr; `size` covers the header, the fixed part and any trailing
 *    payload, so a reader can skip a type it does not know;
 *  - a change of meaning or layout bumps PG_VERSION; new fields go at the end of a record (readers
 *    accept size >= what they need).
 * Ports are host byte order. Addresses are network byte order, IPv4 in the first 4 bytes of the
 * 16-byte fields (the rest zero), IPv6 as is; `family` says which (AF_INET 2, AF_INET6 10).
 * Timestamps are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns); the loader's HELLO record carries
 * a (monotonic, realtime) pair so user space converts them to wall-clock time.
 */
#ifndef PEREGRINE_RECORDS_H
#define PEREGRINE_RECORDS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Packed (no implicit padding, ever) yet 8-byte aligned: see the wire rules above. */
#define PG_RECORD __attribute__((packed, aligned(8)))

#define PG_MAGIC 0x4750 /* the bytes "PG" as a little-endian u16 */
#define PG_VERSION 1

/* Largest payload prefix captured per request and per response; a power of two (verifier masks). */
#define PG_MAX_CAPTURE 1024
/* Largest prefix of one call on an HTTP/2 connection shipped as a chunk: frames whose headers lie
 * past it are lost to user space, so it covers the usual multi-frame write (HEADERS, DATA, trailers
 * of a call with a few KiB of body); a power of two, and twice it must fit a per-CPU map value
 * (32 KiB at most). */
#define PG_H2_MAX_CAPTURE 8192
#define PG_COMM_LEN 16
#define PG_FILENAME_LEN 256

enum pg_rec_type {
	PG_REC_CONN = 1,  /* struct pg_conn_rec, from the kernel */
	PG_REC_L7 = 2,    /* struct pg_l7_rec + payloads, from the kernel */
	PG_REC_PROC = 3,  /* struct pg_proc_rec, from the kernel */
	PG_REC_H2 = 4,    /* struct pg_h2_rec + payload, from the kernel */
	PG_REC_HELLO = 100, /* struct pg_hello_rec, written by the loader once attached */
	PG_REC_STATS = 101, /* struct pg_stats_rec, written by the loader periodically and at exit */
};

struct pg_hdr {
	__u16 magic;   /* PG_MAGIC */
	__u8 version;  /* PG_VERSION */
	__u8 type;     /* enum pg_rec_type */
	__u32 size;    /* bytes of the whole record */
	__u64 ts_ns;   /* CLOCK_MONOTONIC time of the event (for L7: start of the request) */
} PG_RECORD;

/* Both ends of a TCP connection as the observing socket sees them. */
struct pg_addr {
	__u8 local[16];
	__u8 remote[16];
	__u16 local_port;
	__u16 remote_port;
	__u16 family;
	__u16 _pad;
} PG_RECORD;

enum pg_conn_kind {
	PG_CONN_OPEN = 1,       /* connect(2) established (OUTBOUND) or accept(2) returned (INBOUND) */
	PG_CONN_CLOSE = 2,      /* close(2) of a tracked socket, or the socket reached TCP_CLOSE */
	PG_CONN_FAILED = 3,     /* an outbound connect went SYN_SENT -> CLOSE */
	PG_CONN_RETRANSMIT = 4, /* tcp_retransmit_skb */
	PG_CONN_ADOPTED = 5,    /* established before the sensor started, tracked from now on (tcp/adopt.h) */
};

#define PG_CONN_F_ADOPTED 0x01 /* pg_conn_rec.flags: the connection was adopted, not seen opening */

enum pg_direction {
	PG_DIR_UNKNOWN = 0,
	PG_DIR_OUTBOUND = 1, /* this process connected: it is the client */
	PG_DIR_INBOUND = 2,  /* this process accepted: it is the server */
};

struct pg_conn_rec {
	struct pg_hdr hdr;
	__u64 conn_id;      /* random id of the tracked connection, shared by its L7 records; 0 if untracked */
	__u32 pid;          /* thread group id; 0 when not known (retransmit of an untracked socket) */
	__s32 fd;           /* -1 when not known */
	__u8 kind;          /* enum pg_conn_kind */
	__u8 direction;     /* enum pg_direction */
	__u8 tcp_state;     /* kernel TCP_* state when the event happened */
	__u8 flags;         /* PG_CONN_F_* */
	__s32 error;        /* FAILED: positive errno from sk_err (0 = aborted before an answer) */
	struct pg_addr addr;
	__u64 bytes_sent;     /* CLOSE: payload bytes written by tracked syscalls over the lifetime */
	__u64 bytes_received; /* CLOSE: payload bytes read by tracked syscalls over the lifetime */
	__u64 connect_ns;     /* OPEN/FAILED OUTBOUND: connect(2) entry to established/failed */
	__u32 retransmits;    /* CLOSE/RETRANSMIT: tcp_sock.total_retrans */
	__u32 srtt_us;        /* smoothed RTT (tcp_sock.srtt_us >> 3); 0 when unknown */
} PG_RECORD;

enum pg_l7_protocol {
	PG_PROTO_UNKNOWN = 0, /* an exchange on a connection whose protocol the kernel did not recognise */
	PG_PROTO_HTTP = 1,    /* HTTP/1.x request line seen */
};

enum pg_side {
	PG_SIDE_CLIENT = 1,
	PG_SIDE_SERVER = 2,
};

enum pg_http_method {
	PG_HTTP_NONE = 0,
	PG_HTTP_GET = 1,
	PG_HTTP_POST = 2,
	PG_HTTP_PUT = 3,
	PG_HTTP_DELETE = 4,
	PG_HTTP_HEAD = 5,
	PG_HTTP_PATCH = 6,
	PG_HTTP_OPTIONS = 7,
	PG_HTTP_CONNECT = 8,
	PG_HTTP_TRACE = 9,
};

#define PG_L7_F_REQ_TRUNCATED 0x01  /* the request's first chunk was longer than the capture */
#define PG_L7_F_RESP_TRUNCATED 0x02 /* the response's first chunk was longer than the capture */
#define PG_L7_F_NO_RESPONSE 0x04    /* the connection closed before any response byte */
#define PG_L7_F_CAPTURE_FAULT 0x08  /* reading user memory failed; payloads may be empty */
#define PG_L7_F_TLS 0x10            /* payloads are TLS plaintext, read by the SSL_read/SSL_write probes */

/*
 * One request paired with its response, emitted by the kernel when the first response bytes are
 * read (client) or written (server). Followed by req_len request bytes, then resp_len response
 * bytes: hdr.size == sizeof(struct pg_l7_rec) + req_len + resp_len.
 */
struct pg_l7_rec {
	struct pg_hdr hdr;    /* ts_ns: request start (client: write entry; server: read return) */
	__u64 conn_id;
	__u32 pid;
	__s32 fd;
	__u8 protocol;        /* enum pg_l7_protocol */
	__u8 side;            /* enum pg_side */
	__u8 method;          /* enum pg_http_method, kernel-detected */
	__u8 flags;           /* PG_L7_F_* */
	__u16 status;         /* HTTP status parsed in the kernel; 0 when none */
	__u16 req_len;        /* captured request bytes that follow */
	__u16 resp_len;       /* captured response bytes that follow the request bytes */
	__u16 _pad0;
	__u32 _pad1;
	struct pg_addr addr;
	__u64 latency_ns;     /* request start to the return of the response's first read/write */
	__u64 request_bytes;  /* all request bytes (every chunk until the response started) */
	__u64 response_bytes; /* bytes of the response's first read/write (the rest is not waited for) */
} PG_RECORD;

/*
 * HTTP/2 (connections whose first bytes are the client preface, in plaintext or through the TLS
 * probes): multiplexed streams do not alternate directions, so the kernel does not pair them; it
 * ships the first bytes (up to PG_H2_MAX_CAPTURE) of EVERY read/write as a chunk, and user space reassembles the frames and
 * keeps the per-connection HPACK tables. Followed by len payload bytes: hdr.size == sizeof + len.
 */
struct pg_h2_rec {
	struct pg_hdr hdr;    /* ts_ns: the call's time (write: entry; read: return) */
	__u64 conn_id;
	__u32 pid;
	__s32 fd;
	__u32 seq;            /* chunk number on the connection from 0 (the preface's call): a gap is
	                       * a chunk lost in the ring, and the frames after it cannot be trusted */
	__u16 len;            /* captured bytes that follow (the call's first bytes, <= PG_H2_MAX_CAPTURE) */
	__u8 side;            /* enum pg_side of this process on the connection */
	__u8 is_write;        /* 1: this process wrote the bytes; 0: it read them */
	__u8 flags;           /* PG_L7_F_CAPTURE_FAULT, PG_L7_F_TLS */
	__u8 _pad0[7];
	__u64 total;          /* bytes the call moved; len < total: the rest was not captured */
	__u64 end_ns;         /* return of the call */
	struct pg_addr addr;
} PG_RECORD;

enum pg_proc_kind {
	PG_PROC_EXEC = 1,
	PG_PROC_EXIT = 2,     /* the last thread of the group exited */
	PG_PROC_OOM_KILL = 3, /* chosen by the OOM killer (an EXIT follows) */
};

struct pg_proc_rec {
	struct pg_hdr hdr;
	__u32 pid;          /* thread group id */
	__u32 ppid;         /* real parent's thread group id; 0 when unknown */
	__u8 kind;          /* enum pg_proc_kind */
	__u8 _pad0[3];
	__s32 exit_code;    /* EXIT: raw wait status ((code & 0xff) << 8 | signal); OOM_KILL: 9 (SIGKILL) */
	__u64 start_ns;     /* task start_time, CLOCK_MONOTONIC; 0 when unknown */
	char comm[PG_COMM_LEN];
	__u16 filename_len; /* EXEC: bytes of filename used, without the NUL */
	__u16 _pad1[3];
	char filename[PG_FILENAME_LEN]; /* EXEC: path passed to execve, NUL-terminated */
} PG_RECORD;

struct pg_hello_rec {
	struct pg_hdr hdr;  /* ts_ns == mono_ns */
	__u32 loader_pid;
	__u32 capture_bytes;
	__u64 mono_ns;      /* CLOCK_MONOTONIC sample ... */
	__u64 realtime_ns;  /* ... and CLOCK_REALTIME taken right after: wall = realtime + (ts - mono) */
	__u32 ring_bytes;
	__u32 ncpus;
} PG_RECORD;

/* Counters: per-CPU in the kernel (PG_CNT_*), summed by the loader into PG_REC_STATS. */
enum pg_counter {
	PG_CNT_RB_DROP_CONN = 0,  /* connection record lost: ring buffer full */
	PG_CNT_RB_DROP_L7,        /* L7 or HTTP/2 chunk record lost: ring buffer full */
	PG_CNT_RB_DROP_PROC,      /* process record lost: ring buffer full */
	PG_CNT_CONN_EMITTED,
	PG_CNT_L7_EMITTED,
	PG_CNT_PROC_EMITTED,
	PG_CNT_TRACK_FAILED,      /* connection not tracked: map update failed */
	PG_CNT_INFLIGHT_FAILED,   /* request not tracked: map update failed */
	PG_CNT_REQ_REPLACED,      /* a request with no response yet was replaced by the next one */
	PG_CNT_CAPTURE_FAULT,     /* bpf_probe_read_user failed on a payload */
	PG_CNT_TLS_SKIPPED,       /* connections recognised as TLS and no longer captured */
	PG_CNT_HTTP2_CONNS,       /* connections recognised as HTTP/2: their calls go out as PG_REC_H2 */
	PG_CNT_PROG_MISSES,       /* loader: program runs the kernel skipped (recursion), from prog info */
	PG_CNT_PROG_RUN_NS,       /* loader, with --bpf-stats: time spent in the sensor's programs */
	PG_CNT_PROG_RUNS,         /* loader, with --bpf-stats: runs of the sensor's programs */
	PG_CNT_ADOPTED,           /* connections established before the sensor started, adopted */
	PG_CNT_MAX = 16,
};

struct pg_stats_rec {
	struct pg_hdr hdr;
	__u32 ncounters;    /* PG_CNT_MAX */
	__u32 _pad0;
	__u64 frames_written; /* loader: frames written to the output so far (this one excluded) */
	__u64 counters[PG_CNT_MAX]; /* cumulative since the loader started */
} PG_RECORD;

/* Passes of the adoption iterator (tcp/adopt.h), set by the loader in its global adopt_pass. */
#define PG_ADOPT_LISTENS 1
#define PG_ADOPT_CONNS 2

/* Exit status of peregrine-loader: user space branches on these, never on the stderr text. */
enum pg_loader_exit {
	PG_EXIT_OK = 0,        /* stopped by SIGTERM/SIGINT/SIGHUP or EOF on stdin */
	PG_EXIT_RUNTIME = 1,   /* unexpected failure after start: worth a restart */
	PG_EXIT_USAGE = 2,     /* bad command line */
	PG_EXIT_OUTPUT = 3,    /* the reader went away (EPIPE on stdout) */
	PG_EXIT_NO_PRIV = 10,  /* neither CAP_SYS_ADMIN nor CAP_BPF+CAP_PERFMON, or bpf() denied */
	PG_EXIT_NO_BTF = 11,   /* no kernel BTF (CONFIG_DEBUG_INFO_BTF): CO-RE cannot relocate */
	PG_EXIT_VERIFIER = 12, /* the verifier rejected a program (log tail on stderr) */
	PG_EXIT_ATTACH = 13,   /* a probe could not be attached (tracepoint missing, no tracefs) */
	PG_EXIT_KERNEL = 14,   /* the kernel lacks a needed feature (BPF ring buffer needs 5.8) */
};

_Static_assert(sizeof(struct pg_hdr) == 16, "pg_hdr layout");
_Static_assert(sizeof(struct pg_addr) == 40, "pg_addr layout");
_Static_assert(sizeof(struct pg_conn_rec) == 112, "pg_conn_rec layout");
_Static_assert(sizeof(struct pg_l7_rec) == 112, "pg_l7_rec layout");
_Static_assert(sizeof(struct pg_h2_rec) == 104, "pg_h2_rec layout");
_Static_assert(sizeof(struct pg_proc_rec) == 320, "pg_proc_rec layout");
_Static_assert(sizeof(struct pg_hello_rec) == 48, "pg_hello_rec layout");
_Static_assert(sizeof(struct pg_stats_rec) == 32 + 8 * PG_CNT_MAX, "pg_stats_rec layout");

#endif /* PEREGRINE_RECORDS_H */
