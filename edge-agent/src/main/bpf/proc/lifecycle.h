/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Process lifecycle: exec, exit of the whole thread group, OOM-kill victim.
 * Records are reserved in the ring buffer and filled in place (they are fixed-size), and zeroed
 * first: reserved ring memory holds older records' bytes, which must not leak into padding.
 */
#ifndef PEREGRINE_PROC_LIFECYCLE_H
#define PEREGRINE_PROC_LIFECYCLE_H

static __always_inline struct pg_proc_rec *proc_reserve(__u8 kind, __u64 now)
{
	struct pg_proc_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		count(PG_CNT_RB_DROP_PROC);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->hdr, PG_REC_PROC, sizeof(*r), now);
	r->kind = kind;
	return r;
}

static __always_inline void proc_submit(struct pg_proc_rec *r)
{
	bpf_ringbuf_submit(r, wakeup_flags_reserved(sizeof(*r)));
	count(PG_CNT_PROC_EMITTED);
}

static __always_inline void proc_task_fields(struct pg_proc_rec *r, struct task_struct *task)
{
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	r->start_ns = BPF_CORE_READ(task, start_time);
	bpf_get_current_comm(r->comm, sizeof(r->comm));
}

SEC("tracepoint/sched/sched_process_exec")
int pg_sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct pg_proc_rec *r = proc_reserve(PG_PROC_EXEC, bpf_ktime_get_ns());
	__u32 off = ctx->__data_loc_filename & 0xFFFF; /* __data_loc: offset in the low 16 bits */
	long n;

	if (!r)
		return 0;
	r->pid = ctx->pid;
	proc_task_fields(r, (struct task_struct *)bpf_get_current_task());
	n = bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), (void *)ctx + off);
	r->filename_len = n > 0 ? n - 1 : 0;
	proc_submit(r);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int pg_sched_process_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pg_proc_rec *r;
	bool group_dead;

	/* One record per process, from its last thread. Kernels with the tracepoint's group_dead
	 * (recent kernels) say so exactly; before, signal->live has already been decremented by do_exit(). */
	if (bpf_core_field_exists(ctx->group_dead))
		group_dead = ctx->group_dead;
	else
		group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	if (!group_dead)
		return 0;
	r = proc_reserve(PG_PROC_EXIT, bpf_ktime_get_ns());
	if (!r)
		return 0;
	r->pid = BPF_CORE_READ(task, tgid);
	r->exit_code = BPF_CORE_READ(task, exit_code);
	proc_task_fields(r, task);
	proc_submit(r);
	return 0;
}

SEC("tracepoint/oom/mark_victim")
int pg_oom_mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	/* Runs in the allocating task: the victim is only known by pid (and, on newer kernels, comm). */
	struct pg_proc_rec *r = proc_reserve(PG_PROC_OOM_KILL, bpf_ktime_get_ns());

	if (!r)
		return 0;
	r->pid = ctx->pid;
	r->exit_code = 9; /* SIGKILL */
	if (bpf_core_field_exists(ctx->__data_loc_comm)) {
		__u32 off = ctx->__data_loc_comm & 0xFFFF;
		bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), (void *)ctx + off);
	}
	proc_submit(r);
	return 0;
}

#endif /* PEREGRINE_PROC_LIFECYCLE_H */
