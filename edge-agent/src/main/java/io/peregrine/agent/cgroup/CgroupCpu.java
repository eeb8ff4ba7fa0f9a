package io.peregrine.agent.cgroup;

import java.util.OptionalDouble;

/**
 * CPU accounting of a cgroup, cumulative since it was created, in nanoseconds whatever the
 * hierarchy reports (v2 microseconds, v1 nanoseconds and USER_HZ ticks). A value the hierarchy
 * does not report is -1: throttling without the cpu controller enabled, the user/system split on
 * v1 without cpuacct.stat.
 *
 * @param periods CFS enforcement periods in which the cgroup had runnable tasks (0 without quota)
 * @param throttledPeriods periods in which the quota ran out
 * @param throttledNanos time the cgroup spent throttled
 * @param quotaMicros CPU time allowed per period, -1 when unlimited or unknown
 * @param periodMicros length of the enforcement period, -1 when unknown
 */
public record CgroupCpu(
    long usageNanos,
    long userNanos,
    long systemNanos,
    long periods,
    long throttledPeriods,
    long throttledNanos,
    long quotaMicros,
    long periodMicros) {

  /** The limit in cores (quota / period), empty when unlimited. */
  public OptionalDouble limitCores() {
    return quotaMicros > 0 && periodMicros > 0
        ? OptionalDouble.of(quotaMicros / (double) periodMicros) : OptionalDouble.empty();
  }

  /** Collects the values of several files; every field starts at -1. */
  public static final class Builder {
    long usageNanos = -1;
    long userNanos = -1;
    long systemNanos = -1;
    long periods = -1;
    long throttledPeriods = -1;
    long throttledNanos = -1;
    long quotaMicros = -1;
    long periodMicros = -1;

    public CgroupCpu build() {
      return new CgroupCpu(usageNanos, userNanos, systemNanos, periods, throttledPeriods,
          throttledNanos, quotaMicros, periodMicros);
    }
  }
}
