package io.peregrine.agent.cgroup;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.internal.KeyedValues;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;

/**
 * Parsers of the cgroupfs files the agent reads, v2 (Documentation/admin-guide/cgroup-v2.rst) and
 * v1 (Documentation/admin-guide/cgroup-v1/{cpuacct,memory}.rst, scheduler/sched-bwc.rst). Each
 * fills its fields of a {@link CgroupCpu.Builder} or {@link CgroupMemory.Builder} and returns
 * whether the file was usable; fields of an unusable file stay -1 and the cause is reported.
 */
public final class CgroupFiles {

  /**
   * v1 has no "unlimited" word: an unlimited memory.limit_in_bytes reads PAGE_COUNTER_MAX pages in
   * bytes, 9223372036854771712 with 4 KiB pages and a little less with 64 KiB pages. Anything at
   * or above 2^60 bytes (1 EiB) is taken for that.
   */
  static final long V1_UNLIMITED_THRESHOLD = 1L << 60;

  private static final String[] V2_CPU_KEYS = {
      "usage_usec", "user_usec", "system_usec", "nr_periods", "nr_throttled", "throttled_usec"};
  private static final String[] V1_CPU_KEYS = {"nr_periods", "nr_throttled", "throttled_time"};
  private static final String[] USER_SYSTEM = {"user", "system"};
  private static final String[] V2_MEMORY_KEYS = {"anon", "file"};
  private static final String[] V1_MEMORY_KEYS = {"total_rss", "total_cache", "rss", "cache"};
  private static final String[] OOM_KILL = {"oom_kill"};

  private CgroupFiles() {
  }

  // ------------------------------------------------------------------------------------------ v2

  /**
   * v2 cpu.stat. Without the cpu controller enabled for the cgroup (hybrid hosts, or a parent whose
   * cgroup.subtree_control lacks cpu) only the three usage keys are present, and throttling stays
   * -1; that is not a problem.
   */
  public static boolean v2CpuStat(byte[] buf, int length, CgroupCpu.Builder cpu,
      ParseProblems problems) {
    String source = "cgroup v2 cpu.stat";
    long[] v = flatKeyed(buf, length, V2_CPU_KEYS, source, problems);
    if (v[0] < 0) {
      problems.report(source, Cause.MISSING_FIELD);
      return false;
    }
    cpu.usageNanos = micros(v[0]);
    cpu.userNanos = micros(v[1]);
    cpu.systemNanos = micros(v[2]);
    cpu.periods = v[3];
    cpu.throttledPeriods = v[4];
    cpu.throttledNanos = micros(v[5]);
    return true;
  }

  /** v2 cpu.max, {@code $MAX $PERIOD}: {@code max 100000} (unlimited) or {@code 50000 100000}. */
  public static boolean v2CpuMax(byte[] buf, int length, CgroupCpu.Builder cpu,
      ParseProblems problems) {
    String source = "cgroup v2 cpu.max";
    AsciiCursor c = firstLine(buf, length, source, problems);
    if (c == null) {
      return false;
    }
    if (!c.nextToken()) {
      problems.report(source, Cause.MALFORMED_LINE);
      return false;
    }
    long quota = c.tokenIs("max") ? -1 : c.tokenAsLong();
    long period = c.nextLong();
    if (quota == 0 || quota < -1 || period <= 0) {
      problems.report(source, Cause.BAD_NUMBER);
      return false;
    }
    cpu.quotaMicros = quota;
    cpu.periodMicros = period;
    return true;
  }

  public static boolean v2MemoryCurrent(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    long v = singleValue(buf, length, "cgroup v2 memory.current", false, problems);
    if (v < 0) {
      return false;
    }
    memory.usageBytes = v;
    return true;
  }

  public static boolean v2MemoryStat(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    String source = "cgroup v2 memory.stat";
    long[] v = flatKeyed(buf, length, V2_MEMORY_KEYS, source, problems);
    if (v[0] < 0 || v[1] < 0) {
      problems.report(source, Cause.MISSING_FIELD);
      return false;
    }
    memory.anonBytes = v[0];
    memory.fileBytes = v[1];
    return true;
  }

