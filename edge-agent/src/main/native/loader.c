// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * peregrine-loader: loads the Peregrine eBPF sensor (embedded as a libbpf skeleton), attaches its
 * probes and streams the kernel's records to stdout as frames:
 *
 *     u32 length (little-endian) | record (struct pg_hdr first, `length` bytes)
 *
 * plus its own PG_REC_HELLO once attached and PG_REC_STATS every --stats-ms and at exit. It stops
 * cleanly on SIGTERM/SIGINT/SIGHUP or EOF on stdin (so it never outlives the agent that spawned
 * it). Failures print ONE line "peregrine-loader: <what>: <detail>" on stderr (a verifier rejection
 * prints the verifier log tail before it) and exit with a status of enum pg_loader_exit.
 *
 * `peregrine-loader --layout` prints the record layouts (offsets and sizes from records.h) and
 * the wire constants, needs no privilege, and is what the Java reader is tested against.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "records.h"
#include "peregrine.skel.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "records are little-endian on the wire and in the kernel; a big-endian port needs byte swaps"
#endif

#define PROG "peregrine-loader"

/* ---- options */

struct options {
	unsigned capture_bytes;
	unsigned long ring_bytes;
	unsigned long wakeup_bytes; /* 0: ring_bytes / 16 */
	unsigned poll_ms;
	unsigned stats_ms;
	unsigned max_connections;
	unsigned max_inflight;
	bool capture_unknown;
	bool watch_stdin;
	bool verbose;
	bool verifier_stats;
	bool bpf_stats;
	bool adopt;          /* adopt the connections open before the start (tcp/adopt.h) */
	const char *libssl; /* NULL: look in the usual places; "" (--no-tls): no TLS probes */
	unsigned n_ignored;
	pid_t ignored[16];
};

static struct options opts = {
	.capture_bytes = PG_MAX_CAPTURE,
	.ring_bytes = 16UL << 20,
	.wakeup_bytes = 0,
	.poll_ms = 100,
	.stats_ms = 1000,
	.max_connections = 65536,
	.max_inflight = 4096,
	.capture_unknown = true,
	.watch_stdin = true,
	.adopt = true,
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* ---- one-line failures */

static void fail_line(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_line(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* ---- libbpf messages: kept (the tail explains failures), shown only with --verbose */

#define LOG_KEEP (64 * 1024)
static char libbpf_log[LOG_KEEP];
static size_t libbpf_log_len;

static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int n;
	va_list copy;

	va_copy(copy, ap);
	n = vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (libbpf_log_len + n > LOG_KEEP) {
		/* Keep the newer half: what explains a failure is at the end. */
		size_t keep = LOG_KEEP / 2;
		memmove(libbpf_log, libbpf_log + libbpf_log_len - keep, keep);
		libbpf_log_len = keep;
	}
	memcpy(libbpf_log + libbpf_log_len, line, n);
	libbpf_log_len += n;
	(void)level;
	if (opts.verbose)
		fputs(line, stderr);
	return 0;
}

/* Prints the last `lines` lines of buf[0..len) to stderr, under a label. */
static void print_tail(const char *label, const char *buf, size_t len, int lines)
{
	size_t end = len, start;
	int newlines = 0;

	if (end > 0 && buf[end - 1] == '\n')
		end--;
	if (end == 0)
		return;
	for (start = end; start > 0; start--)
		if (buf[start - 1] == '\n' && ++newlines >= lines)
			break;
	fprintf(stderr, "%s:\n%.*s\n", label, (int)(end - start), buf + start);
}

/* ---- output: length-prefixed frames through a buffer, written with write(2) */

#define OUT_CAP (256 * 1024)
static unsigned char out_buf[OUT_CAP];
static size_t out_len;
static bool out_broken;
static uint64_t frames_written;

static int out_flush(void)
{
	size_t off = 0;

	while (off < out_len) {
		ssize_t n = write(STDOUT_FILENO, out_buf + off, out_len - off);
		if (n < 0) {
			if (errno == EINTR && !stop_signal)
				continue;
			out_broken = true;
			out_len = 0;
			return -1;
		}
		off += (size_t)n;
	}
	out_len = 0;
	return 0;
}

static int out_frame(const void *data, size_t size)
{
	uint32_t len = (uint32_t)size;

	if (out_broken)
		return -1;
	if (size > OUT_CAP - sizeof(len))
		return 0; /* cannot happen: records are at most a few KiB */
	if (out_len + sizeof(len) + size > OUT_CAP && out_flush())
		return -1;
	memcpy(out_buf + out_len, &len, sizeof(len));
	memcpy(out_buf + out_len + sizeof(len), data, size);
	out_len += sizeof(len) + size;
	frames_written++;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	(void)ctx;
	/* A negative return stops ring_buffer__consume; the main loop then sees out_broken. */
	return out_frame(data, size) ? -EPIPE : 0;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void hdr_init(struct pg_hdr *h, uint8_t type, uint32_t size)
{
	h->magic = PG_MAGIC;
	h->version = PG_VERSION;
	h->type = type;
	h->size = size;
	h->ts_ns = clock_ns(CLOCK_MONOTONIC);
}

/* ---- stats */

static int ncpus;
static uint64_t *percpu_values;

static void write_stats(struct peregrine *skel)
{
	struct pg_stats_rec rec;
	struct bpf_program *prog;
	int fd = bpf_map__fd(skel->maps.counters);

	memset(&rec, 0, sizeof(rec));
	hdr_init(&rec.hdr, PG_REC_STATS, sizeof(rec));
	rec.ncounters = PG_CNT_MAX;
	rec.frames_written = frames_written;
	for (uint32_t key = 0; key < PG_CNT_MAX; key++) {
		if (bpf_map_lookup_elem(fd, &key, percpu_values))
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++)
			rec.counters[key] += percpu_values[cpu];
	}
	/* Program runs the kernel skipped because a BPF program was already running on that CPU
	 * (e.g. a softirq state change during a syscall probe): events lost before any map. */
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0) {
			rec.counters[PG_CNT_PROG_MISSES] += info.recursion_misses;
			rec.counters[PG_CNT_PROG_RUN_NS] += info.run_time_ns;
			rec.counters[PG_CNT_PROG_RUNS] += info.run_cnt;
		}
	}
	out_frame(&rec, sizeof(rec));
}

