/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connections that change hands at fork: a pre-fork server (the PostgreSQL postmaster, Python's
 * ForkingMixIn, inetd) accepts a connection, forks, and the child serves it on the same fd number
 * while the parent closes its copy. Connections are tracked per (tgid, fd), so without this the
 * child's reads and writes would not be seen and the parent's close would report the connection
 * closed while it is in use.
 *
 *  - At fork (of a process, not a thread; with its own copy of the fd table), when the parent has
 *    tracked connections: every tracked TCP connection among the child's open fds is copied to
 *    (child, fd) with the same connection id, and the socket's owner (for state changes and
 *    retransmits) becomes the child. Bounded: the first PG_FORK_MAX_FDS fds, at most
 *    PG_FORK_MAX_COPIES copies per fork.
 *  - close(2) of a copy while the socket is still referenced elsewhere (its struct file holds more
 *    than one reference: the other process's fd table) forgets that copy silently: no CLOSE, the
 *    connection lives on in the other process. The last reference's close is the real one.
 *  - exec drops the copies whose fds were close-on-exec (the kernel closed them without close(2)),
 *    so a helper the parent forks and execs does not keep the parent's connections.
 * A copy whose process exits without close(2) (the kernel drops its fd table) lingers until LRU
 * eviction; the other copy's close then holds the last reference and reports the CLOSE.
 */
#ifndef PEREGRINE_TCP_FORK_H
#define PEREGRINE_TCP_FORK_H

#define PG_FORK_MAX_FDS 1024  /* fds scanned at a fork: 16 words of the open-fds bitmap */
#define PG_FORK_MAX_COPIES 8  /* connections copied per fork */

/* Processes that have tracked a connection: only their forks are scanned. Never cleared but by LRU:
 * a stale entry costs one scan of a fork, nothing else. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} conn_procs SEC(".maps");

/* Socket -> tracked copies beyond the first, for the sockets that have some. */
struct fork_share {
	__u32 copies;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct sock * */
	__type(value, struct fork_share);
} shared_socks SEC(".maps");

/* A forked child that received copies: where they came from, and their fds (for exec). */
struct fork_child {
	__u32 parent;
	__u32 n;
	__s32 fds[PG_FORK_MAX_COPIES];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid */
	__type(value, struct fork_child);
} fork_children SEC(".maps");

/* struct file before Linux 6.13, whose f_count became f_ref (file_ref_t, which stores count - 1). */
struct file___pre613 {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

struct file_ref___pg {
	atomic_long_t refcnt;
};

struct file___613 {
	struct file_ref___pg f_ref;
} __attribute__((preserve_access_index));

/* References to the open file: one per fd table holding it (plus transient syscall ones). */
static __always_inline long file_refs(struct file *f)
{
	if (bpf_core_field_exists(((struct file___613 *)0)->f_ref)) {
		long v = BPF_CORE_READ((struct file___613 *)f, f_ref.refcnt.counter);
		return v >= 0 ? v + 1 : 0; /* negative: the dead or saturated zones */
	}
	return BPF_CORE_READ((struct file___pre613 *)f, f_count.counter);
}

/* Called by track(): this process has a tracked connection now. */
static __always_inline void fork_note_tracker(__u32 tgid)
{
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&conn_procs, &tgid))
		bpf_map_update_elem(&conn_procs, &tgid, &one, BPF_ANY);
}

/*
 * Forgets the copy at `key` without a CLOSE (another process still has the socket): flushes its
 * exchange in progress, and hands the socket's ownership back to the process it was copied from
 * when this copy was the owner.
 */
static __always_inline void fork_forget_copy(struct conn_key *key, struct conn *c, struct fork_share *sh, __u64 now)
{
	__u64 sk = c->sk;
	struct sock_owner *o;

	l7_on_close(key, c, now);
	bpf_map_delete_elem(&conns, key);
	if (sh->copies > 1)
		sh->copies--;
	else
		bpf_map_delete_elem(&shared_socks, &sk);
	o = bpf_map_lookup_elem(&socks, &sk);
	if (o && o->tgid == key->tgid && o->fd == key->fd) {
		struct fork_child *fc = bpf_map_lookup_elem(&fork_children, &key->tgid);
		struct conn_key pk = { .fd = key->fd };
		struct conn *pc;

		if (!fc)
			return;
		pk.tgid = fc->parent;
		pc = bpf_map_lookup_elem(&conns, &pk);
		if (pc && pc->sk == sk)
			o->tgid = pk.tgid;
	}
}

/*
 * Called by close(2) of a tracked connection: true when it was a copy whose socket lives on in
 * another process (forgotten here, no CLOSE); false for a real close, which the caller reports.
 */
static __always_inline bool fork_close_copy(struct conn_key *key, struct conn *c, __u64 now)
{
	struct fork_share *sh;
	struct file *f;
	__u64 sk = c->sk;

	if (c->flags & CONN_F_UDP)
		return false;
	sh = bpf_map_lookup_elem(&shared_socks, &sk);
	if (!sh)
		return false;
	f = file_of_fd(key->fd);
	if (!f || file_refs(f) <= 1) {
		/* The last reference: the other copies' processes are gone. */
		bpf_map_delete_elem(&shared_socks, &sk);
		return false;
	}
	fork_forget_copy(key, c, sh, now);
	return true;
}

struct fork_scan {
	struct fdtable *fdt;
	__u32 parent;
	__u32 child;
	__u32 words;
	struct fork_child out;
};

