package io.peregrine.agent.procfs;

/**
 * What the agent uses of /proc/&lt;pid&gt;/status. Memory is in bytes (the file prints kB); a
 * field the kernel did not print is -1, as for kernel threads, which have no Vm* lines.
 *
 * @param realUid first value of {@code Uid:}
 * @param effectiveUid second value of {@code Uid:}
 * @param namespacePid last value of {@code NStgid:}: the pid as the process's own (innermost) pid
 *     namespace sees it, e.g. 1 for a container's init; -1 before Linux 4.1
 */
public record PidStatus(
    int realUid,
    int effectiveUid,
    long vmRssBytes,
    long rssAnonBytes,
    long rssFileBytes,
    long rssShmemBytes,
    long vmSwapBytes,
    int threads,
    int namespacePid,
    long voluntaryContextSwitches,
    long nonvoluntaryContextSwitches) {
}
