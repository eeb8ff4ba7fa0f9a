package io.peregrine.agent.procfs;

/**
 * What the agent uses of /proc/&lt;pid&gt;/stat (proc(5); field numbers in brackets). CPU and start
 * times are in clock ticks (USER_HZ); convert with {@link #seconds(long, int)}.
 *
 * @param pid [1] process id
 * @param comm [2] kernel task name, at most 15 bytes, may hold blanks and parentheses
 * @param state [3] R, S, D, Z, T, t, X, I, ...
 * @param ppid [4] parent pid
 * @param pgrp [5] process group id
 * @param session [6] session id
 * @param flags [9] kernel PF_* flags
 * @param utimeTicks [14] user-mode CPU time of the process (all its threads)
 * @param stimeTicks [15] kernel-mode CPU time
 * @param numThreads [20] threads of the process
 * @param startTimeTicks [22] start time after boot
 * @param vsizeBytes [23] virtual memory size
 * @param rssPages [24] resident set size in pages
 */
public record PidStat(
    int pid,
    String comm,
    char state,
    int ppid,
    int pgrp,
    int session,
    long flags,
    long utimeTicks,
    long stimeTicks,
    int numThreads,
    long startTimeTicks,
    long vsizeBytes,
    long rssPages) {

  /** PF_KTHREAD from include/linux/sched.h: the task is a kernel thread. */
  public static final long PF_KTHREAD = 0x00200000L;

  public boolean isKernelThread() {
    return (flags & PF_KTHREAD) != 0;
  }

  public boolean isZombie() {
    return state == 'Z';
  }

  public static double seconds(long ticks, int userHz) {
    return ticks / (double) userHz;
  }
}
