package io.peregrine.agent.procfs;

/**
 * I/O counters of one whole block device from /proc/diskstats, cumulative since boot (or since the
 * device appeared). Byte counts are sectors x 512: the kernel counts diskstats sectors in 512-byte
 * units whatever the device's real sector size.
 *
 * @param readTimeMillis milliseconds spent by all reads (a sum over requests, can exceed wall time)
 * @param writeTimeMillis milliseconds spent by all writes
 * @param ioTimeMillis milliseconds during which the device had I/O in flight (busy time)
 */
public record DiskStat(
    String device,
    int major,
    int minor,
    long readsCompleted,
    long writesCompleted,
    long readBytes,
    long writtenBytes,
    long readTimeMillis,
    long writeTimeMillis,
    long ioTimeMillis) {
}
