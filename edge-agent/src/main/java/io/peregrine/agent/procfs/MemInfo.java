package io.peregrine.agent.procfs;

/**
 * Memory gauges from /proc/meminfo in bytes (the file prints kB, i.e. KiB). A field the kernel did
 * not print is -1 (MemAvailable appeared in 3.14).
 */
public record MemInfo(
    long totalBytes,
    long freeBytes,
    long availableBytes,
    long buffersBytes,
    long cachedBytes,
    long shmemBytes,
    long swapTotalBytes,
    long swapFreeBytes) {
}