  /** v2 memory.max: bytes, or {@code max} for unlimited. */
  public static boolean v2MemoryMax(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    long v = singleValue(buf, length, "cgroup v2 memory.max", true, problems);
    if (v == AsciiCursor.NO_VALUE) {
      return false;
    }
    memory.limitBytes = v;
    return true;
  }

  /** v2 memory.events: {@code oom_kill}, which counts the cgroup's descendants too. */
  public static boolean v2MemoryEvents(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    long v = oomKill(buf, length, "cgroup v2 memory.events", problems);
    if (v < 0) {
      return false;
    }
    memory.oomKills = v;
    return true;
  }

  // ------------------------------------------------------------------------------------------ v1

  /** v1 cpuacct.usage: total CPU time in nanoseconds. */
  public static boolean v1CpuacctUsage(byte[] buf, int length, CgroupCpu.Builder cpu,
      ParseProblems problems) {
    long v = singleValue(buf, length, "cgroup v1 cpuacct.usage", false, problems);
    if (v < 0) {
      return false;
    }
    cpu.usageNanos = v;
    return true;
  }

  /** v1 cpuacct.stat: {@code user} and {@code system} in USER_HZ ticks. */
  public static boolean v1CpuacctStat(byte[] buf, int length, int userHz, CgroupCpu.Builder cpu,
      ParseProblems problems) {
    String source = "cgroup v1 cpuacct.stat";
    long[] v = flatKeyed(buf, length, USER_SYSTEM, source, problems);
    if (v[0] < 0 || v[1] < 0) {
      problems.report(source, Cause.MISSING_FIELD);
      return false;
    }
    long nanosPerTick = 1_000_000_000L / userHz;
    cpu.userNanos = v[0] * nanosPerTick;
    cpu.systemNanos = v[1] * nanosPerTick;
    return true;
  }

  /** v1 cpu.stat (CFS bandwidth): nr_periods, nr_throttled, throttled_time in nanoseconds. */
  public static boolean v1CpuStat(byte[] buf, int length, CgroupCpu.Builder cpu,
      ParseProblems problems) {
    String source = "cgroup v1 cpu.stat";
    long[] v = flatKeyed(buf, length, V1_CPU_KEYS, source, problems);
    if (v[0] < 0 || v[1] < 0 || v[2] < 0) {
      problems.report(source, Cause.MISSING_FIELD);
      return false;
    }
    cpu.periods = v[0];
    cpu.throttledPeriods = v[1];
    cpu.throttledNanos = v[2];
    return true;
  }

  /** v1 cpu.cfs_quota_us: microseconds per period, {@code -1} for unlimited. */
  public static boolean v1CfsQuota(byte[] buf, int length, CgroupCpu.Builder cpu,
      ParseProblems problems) {
    long v = singleValue(buf, length, "cgroup v1 cpu.cfs_quota_us", true, problems);
    if (v == AsciiCursor.NO_VALUE) {
      return false;
    }
    cpu.quotaMicros = v;
    return true;
  }

  /** v1 cpu.cfs_period_us. */
  public static boolean v1CfsPeriod(byte[] buf, int length, CgroupCpu.Builder cpu,
      ParseProblems problems) {
    long v = singleValue(buf, length, "cgroup v1 cpu.cfs_period_us", false, problems);
    if (v <= 0) {
      return false;
    }
    cpu.periodMicros = v;
    return true;
  }

  public static boolean v1MemoryUsage(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    long v = singleValue(buf, length, "cgroup v1 memory.usage_in_bytes", false, problems);
    if (v < 0) {
      return false;
    }
    memory.usageBytes = v;
    return true;
  }

