package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.KeyedValues;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/** Parses /proc/meminfo lines such as {@code MemTotal:       24684084 kB}. */
public final class MemInfoParser {

  public static final String SOURCE = "/proc/meminfo";

  private static final String[] KEYS = {
      "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "Shmem", "SwapTotal", "SwapFree"};
  private static final int TOTAL = 0;

  private MemInfoParser() {
  }

  /** @return empty when MemTotal is missing, which means this is not /proc/meminfo */
  public static Optional<MemInfo> parse(byte[] buf, int length, ParseProblems problems) {
    if (length == 0) {
      problems.report(SOURCE, Cause.EMPTY);
      return Optional.empty();
    }
    long[] v = new long[KEYS.length];
    long found = KeyedValues.parse(buf, length, KEYS, v);
    if (KeyedValues.truncated(buf, length)) {
      problems.report(SOURCE, Cause.TRUNCATED);
    }
    if (KeyedValues.malformed(found, v) != 0) {
      problems.report(SOURCE, Cause.BAD_NUMBER);
    }
    if (v[TOTAL] < 0) {
      problems.report(SOURCE, Cause.MISSING_FIELD);
      return Optional.empty();
    }
    return Optional.of(new MemInfo(
        bytes(v[0]), bytes(v[1]), bytes(v[2]), bytes(v[3]), bytes(v[4]), bytes(v[5]), bytes(v[6]),
        bytes(v[7])));
  }

  private static long bytes(long kib) {
    return kib < 0 ? -1 : kib * 1024;
  }
}