/* ---- checks before loading */

static bool has_bpf_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return true; /* cannot tell: let bpf(2) decide */
#define HAS(cap) ((data[(cap) / 32].effective >> ((cap) % 32)) & 1)
	return HAS(CAP_SYS_ADMIN) || (HAS(39 /* CAP_BPF */) && HAS(38 /* CAP_PERFMON */));
#undef HAS
}

/* libbpf finds tracepoint ids in tracefs; mount it where the kernel expects it when absent. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		fprintf(stderr, PROG ": mounted tracefs at /sys/kernel/tracing\n");
}

static int parse_uint(const char *name, const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fail_line("usage", "--%s must be an integer in [%lu, %lu], got '%s'", name, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- --layout */

#define L_STRUCT(s) printf("struct %s %zu\n", #s, sizeof(struct s))
#define L_FIELD(s, f) printf("field %s.%s %zu %zu\n", #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f))
#define L_CONST(c) printf("const %s %ld\n", #c, (long)(c))

static void print_layout(void)
{
	L_CONST(PG_MAGIC);
	L_CONST(PG_VERSION);
	L_CONST(PG_MAX_CAPTURE);
	L_CONST(PG_H2_MAX_CAPTURE);
	L_CONST(PG_REC_CONN);
	L_CONST(PG_REC_L7);
	L_CONST(PG_REC_PROC);
	L_CONST(PG_REC_H2);
	L_CONST(PG_REC_HELLO);
	L_CONST(PG_REC_STATS);
	L_CONST(PG_CONN_OPEN);
	L_CONST(PG_CONN_CLOSE);
	L_CONST(PG_CONN_FAILED);
	L_CONST(PG_CONN_RETRANSMIT);
	L_CONST(PG_CONN_ADOPTED);
	L_CONST(PG_CONN_F_ADOPTED);
	L_CONST(PG_DIR_OUTBOUND);
	L_CONST(PG_DIR_INBOUND);
	L_CONST(PG_PROTO_UNKNOWN);
	L_CONST(PG_PROTO_HTTP);
	L_CONST(PG_SIDE_CLIENT);
	L_CONST(PG_SIDE_SERVER);
	L_CONST(PG_HTTP_GET);
	L_CONST(PG_HTTP_TRACE);
	L_CONST(PG_L7_F_REQ_TRUNCATED);
	L_CONST(PG_L7_F_RESP_TRUNCATED);
	L_CONST(PG_L7_F_NO_RESPONSE);
	L_CONST(PG_L7_F_CAPTURE_FAULT);
	L_CONST(PG_L7_F_TLS);
	L_CONST(PG_PROC_EXEC);
	L_CONST(PG_PROC_EXIT);
	L_CONST(PG_PROC_OOM_KILL);
	L_CONST(PG_CNT_RB_DROP_CONN);
	L_CONST(PG_CNT_RB_DROP_L7);
	L_CONST(PG_CNT_RB_DROP_PROC);
	L_CONST(PG_CNT_CONN_EMITTED);
	L_CONST(PG_CNT_L7_EMITTED);
	L_CONST(PG_CNT_PROC_EMITTED);
	L_CONST(PG_CNT_TRACK_FAILED);
	L_CONST(PG_CNT_INFLIGHT_FAILED);
	L_CONST(PG_CNT_REQ_REPLACED);
	L_CONST(PG_CNT_CAPTURE_FAULT);
	L_CONST(PG_CNT_TLS_SKIPPED);
	L_CONST(PG_CNT_HTTP2_CONNS);
	L_CONST(PG_CNT_PROG_MISSES);
	L_CONST(PG_CNT_PROG_RUN_NS);
	L_CONST(PG_CNT_PROG_RUNS);
	L_CONST(PG_CNT_ADOPTED);
	L_CONST(PG_CNT_MAX);
	L_CONST(PG_EXIT_OK);
	L_CONST(PG_EXIT_RUNTIME);
	L_CONST(PG_EXIT_USAGE);
	L_CONST(PG_EXIT_OUTPUT);
	L_CONST(PG_EXIT_NO_PRIV);
	L_CONST(PG_EXIT_NO_BTF);
	L_CONST(PG_EXIT_VERIFIER);
	L_CONST(PG_EXIT_ATTACH);
	L_CONST(PG_EXIT_KERNEL);

	L_STRUCT(pg_hdr);
	L_FIELD(pg_hdr, magic);
	L_FIELD(pg_hdr, version);
	L_FIELD(pg_hdr, type);
	L_FIELD(pg_hdr, size);
	L_FIELD(pg_hdr, ts_ns);

	L_STRUCT(pg_addr);
	L_FIELD(pg_addr, local);
	L_FIELD(pg_addr, remote);
	L_FIELD(pg_addr, local_port);
	L_FIELD(pg_addr, remote_port);
	L_FIELD(pg_addr, family);

	L_STRUCT(pg_conn_rec);
	L_FIELD(pg_conn_rec, conn_id);
	L_FIELD(pg_conn_rec, pid);
	L_FIELD(pg_conn_rec, fd);
	L_FIELD(pg_conn_rec, kind);
	L_FIELD(pg_conn_rec, direction);
	L_FIELD(pg_conn_rec, tcp_state);
	L_FIELD(pg_conn_rec, flags);
	L_FIELD(pg_conn_rec, error);
	L_FIELD(pg_conn_rec, addr);
	L_FIELD(pg_conn_rec, bytes_sent);
	L_FIELD(pg_conn_rec, bytes_received);
	L_FIELD(pg_conn_rec, connect_ns);
	L_FIELD(pg_conn_rec, retransmits);
	L_FIELD(pg_conn_rec, srtt_us);

	L_STRUCT(pg_l7_rec);
	L_FIELD(pg_l7_rec, conn_id);
	L_FIELD(pg_l7_rec, pid);
	L_FIELD(pg_l7_rec, fd);
	L_FIELD(pg_l7_rec, protocol);
	L_FIELD(pg_l7_rec, side);
	L_FIELD(pg_l7_rec, method);
	L_FIELD(pg_l7_rec, flags);
	L_FIELD(pg_l7_rec, status);
	L_FIELD(pg_l7_rec, req_len);
	L_FIELD(pg_l7_rec, resp_len);
	L_FIELD(pg_l7_rec, addr);
	L_FIELD(pg_l7_rec, latency_ns);
	L_FIELD(pg_l7_rec, request_bytes);
	L_FIELD(pg_l7_rec, response_bytes);

	L_STRUCT(pg_h2_rec);
	L_FIELD(pg_h2_rec, conn_id);
	L_FIELD(pg_h2_rec, pid);
	L_FIELD(pg_h2_rec, fd);
	L_FIELD(pg_h2_rec, seq);
	L_FIELD(pg_h2_rec, len);
	L_FIELD(pg_h2_rec, side);
	L_FIELD(pg_h2_rec, is_write);
	L_FIELD(pg_h2_rec, flags);
	L_FIELD(pg_h2_rec, total);
	L_FIELD(pg_h2_rec, end_ns);
	L_FIELD(pg_h2_rec, addr);

	L_STRUCT(pg_proc_rec);
	L_FIELD(pg_proc_rec, pid);
	L_FIELD(pg_proc_rec, ppid);
	L_FIELD(pg_proc_rec, kind);
	L_FIELD(pg_proc_rec, exit_code);
	L_FIELD(pg_proc_rec, start_ns);
	L_FIELD(pg_proc_rec, comm);
	L_FIELD(pg_proc_rec, filename_len);
	L_FIELD(pg_proc_rec, filename);

	L_STRUCT(pg_hello_rec);
	L_FIELD(pg_hello_rec, loader_pid);
	L_FIELD(pg_hello_rec, capture_bytes);
	L_FIELD(pg_hello_rec, mono_ns);
	L_FIELD(pg_hello_rec, realtime_ns);
	L_FIELD(pg_hello_rec, ring_bytes);
	L_FIELD(pg_hello_rec, ncpus);

	L_STRUCT(pg_stats_rec);
	L_FIELD(pg_stats_rec, ncounters);
	L_FIELD(pg_stats_rec, frames_written);
	L_FIELD(pg_stats_rec, counters);
}