/* Copies the parent's connection on `fd` to the child, if it has one. Returns false when full. */
static __always_inline bool fork_copy_fd(struct fork_scan *x, __s32 fd)
{
	struct conn_key pk = { .tgid = x->parent, .fd = fd };
	struct conn_key ck = { .tgid = x->child, .fd = fd };
	struct fork_share one = { .copies = 1 };
	struct fork_share *sh;
	struct sock_owner *o;
	struct conn *pc = bpf_map_lookup_elem(&conns, &pk);
	struct conn copy;
	__u32 n = x->out.n;

	if (!pc || (pc->flags & CONN_F_UDP))
		return true;
	if (n >= PG_FORK_MAX_COPIES)
		return false;
	copy = *pc;
	copy.inflight = 0; /* the parent's exchange in progress stays the parent's */
	mark_tracking(ck.tgid);
	if (bpf_map_update_elem(&conns, &ck, &copy, BPF_ANY)) {
		count(PG_CNT_TRACK_FAILED);
		return true;
	}
	sh = bpf_map_lookup_elem(&shared_socks, &copy.sk);
	if (sh)
		__sync_fetch_and_add(&sh->copies, 1);
	else
		bpf_map_update_elem(&shared_socks, &copy.sk, &one, BPF_ANY);
	/* The child is the one that goes on with it (the parent of a pre-fork server closes it). */
	o = bpf_map_lookup_elem(&socks, &copy.sk);
	if (o && o->tgid == pk.tgid && o->fd == fd)
		o->tgid = ck.tgid;
	x->out.fds[n & (PG_FORK_MAX_COPIES - 1)] = fd;
	x->out.n = n + 1;
	return true;
}

struct fork_scan_ctx {
	struct fork_scan *x; /* bpf_loop's context must be on the stack; the state is in the scratch */
};

/* One 64-fd word of the child's open-fds bitmap. */
static long fork_scan_word(__u64 i, void *ctx)
{
	struct fork_scan *x = ((struct fork_scan_ctx *)ctx)->x;
	struct fdtable *fdt = x->fdt; /* not inside BPF_CORE_READ: x is no kernel type */
	unsigned long *open_fds;
	__u64 word = 0;

	if (i >= x->words)
		return 1;
	open_fds = BPF_CORE_READ(fdt, open_fds);
	if (!open_fds || bpf_probe_read_kernel(&word, sizeof(word), &open_fds[i]))
		return 1;
	for (int b = 0; b < 64 && word; b++, word >>= 1) {
		if ((word & 1) && !fork_copy_fd(x, (__s32)(i * 64 + b)))
			return 1;
	}
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pg_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct fork_scan_ctx sc;
	struct fork_scan *x;
	struct scratch *s;
	struct fdtable *fdt;
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u32 max_fds;

	if (ptgid == ctgid || parent->files == child->files)
		return 0; /* a thread, or a process sharing the fd table: same fds, same tracking */
	if (!bpf_map_lookup_elem(&conn_procs, &ptgid) || is_ignored(ptgid))
		return 0;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return 0;
	s = get_scratch();
	if (!s)
		return 0;
	/* The scan's state in the per-CPU scratch's capture buffer, which is free between syscalls. */
	x = (struct fork_scan *)s->cap;
	__builtin_memset(x, 0, sizeof(*x));
	fdt = BPF_CORE_READ(child, files, fdt);
	if (!fdt)
		return 0;
	x->fdt = fdt;
	max_fds = BPF_CORE_READ(fdt, max_fds);
	if (max_fds > PG_FORK_MAX_FDS)
		max_fds = PG_FORK_MAX_FDS;
	x->words = (max_fds + 63) / 64;
	x->parent = ptgid;
	x->child = ctgid;
	x->out.parent = ptgid;
	sc.x = x;
	bpf_loop(PG_FORK_MAX_FDS / 64, fork_scan_word, &sc, 0);
	if (x->out.n) {
		bpf_map_update_elem(&fork_children, &ctgid, &x->out, BPF_ANY);
		fork_note_tracker(ctgid);
	}
	return 0;
}

/* After exec: the copies whose fds were close-on-exec are gone from the fd table; forget them. */
SEC("tracepoint/sched/sched_process_exec")
int pg_fork_exec(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct fork_child *fc = bpf_map_lookup_elem(&fork_children, &tgid);
	__u64 now;

	if (!fc)
		return 0;
	now = bpf_ktime_get_ns();
	for (int i = 0; i < PG_FORK_MAX_COPIES; i++) {
		struct conn_key key = { .tgid = tgid };
		struct fork_share *sh;
		struct socket *sock;
		struct conn *c;

		if (i >= fc->n)
			break;
		key.fd = fc->fds[i];
		c = bpf_map_lookup_elem(&conns, &key);
		if (!c)
			continue;
		sock = socket_of_fd(key.fd);
		if (sock && (__u64)BPF_CORE_READ(sock, sk) == c->sk)
			continue; /* inherited across exec (no FD_CLOEXEC): still the child's */
		sh = bpf_map_lookup_elem(&shared_socks, &c->sk);
		if (sh)
			fork_forget_copy(&key, c, sh, now);
		else
			bpf_map_delete_elem(&conns, &key);
	}
	bpf_map_delete_elem(&fork_children, &tgid);
	return 0;
}

#endif /* PEREGRINE_TCP_FORK_H */
