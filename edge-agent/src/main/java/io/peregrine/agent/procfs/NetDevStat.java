package io.peregrine.agent.procfs;

/** Counters of one network interface from /proc/net/dev, cumulative since it was created. */
public record NetDevStat(
    String name,
    long rxBytes,
    long rxPackets,
    long rxErrors,
    long rxDrops,
    long txBytes,
    long txPackets,
    long txErrors,
    long txDrops) {
}