/* ---- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"  --capture-bytes N    payload prefix captured per request and response (1..%d, default %u)\n"
		"  --ring-bytes N       ring buffer size, a power of two >= 64 KiB (default %lu)\n"
		"  --wakeup-bytes N     pending bytes that wake the reader (default ring/16)\n"
		"  --poll-ms N          longest wait before pending records are read (default %u)\n"
		"  --stats-ms N         period of the STATS record (default %u)\n"
		"  --max-connections N  tracked connections (default %u)\n"
		"  --max-inflight N     requests waiting for a response (default %u)\n"
		"  --no-capture-unknown ship only exchanges the kernel recognised (HTTP/1.x)\n"
		"  --ignore-pid PID     do not track sockets of PID (repeatable; the loader always ignores itself)\n"
		"  --no-stdin           do not stop on EOF on stdin\n"
		"  --libssl PATH        OpenSSL library to probe for TLS plaintext (default: the host's libssl.so.3)\n"
		"  --no-tls             no TLS plaintext probes\n"
		"  --no-adopt           do not follow the connections open before the start (needs Linux 5.11)\n"
		"  --layout             print record layouts and wire constants, then exit\n"
		"  --verifier-stats     load, print each program's verification cost, then exit\n"
		"  --bpf-stats          measure time spent in the programs (kernel.bpf_stats; costs ~20 ns a run)\n"
		"  --verbose            print libbpf messages\n",
		PG_MAX_CAPTURE, opts.capture_bytes, opts.ring_bytes, opts.poll_ms, opts.stats_ms,
		opts.max_connections, opts.max_inflight);
}

static int parse_args(int argc, char **argv, bool *layout)
{
	enum { O_CAPTURE = 1000, O_RING, O_WAKEUP, O_POLL, O_STATS, O_MAXCONN, O_MAXINFL, O_NOUNK,
	       O_IGNORE, O_NOSTDIN, O_LAYOUT, O_VERBOSE, O_VSTATS, O_BPFSTATS, O_LIBSSL, O_NOTLS, O_NOADOPT, O_HELP };
	static const struct option longopts[] = {
		{ "capture-bytes", required_argument, NULL, O_CAPTURE },
		{ "ring-bytes", required_argument, NULL, O_RING },
		{ "wakeup-bytes", required_argument, NULL, O_WAKEUP },
		{ "poll-ms", required_argument, NULL, O_POLL },
		{ "stats-ms", required_argument, NULL, O_STATS },
		{ "max-connections", required_argument, NULL, O_MAXCONN },
		{ "max-inflight", required_argument, NULL, O_MAXINFL },
		{ "no-capture-unknown", no_argument, NULL, O_NOUNK },
		{ "ignore-pid", required_argument, NULL, O_IGNORE },
		{ "no-stdin", no_argument, NULL, O_NOSTDIN },
		{ "layout", no_argument, NULL, O_LAYOUT },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "verifier-stats", no_argument, NULL, O_VSTATS },
		{ "bpf-stats", no_argument, NULL, O_BPFSTATS },
		{ "libssl", required_argument, NULL, O_LIBSSL },
		{ "no-tls", no_argument, NULL, O_NOTLS },
		{ "no-adopt", no_argument, NULL, O_NOADOPT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_CAPTURE:
			if (parse_uint("capture-bytes", optarg, 1, PG_MAX_CAPTURE, &v))
				return -1;
			opts.capture_bytes = v;
			break;
		case O_RING:
			if (parse_uint("ring-bytes", optarg, 64 * 1024, 1UL << 30, &v))
				return -1;
			if (v & (v - 1)) {
				fail_line("usage", "--ring-bytes must be a power of two, got %lu", v);
				return -1;
			}
			opts.ring_bytes = v;
			break;
		case O_WAKEUP:
			if (parse_uint("wakeup-bytes", optarg, 1, 1UL << 30, &v))
				return -1;
			opts.wakeup_bytes = v;
			break;
		case O_POLL:
			if (parse_uint("poll-ms", optarg, 1, 10000, &v))
				return -1;
			opts.poll_ms = v;
			break;
		case O_STATS:
			if (parse_uint("stats-ms", optarg, 10, 3600000, &v))
				return -1;
			opts.stats_ms = v;
			break;
		case O_MAXCONN:
			if (parse_uint("max-connections", optarg, 64, 1U << 24, &v))
				return -1;
			opts.max_connections = v;
			break;
		case O_MAXINFL:
			if (parse_uint("max-inflight", optarg, 64, 1U << 22, &v))
				return -1;
			opts.max_inflight = v;
			break;
		case O_NOUNK:
			opts.capture_unknown = false;
			break;
		case O_IGNORE:
			if (parse_uint("ignore-pid", optarg, 1, INT_MAX, &v))
				return -1;
			if (opts.n_ignored >= sizeof(opts.ignored) / sizeof(opts.ignored[0]) - 1) {
				fail_line("usage", "too many --ignore-pid");
				return -1;
			}
			opts.ignored[opts.n_ignored++] = (pid_t)v;
			break;
		case O_NOSTDIN:
			opts.watch_stdin = false;
			break;
		case O_LIBSSL:
			if (!*optarg || access(optarg, R_OK)) {
				fail_line("usage", "--libssl %s: not a readable file", optarg);
				return -1;
			}
			opts.libssl = optarg;
			break;
		case O_NOTLS:
			opts.libssl = "";
			break;
		case O_NOADOPT:
			opts.adopt = false;
			break;
		case O_LAYOUT:
			*layout = true;
			break;
		case O_VERBOSE:
			opts.verbose = true;
			break;
		case O_VSTATS:
			opts.verifier_stats = true;
			break;
		case O_BPFSTATS:
			opts.bpf_stats = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(PG_EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fail_line("usage", "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (opts.wakeup_bytes == 0)
		opts.wakeup_bytes = opts.ring_bytes / 16;
	if (opts.wakeup_bytes >= opts.ring_bytes) {
		fail_line("usage", "--wakeup-bytes (%lu) must be below --ring-bytes (%lu)", opts.wakeup_bytes,
			  opts.ring_bytes);
		return -1;
	}
	return 0;
}

static int set_sizes(struct peregrine *skel)
{
	int err = 0;

	err = err ?: bpf_map__set_max_entries(skel->maps.events, opts.ring_bytes);
	err = err ?: bpf_map__set_max_entries(skel->maps.conns, opts.max_connections);
	err = err ?: bpf_map__set_max_entries(skel->maps.socks, opts.max_connections);
	err = err ?: bpf_map__set_max_entries(skel->maps.inflight, opts.max_inflight);
	return err;
}

#define VERIFIER_LOG_SIZE (4 * 1024 * 1024)

/* Whether the running kernel is at least major.minor (uname's release). */
static bool kernel_at_least(unsigned major, unsigned minor)
{
	struct utsname u;
	unsigned a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &a, &b) != 2)
		return true; /* unknown: try, and fail the load as before if it cannot be */
	return a > major || (a == major && b >= minor);
}

