package io.peregrine.agent.collect;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/**
 * Block I/O of a cgroup v2, summed over devices, from {@code io.stat} (cgroup-v2.rst, "IO
 * Interface Files"): one line per device, {@code MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N
 * dios=N}, cumulative since the cgroup was created.
 */
public record IoStat(long readBytes, long writtenBytes, long reads, long writes) {

  public static final String SOURCE = "cgroup v2 io.stat";

  /** Sums every device; an empty file (no I/O yet) is all zeros. */
  public static Optional<IoStat> parse(byte[] buf, int length, ParseProblems problems) {
    long rbytes = 0;
    long wbytes = 0;
    long rios = 0;
    long wios = 0;
    AsciiCursor c = new AsciiCursor(buf, length);
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      if (Ascii.indexOf(buf, c.tokenStart(), c.tokenEnd(), (byte) ':') < 0) {
        problems.report(SOURCE, Cause.MALFORMED_LINE);
        continue;
      }
      while (c.nextToken()) {
        int s = c.tokenStart();
        int e = c.tokenEnd();
        int eq = Ascii.indexOf(buf, s, e, (byte) '=');
        if (eq < 0) {
          problems.report(SOURCE, Cause.MALFORMED_LINE);
          break;
        }
        long v = Ascii.parseLong(buf, eq + 1, e);
        if (v < 0) {
          problems.report(SOURCE, Cause.BAD_NUMBER);
          continue;
        }
        if (Ascii.equals(buf, s, eq, "rbytes")) {
          rbytes += v;
        } else if (Ascii.equals(buf, s, eq, "wbytes")) {
          wbytes += v;
        } else if (Ascii.equals(buf, s, eq, "rios")) {
          rios += v;
        } else if (Ascii.equals(buf, s, eq, "wios")) {
          wios += v;
        }
      }
    }
    if (c.truncatedTail()) {
      problems.report(SOURCE, Cause.TRUNCATED);
    }
    return Optional.of(new IoStat(rbytes, wbytes, rios, wios));
  }
}
