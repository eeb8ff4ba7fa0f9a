package io.peregrine.agent.procfs;

/**
 * What the agent uses of /proc/stat. Counters are cumulative since boot; a field the kernel did not
 * print is -1.
 *
 * @param cpu CPU time by mode, from the aggregate {@code cpu} line
 * @param onlineCpus number of {@code cpuN} lines, i.e. online logical CPUs
 * @param contextSwitches {@code ctxt}: context switches since boot
 * @param bootTimeEpochSeconds {@code btime}: boot time in seconds since the epoch
 * @param processesCreated {@code processes}: forks since boot
 * @param procsRunning {@code procs_running}: runnable tasks now (gauge)
 * @param procsBlocked {@code procs_blocked}: tasks blocked on I/O now (gauge)
 */
public record KernelStat(
    CpuTimes cpu,
    int onlineCpus,
    long contextSwitches,
    long bootTimeEpochSeconds,
    long processesCreated,
    long procsRunning,
    long procsBlocked) {
}
