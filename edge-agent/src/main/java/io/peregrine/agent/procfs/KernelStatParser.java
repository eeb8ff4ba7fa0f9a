package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/**
 * Parses /proc/stat (proc(5)). The {@code cpu} line holds ticks of USER_HZ, which is 100 on every
 * mainstream architecture but is a kernel build constant ({@code getconf CLK_TCK}), hence a
 * parameter.
 *
 * <p>The {@code intr} and {@code softirq} lines can hold thousands of numbers; they are skipped
 * after their first token, so their length costs one scan for the newline.
 */
public final class KernelStatParser {

  public static final String SOURCE = "/proc/stat";

  /** USER_HZ of every architecture Linux distributions ship (x86, arm64, ppc64le, s390x). */
  public static final int DEFAULT_USER_HZ = 100;

  private KernelStatParser() {
  }

  /**
   * @return the parsed content, or empty when the aggregate {@code cpu} line is missing or
   *     unusable (the rest of the file is worthless without it)
   */
  public static Optional<KernelStat> parse(byte[] buf, int length, int userHz, ParseProblems problems) {
    if (userHz <= 0) {
      throw new IllegalArgumentException("userHz must be positive: " + userHz);
    }
    if (length == 0) {
      problems.report(SOURCE, Cause.EMPTY);
      return Optional.empty();
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    CpuTimes cpu = null;
    int cpus = 0;
    long ctxt = -1;
    long btime = -1;
    long processes = -1;
    long running = -1;
    long blocked = -1;
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      if (c.tokenIs("cpu")) {
        cpu = parseCpu(c, userHz, problems);
      } else if (c.tokenIs("ctxt")) {
        ctxt = counter(c, problems);
      } else if (c.tokenIs("btime")) {
        btime = counter(c, problems);
      } else if (c.tokenIs("processes")) {
        processes = counter(c, problems);
      } else if (c.tokenIs("procs_running")) {
        running = counter(c, problems);
      } else if (c.tokenIs("procs_blocked")) {
        blocked = counter(c, problems);
      } else if (isPerCpu(c)) {
        cpus++;
      }
    }
    if (c.truncatedTail()) {
      problems.report(SOURCE, Cause.TRUNCATED);
    }
    if (cpu == null) {
      problems.report(SOURCE, Cause.MISSING_FIELD);
      return Optional.empty();
    }
    return Optional.of(new KernelStat(cpu, cpus, ctxt, btime, processes, running, blocked));
  }

  private static CpuTimes parseCpu(AsciiCursor c, int userHz, ParseProblems problems) {
    // user nice system idle iowait irq softirq steal guest guest_nice; kernels before 2.6.11 stop
    // after softirq, so only the first four are required.
    long[] ticks = new long[8];
    int n = 0;
    while (n < ticks.length && c.nextToken()) {
      long v = c.tokenAsLong();
      if (v < 0) {
        problems.report(SOURCE, Cause.BAD_NUMBER);
        return null;
      }
      ticks[n++] = v;
    }
    if (n < 4) {
      problems.report(SOURCE, Cause.MALFORMED_LINE);
      return null;
    }
    double hz = userHz;
    return new CpuTimes(ticks[0] / hz, ticks[1] / hz, ticks[2] / hz, ticks[3] / hz,
        ticks[4] / hz, ticks[5] / hz, ticks[6] / hz, ticks[7] / hz);
  }

  private static long counter(AsciiCursor c, ParseProblems problems) {
    long v = c.nextLong();
    if (v < 0) {
      problems.report(SOURCE, Cause.BAD_NUMBER);
      return -1;
    }
    return v;
  }

  private static boolean isPerCpu(AsciiCursor c) {
    byte[] b = c.buffer();
    int s = c.tokenStart();
    int e = c.tokenEnd();
    if (e - s < 4 || b[s] != 'c' || b[s + 1] != 'p' || b[s + 2] != 'u') {
      return false;
    }
    for (int i = s + 3; i < e; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return false;
      }
    }
    return true;
  }
}
