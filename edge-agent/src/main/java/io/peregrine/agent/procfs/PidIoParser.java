package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.KeyedValues;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/**
 * Parses /proc/&lt;pid&gt;/io ({@code read_bytes: 4096} lines). Only the owner of a process and
 * root may read it (ptrace access mode), so unprivileged agents meet PERMISSION_DENIED here, which
 * the reader reports, not this parser.
 */
public final class PidIoParser {

  public static final String SOURCE = "/proc/<pid>/io";

  private static final String[] KEYS = {
      "rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes", "cancelled_write_bytes"};

  private PidIoParser() {
  }

  /** @return empty unless both read_bytes and write_bytes are present and valid */
  public static Optional<PidIo> parse(byte[] buf, int length, ParseProblems problems) {
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
    if (v[4] < 0 || v[5] < 0) {
      problems.report(SOURCE, Cause.MISSING_FIELD);
      return Optional.empty();
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.max(-1, v[i]);
    }
    return Optional.of(new PidIo(v[0], v[1], v[2], v[3], v[4], v[5], v[6]));
  }
}