static int load(struct peregrine *skel)
{
	static char *verifier_log;
	struct bpf_program *prog;
	int err;

	/* One buffer for every program: libbpf only asks for a log after a failed load (it retries
	 * with log_level 1), and loading stops at the first failure, so it holds that failure. */
	verifier_log = calloc(1, VERIFIER_LOG_SIZE);
	if (!verifier_log) {
		fail_line("out of memory", "verifier log buffer");
		return PG_EXIT_RUNTIME;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		if (opts.verifier_stats) {
			/* BPF_LOG_STATS: one summary per program, in a buffer of its own. */
			char *own = calloc(1, 4096);

			if (!own) {
				fail_line("out of memory", "verifier stats buffer");
				free(verifier_log);
				return PG_EXIT_RUNTIME;
			}
			bpf_program__set_log_buf(prog, own, 4096);
			bpf_program__set_log_level(prog, 4);
		} else {
			bpf_program__set_log_buf(prog, verifier_log, VERIFIER_LOG_SIZE);
		}
	}

	if (opts.adopt && !kernel_at_least(5, 11)) {
		fprintf(stderr, PROG ": Linux older than 5.11 (no bpf_sock_from_file): connections open before the start "
				"are not adopted\n");
		opts.adopt = false;
	}
	if (!opts.adopt)
		bpf_program__set_autoload(skel->progs.pg_adopt, false);
	err = peregrine__load(skel);
	if (opts.verifier_stats) {
		bpf_object__for_each_program(prog, skel->obj) {
			size_t size;
			const char *stats = bpf_program__log_buf(prog, &size);

			fprintf(stderr, "%-28s %s", bpf_program__name(prog), stats && stats[0] ? stats : "(no stats)\n");
		}
		free(verifier_log);
		if (err)
			fail_line("verifier rejected a program", "%s", strerror(-err));
		return err ? PG_EXIT_VERIFIER : PG_EXIT_OK;
	}
	if (!err) {
		free(verifier_log);
		/* Programs keep pointers to the buffer; they never use it after load. */
		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_log_buf(prog, NULL, 0);
		return PG_EXIT_OK;
	}
	if (verifier_log[0]) {
		print_tail("verifier log", verifier_log, strnlen(verifier_log, VERIFIER_LOG_SIZE), 30);
		print_tail("libbpf", libbpf_log, libbpf_log_len, 3);
		/* ENOSPC: the log outgrew the buffer (its tail, printed above, says why it failed). */
		fail_line("verifier rejected a program", "%s",
			  err == -ENOSPC ? "see the log tail above" : strerror(-err));
		free(verifier_log);
		return PG_EXIT_VERIFIER;
	}
	free(verifier_log);
	if (err == -EPERM || err == -EACCES) {
		fail_line("no privileges", "bpf() denied loading the sensor (%s); run as root or with "
			  "CAP_BPF and CAP_PERFMON", strerror(-err));
		return PG_EXIT_NO_PRIV;
	}
	print_tail("libbpf", libbpf_log, libbpf_log_len, 5);
	fail_line("load failed", "%s", strerror(-err));
	return PG_EXIT_RUNTIME;
}

