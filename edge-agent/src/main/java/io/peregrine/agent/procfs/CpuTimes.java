package io.peregrine.agent.procfs;

/**
 * CPU time by mode in seconds, summed over all CPUs and cumulative since boot: the {@code cpu}
 * line of /proc/stat converted from USER_HZ ticks. Guest time is included in user and nice, as
 * the kernel reports it. Modes an old kernel does not print are 0.
 */
public record CpuTimes(
    double user,
    double nice,
    double system,
    double idle,
    double iowait,
    double irq,
    double softirq,
    double steal) {

  /** Sum of every mode. */
  public double total() {
    return user + nice + system + idle + iowait + irq + softirq + steal;
  }
}
