package io.peregrine.agent.procfs;

/**
 * /proc/loadavg: load averages over 1, 5 and 15 minutes, then tasks runnable now / tasks that
 * exist (threads included) and the most recently created pid.
 */
public record LoadAvg(double load1, double load5, double load15, long runnable, long tasks, long lastPid) {
}
