package io.peregrine.agent.procfs;

/**
 * Host-wide TCP counters of one network namespace, from /proc/net/snmp ({@code Tcp:}) and
 * /proc/net/netstat ({@code TcpExt:}); cumulative since boot except {@code currEstab}. A counter the
 * kernel did not print is -1.
 */
public record TcpCounters(
    long activeOpens,
    long passiveOpens,
    long attemptFails,
    long estabResets,
    long currEstab,
    long inSegs,
    long outSegs,
    long retransSegs,
    long outRsts,
    long listenOverflows,
    long listenDrops) {
}