static bool is_uprobe(const struct bpf_program *prog)
{
	return strncmp(bpf_program__section_name(prog), "uprobe", 6) == 0 ||
	       strncmp(bpf_program__section_name(prog), "uretprobe", 9) == 0;
}

/* The host's OpenSSL 3 (or 1.1) library, where Debian, Ubuntu, Fedora, Alpine and Arch put it. */
static const char *find_libssl(void)
{
	static const char *const candidates[] = {
		"/usr/lib/x86_64-linux-gnu/libssl.so.3", "/lib/x86_64-linux-gnu/libssl.so.3",
		"/usr/lib/aarch64-linux-gnu/libssl.so.3", "/lib/aarch64-linux-gnu/libssl.so.3",
		"/usr/lib64/libssl.so.3", "/lib64/libssl.so.3", "/usr/lib/libssl.so.3", "/lib/libssl.so.3",
		"/usr/lib/x86_64-linux-gnu/libssl.so.1.1", "/usr/lib64/libssl.so.1.1", "/usr/lib/libssl.so.1.1",
	};

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

static struct bpf_link *attach_ssl(struct bpf_program *prog, const char *lib, const char *func, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = func, .retprobe = ret);

	return bpf_program__attach_uprobe_opts(prog, -1, lib, 0, &uo);
}