  /**
   * v1 memory.stat: hierarchical {@code total_rss}/{@code total_cache} (descendants included, as in
   * v2), else the cgroup's own {@code rss}/{@code cache}.
   */
  public static boolean v1MemoryStat(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    String source = "cgroup v1 memory.stat";
    long[] v = flatKeyed(buf, length, V1_MEMORY_KEYS, source, problems);
    int at = v[0] >= 0 && v[1] >= 0 ? 0 : v[2] >= 0 && v[3] >= 0 ? 2 : -1;
    if (at < 0) {
      problems.report(source, Cause.MISSING_FIELD);
      return false;
    }
    memory.anonBytes = v[at];
    memory.fileBytes = v[at + 1];
    return true;
  }

  /** v1 memory.limit_in_bytes; a value of 2^60 or more means unlimited. */
  public static boolean v1MemoryLimit(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    long v = singleValue(buf, length, "cgroup v1 memory.limit_in_bytes", false, problems);
    if (v < 0) {
      return false;
    }
    memory.limitBytes = v >= V1_UNLIMITED_THRESHOLD ? -1 : v;
    return true;
  }

  /** v1 memory.oom_control: {@code oom_kill} (Linux 4.13+). */
  public static boolean v1OomControl(byte[] buf, int length, CgroupMemory.Builder memory,
      ParseProblems problems) {
    long v = oomKill(buf, length, "cgroup v1 memory.oom_control", problems);
    if (v < 0) {
      return false;
    }
    memory.oomKills = v;
    return true;
  }

  // ------------------------------------------------------------------------------------ plumbing

  /**
   * A single-value file: one number, or with {@code unlimitedWords} also {@code max} or {@code -1}
   * (both returned as -1).
   *
   * @return the value, or {@link AsciiCursor#NO_VALUE} when unusable (reported)
   */
  private static long singleValue(byte[] buf, int length, String source, boolean unlimitedWords,
      ParseProblems problems) {
    AsciiCursor c = firstLine(buf, length, source, problems);
    if (c == null) {
      return AsciiCursor.NO_VALUE;
    }
    if (!c.nextToken()) {
      problems.report(source, Cause.MALFORMED_LINE);
      return AsciiCursor.NO_VALUE;
    }
    if (unlimitedWords && c.tokenIs("max")) {
      return -1;
    }
    long v = c.tokenAsLong();
    if (v == AsciiCursor.NO_VALUE || v < (unlimitedWords ? -1 : 0)) {
      problems.report(source, Cause.BAD_NUMBER);
      return AsciiCursor.NO_VALUE;
    }
    if (c.nextToken()) {
      problems.report(source, Cause.MALFORMED_LINE);
      return AsciiCursor.NO_VALUE;
    }
    return v;
  }

  private static long oomKill(byte[] buf, int length, String source, ParseProblems problems) {
    long[] v = flatKeyed(buf, length, OOM_KILL, source, problems);
    if (v[0] < 0) {
      problems.report(source, Cause.MISSING_FIELD);
      return -1;
    }
    return v[0];
  }

  /** Values of {@code keys}: -1 for absent and for malformed ones (the latter reported). */
  private static long[] flatKeyed(byte[] buf, int length, String[] keys, String source,
      ParseProblems problems) {
    long[] v = new long[keys.length];
    if (length == 0) {
      problems.report(source, Cause.EMPTY);
      java.util.Arrays.fill(v, -1);
      return v;
    }
    long found = KeyedValues.parse(buf, length, keys, v);
    if (KeyedValues.truncated(buf, length)) {
      problems.report(source, Cause.TRUNCATED);
    }
    if (KeyedValues.malformed(found, v) != 0) {
      problems.report(source, Cause.BAD_NUMBER);
    }
    for (int i = 0; i < v.length; i++) {
      if (v[i] < 0) {
        v[i] = -1;
      }
    }
    return v;
  }

  /** A cursor on the first line of a single-line file, or null (reported). */
  private static AsciiCursor firstLine(byte[] buf, int length, String source,
      ParseProblems problems) {
    if (Ascii.trimStart(buf, 0, length) == length) {
      problems.report(source, Cause.EMPTY);
      return null;
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    if (!c.nextLine()) {
      problems.report(source, Cause.TRUNCATED);
      return null;
    }
    return c;
  }

  private static long micros(long v) {
    return v < 0 ? -1 : v * 1000;
  }
}
