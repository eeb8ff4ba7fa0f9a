package io.peregrine.agent.cgroup;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/**
 * Block I/O of a cgroup, descendants included, summed over devices, cumulative since the cgroup
 * was created:
 * <ul>
 *   <li>v2 {@code io.stat} (cgroup-v2.rst, "IO Interface Files"): one line per device,
 *       {@code MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N};
 *   <li>v1 {@code blkio.throttle.io_service_bytes_recursive} and
 *       {@code blkio.throttle.io_serviced_recursive} (cgroup-v1/blkio-controller.rst): lines
 *       {@code MAJ:MIN Read|Write|Sync|Async|Discard|Total N} per device, then a device-less
 *       {@code Total N}.
 * </ul>
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

  /**
   * Sums the {@code Read} and {@code Write} lines of every device of a v1 blkio throttle file
   * (bytes or operations) into {@code readWrite[0]} and {@code [1]}; the other operations, which
   * overlap them (Sync/Async split the same bios, Total adds them), are skipped.
   *
   * @return the number of Read and Write lines counted: 0 means the file only says
   *     {@code Total 0}, which is also what a Linux 5.x+ kernel shows when it is not counting
   *     (blk-throttle counts only on devices where some cgroup has a limit), so callers cannot
   *     take it for "no I/O"
   */
  public static int v1BlkioReadWrite(byte[] buf, int length, String source, long[] readWrite,
      ParseProblems problems) {
    readWrite[0] = 0;
    readWrite[1] = 0;
    int counted = 0;
    AsciiCursor c = new AsciiCursor(buf, length);
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      int s = c.tokenStart();
      int e = c.tokenEnd();
      if (Ascii.equals(buf, s, e, "Total")) {
        continue;  // the device-less grand total
      }
      int colon = Ascii.indexOf(buf, s, e, (byte) ':');
      if (colon <= s || Ascii.parseLong(buf, s, colon) < 0 || Ascii.parseLong(buf, colon + 1, e) < 0
          || !c.nextToken()) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      int os = c.tokenStart();
      int oe = c.tokenEnd();
      int slot = Ascii.equals(buf, os, oe, "Read") ? 0 : Ascii.equals(buf, os, oe, "Write") ? 1 : -1;
      if (slot < 0) {
        continue;
      }
      if (!c.nextToken()) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      long v = c.tokenAsLong();
      if (v < 0) {
        problems.report(source, Cause.BAD_NUMBER);
        continue;
      }
      readWrite[slot] += v;
      counted++;
    }
    if (c.truncatedTail()) {
      problems.report(source, Cause.TRUNCATED);
    }
    return counted;
  }
}