/*
 * TLS plaintext probes (l7/tls.h) on the host's libssl, for every process. Optional: without the
 * library, or when a probe does not attach, one line on stderr and the sensor goes on without
 * TLS plaintext (TLS connections are still seen, their exchanges are not). Links are kept for
 * the process's lifetime (the kernel detaches them when it exits).
 */
static void attach_tls(struct peregrine *skel)
{
	static const char *const funcs[] = { "SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex" };
	struct bpf_program *entries[] = { skel->progs.pg_ssl_write, skel->progs.pg_ssl_read,
					  skel->progs.pg_ssl_write_ex, skel->progs.pg_ssl_read_ex };
	const char *lib = opts.libssl ? opts.libssl : find_libssl();
	int attached = 0;

	if (lib && !*lib)
		return; /* --no-tls */
	if (!lib) {
		fprintf(stderr, PROG ": no libssl.so.3 found (--libssl PATH); TLS plaintext not captured\n");
		return;
	}
	for (int i = 0; i < 4; i++) {
		if (!attach_ssl(entries[i], lib, funcs[i], false))
			continue;
		if (!attach_ssl(skel->progs.pg_ssl_return, lib, funcs[i], true)) {
			fprintf(stderr, PROG ": %s: return probe of %s did not attach (%s)\n", lib, funcs[i],
				strerror(errno));
			continue;
		}
		attached++;
	}
	if (attached == 0)
		fprintf(stderr, PROG ": %s: no SSL_read/SSL_write probe attached; TLS plaintext not captured\n", lib);
}

static int attach(struct peregrine *skel)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_link *link;

		if (is_uprobe(prog))
			continue; /* attach_tls, by function name in a library */
		if (prog == skel->progs.pg_adopt)
			continue; /* adopt_connections, run once rather than attached */
		link = bpf_program__attach(prog);

		if (!link) {
			int err = errno;

			print_tail("libbpf", libbpf_log, libbpf_log_len, 3);
			fail_line("attach failed", "%s (%s): %s%s", bpf_program__name(prog),
				  bpf_program__section_name(prog), strerror(err),
				  err == ENOENT ? " (tracepoint missing, or tracefs not mounted)" : "");
			return PG_EXIT_ATTACH;
		}
		/* The skeleton owns the links it knows; this one is destroyed with the object. */
		for (int i = 0; i < skel->skeleton->prog_cnt; i++)
			if (*skel->skeleton->progs[i].prog == prog)
				*skel->skeleton->progs[i].link = link;
	}
	return PG_EXIT_OK;
}

