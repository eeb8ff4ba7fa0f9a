package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses /proc/net/dev: two header lines, then {@code name: } followed by 8 receive counters
 * (bytes packets errs drop fifo frame compressed multicast) and 8 transmit counters (bytes packets
 * errs drop fifo colls carrier compressed). The name is cut at the first ':' rather than at a
 * blank, because old kernels print no blank between the name and a wide first counter. Every
 * interface is returned, loopback included; which ones count is the collector's choice.
 */
public final class NetDevParser {

  public static final String SOURCE = "/proc/net/dev";

  private NetDevParser() {
  }

  public static List<NetDevStat> parse(byte[] buf, int length, ParseProblems problems) {
    List<NetDevStat> interfaces = new ArrayList<>();
    if (length == 0) {
      problems.report(SOURCE, Cause.EMPTY);
      return interfaces;
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    byte[] b = c.buffer();
    long[] v = new long[16];
    while (c.nextLine()) {
      int colon = Ascii.indexOf(b, c.lineStart(), c.lineEnd(), (byte) ':');
      if (colon < 0) {
        if (Ascii.indexOf(b, c.lineStart(), c.lineEnd(), (byte) '|') < 0 && !c.lineIsBlank()) {
          problems.report(SOURCE, Cause.MALFORMED_LINE);
        }
        continue;  // the two header lines
      }
      int nameStart = Ascii.trimStart(b, c.lineStart(), colon);
      int nameEnd = Ascii.trimEnd(b, nameStart, colon);
      if (nameStart == nameEnd) {
        problems.report(SOURCE, Cause.MALFORMED_LINE);
        continue;
      }
      c.seek(colon + 1);
      if (!CounterColumns.read(c, v, problems, SOURCE)) {
        continue;
      }
      interfaces.add(new NetDevStat(Ascii.string(b, nameStart, nameEnd),
          v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]));
    }
    if (c.truncatedTail()) {
      problems.report(SOURCE, Cause.TRUNCATED);
    }
    return interfaces;
  }
}