/* Runs one pass of the pg_adopt iterator over every open file of every process. */
static int adopt_pass(struct bpf_link *link)
{
	char sink[64];
	ssize_t n;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return -errno;
	/* The program writes nothing: each read walks until the end, or returns EAGAIN after the
	 * kernel's cap of objects per read (1M files); the next read goes on from there. */
	while ((n = read(fd, sink, sizeof(sink))) > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * Adopts the TCP connections established before the sensor started (tcp/adopt.h); after attach(),
 * so that none opened in between is missed. Their PG_CONN_ADOPTED records wait in the ring for
 * run(), after HELLO. Best effort: without it the sensor still sees every new connection.
 */
static void adopt_connections(struct peregrine *skel)
{
	struct bpf_link *link;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct rusage ru0, ru1;
	int err;

	if (!opts.adopt)
		return;
	link = bpf_program__attach_iter(skel->progs.pg_adopt, NULL);
	if (!link) {
		fprintf(stderr, PROG ": connections open before the start not adopted: %s\n", strerror(errno));
		return;
	}
	getrusage(RUSAGE_SELF, &ru0);
	skel->bss->adopt_pass = PG_ADOPT_LISTENS;
	err = adopt_pass(link);
	if (!err) {
		skel->bss->adopt_pass = PG_ADOPT_CONNS;
		err = adopt_pass(link);
	}
	getrusage(RUSAGE_SELF, &ru1);
	if (err)
		fprintf(stderr, PROG ": adopting the connections open before the start failed: %s\n", strerror(-err));
	fprintf(stderr, PROG ": adoption of open connections took %.1f ms wall, %.1f ms cpu\n",
			(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6,
			((ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
			 (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e3);
	bpf_link__destroy(link);
}

static int run(struct peregrine *skel)
{
	struct ring_buffer *rb;
	struct epoll_event ev, events[4];
	struct pg_hello_rec hello;
	uint64_t next_stats;
	int epfd, rc = PG_EXIT_OK;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_sample, NULL, NULL);
	if (!rb) {
		fail_line("ring buffer", "%s", strerror(errno));
		return PG_EXIT_RUNTIME;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		fail_line("epoll", "%s", strerror(errno));
		ring_buffer__free(rb);
		return PG_EXIT_RUNTIME;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = ring_buffer__epoll_fd(rb);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
		fail_line("epoll", "%s", strerror(errno));
		rc = PG_EXIT_RUNTIME;
		goto out;
	}
	if (opts.watch_stdin) {
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.fd = STDIN_FILENO;
		/* EPERM: stdin is a regular file or /dev/null, which cannot be watched (nor closed):
		 * then only signals stop the loader. */
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, STDIN_FILENO, &ev) && errno != EPERM) {
			fail_line("epoll", "stdin: %s", strerror(errno));
			rc = PG_EXIT_RUNTIME;
			goto out;
		}
	}

	/* A pipe of one output buffer: one write(2) per flush instead of a wake-up of the reader and
	 * a blocked write per 64 KiB (the default). Best effort: stdout may be no pipe, or the
	 * size above /proc/sys/fs/pipe-max-size for an unprivileged loader. */
	fcntl(STDOUT_FILENO, F_SETPIPE_SZ, OUT_CAP);

	memset(&hello, 0, sizeof(hello));
	hdr_init(&hello.hdr, PG_REC_HELLO, sizeof(hello));
	hello.loader_pid = (uint32_t)getpid();
	hello.capture_bytes = opts.capture_bytes;
	hello.mono_ns = clock_ns(CLOCK_MONOTONIC);
	hello.realtime_ns = clock_ns(CLOCK_REALTIME);
	hello.hdr.ts_ns = hello.mono_ns;
	hello.ring_bytes = (uint32_t)opts.ring_bytes;
	hello.ncpus = (uint32_t)ncpus;
	out_frame(&hello, sizeof(hello));
	if (out_flush()) {
		rc = PG_EXIT_OUTPUT;
		goto out;
	}

	next_stats = clock_ns(CLOCK_MONOTONIC) + (uint64_t)opts.stats_ms * 1000000ULL;
	while (!stop_signal) {
		uint64_t now;
		int n = epoll_wait(epfd, events, 4, (int)opts.poll_ms);

		if (n < 0 && errno != EINTR) {
			fail_line("epoll_wait", "%s", strerror(errno));
			rc = PG_EXIT_RUNTIME;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == STDIN_FILENO) {
				char sink[256];
				ssize_t r = read(STDIN_FILENO, sink, sizeof(sink));

				if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
					stop_signal = -1; /* the agent is gone or asks us to stop */
			}
		}
		/* On wake-up or on timeout alike: producers wake us only past --wakeup-bytes. */
		if (ring_buffer__consume(rb) < 0 && !out_broken) {
			fail_line("ring buffer", "consume failed");
			rc = PG_EXIT_RUNTIME;
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= next_stats) {
			write_stats(skel);
			next_stats = now + (uint64_t)opts.stats_ms * 1000000ULL;
		}
		if (out_broken || out_flush()) {
			rc = PG_EXIT_OUTPUT;
			break;
		}
	}
	if (rc == PG_EXIT_OK) {
		/* Drain what the kernel produced before the stop, then the final counters. */
		ring_buffer__consume(rb);
		write_stats(skel);
		if (out_flush())
			rc = PG_EXIT_OUTPUT;
	}
out:
	close(epfd);
	ring_buffer__free(rb);
	return rc;
}

int main(int argc, char **argv)
{
	struct peregrine *skel;
	struct sigaction sa;
	struct btf *vmlinux_btf;
	bool layout = false;
	int rc;

	if (parse_args(argc, argv, &layout))
		return PG_EXIT_USAGE;
	if (layout) {
		print_layout();
		return fflush(stdout) ? PG_EXIT_OUTPUT : PG_EXIT_OK;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked write or wait returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* EPIPE from write(2) instead */

	libbpf_set_print(on_libbpf_print);

	if (!has_bpf_capabilities()) {
		fail_line("no privileges", "need CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON (run as root)");
		return PG_EXIT_NO_PRIV;
	}
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf) {
		/* libbpf says ESRCH when no candidate location exists: not worth printing. */
		fail_line("no kernel BTF", "cannot read /sys/kernel/btf/vmlinux%s%s; CO-RE needs a kernel "
			  "built with CONFIG_DEBUG_INFO_BTF=y", errno == ESRCH ? "" : ": ",
			  errno == ESRCH ? "" : strerror(errno));
		return PG_EXIT_NO_BTF;
	}
	btf__free(vmlinux_btf);
	rc = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (rc == -EPERM || rc == -EACCES) {
		fail_line("no privileges", "bpf() denied (%s); run as root or with CAP_BPF and CAP_PERFMON",
			  strerror(-rc));
		return PG_EXIT_NO_PRIV;
	}
	if (rc == 0) {
		fail_line("unsupported kernel", "no BPF ring buffer (needs Linux 5.8+)");
		return PG_EXIT_KERNEL;
	}

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fail_line("cpus", "cannot count possible CPUs (%s)", strerror(-ncpus));
		return PG_EXIT_RUNTIME;
	}
	percpu_values = calloc((size_t)ncpus, sizeof(uint64_t));
	if (!percpu_values) {
		fail_line("out of memory", "per-CPU counters");
		return PG_EXIT_RUNTIME;
	}

	skel = peregrine__open();
	if (!skel) {
		fail_line("open failed", "%s", strerror(errno));
		return PG_EXIT_RUNTIME;
	}
	skel->rodata->cfg_capture_bytes = opts.capture_bytes;
	skel->rodata->cfg_wakeup_bytes = opts.wakeup_bytes;
	skel->rodata->cfg_capture_unknown = opts.capture_unknown;
	if (set_sizes(skel)) {
		fail_line("open failed", "cannot size maps");
		rc = PG_EXIT_RUNTIME;
		goto out;
	}
	rc = load(skel);
	if (rc != PG_EXIT_OK || opts.verifier_stats)
		goto out;

	opts.ignored[opts.n_ignored++] = getpid();
	for (unsigned i = 0; i < opts.n_ignored; i++) {
		uint32_t tgid = (uint32_t)opts.ignored[i];
		uint8_t one = 1;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.ignored_tgids), &tgid, &one, BPF_ANY)) {
			fail_line("map update", "ignored pid %u: %s", tgid, strerror(errno));
			rc = PG_EXIT_RUNTIME;
			goto out;
		}
	}

	if (opts.bpf_stats) {
		/* Run-time accounting for every BPF program while this fd is open (closed at exit). */
		int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

		if (stats_fd < 0)
			fprintf(stderr, PROG ": --bpf-stats unavailable (%s); going on without\n", strerror(errno));
	}
	ensure_tracefs();
	rc = attach(skel);
	if (rc != PG_EXIT_OK)
		goto out;
	attach_tls(skel);
	adopt_connections(skel);
	rc = run(skel);
out:
	peregrine__destroy(skel);
	free(percpu_values);
	return rc;
}
