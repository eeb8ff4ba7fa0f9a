package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/**
 * Parses /proc/&lt;pid&gt;/stat. The second field, comm, is printed between parentheses without
 * escaping, so it may itself hold blanks and parentheses ({@code 15456 (x) (y z) S ...}); the
 * only reliable anchor is the <em>last</em> ')' of the line, after which the remaining fields are
 * blank-separated numbers (and the state letter).
 */
public final class PidStatParser {

  public static final String SOURCE = "/proc/<pid>/stat";

  /** Fields after comm that must be present: state [3] to rss [24]. */
  private static final int REQUIRED_AFTER_COMM = 22;

  private PidStatParser() {
  }

  public static Optional<PidStat> parse(byte[] buf, int length, ParseProblems problems) {
    if (length == 0) {
      // The kernel never prints an empty stat; an empty read means the task is gone.
      problems.report(SOURCE, Cause.EMPTY);
      return Optional.empty();
    }
    // One line, but comm may hold any byte except NUL, '\n' included: so the line ends at the
    // file's last byte, and comm at the last ')' before it.
    if (buf[length - 1] != '\n') {
      problems.report(SOURCE, Cause.TRUNCATED);
      return Optional.empty();
    }
    int end = length - 1;
    int open = Ascii.indexOf(buf, 0, end, (byte) '(');
    int close = Ascii.lastIndexOf(buf, 0, end, (byte) ')');
    if (open <= 0 || close < open) {
      problems.report(SOURCE, Cause.MALFORMED_LINE);
      return Optional.empty();
    }
    long pid = Ascii.parseLong(buf, 0, Ascii.trimEnd(buf, 0, open));
    if (pid <= 0 || pid > Integer.MAX_VALUE) {
      problems.report(SOURCE, Cause.BAD_NUMBER);
      return Optional.empty();
    }
    AsciiCursor c = new AsciiCursor(buf, close + 1, length);
    if (!c.nextLine()) {
      problems.report(SOURCE, Cause.MALFORMED_LINE);
      return Optional.empty();
    }
    long[] f = new long[25];  // indexed by proc(5) field number, f[4] to f[24] used
    char state = 0;
    int n = 0;
    for (int field = 3; field <= 24; field++) {
      if (!c.nextToken()) {
        break;
      }
      n++;
      if (field == 3) {
        if (c.tokenEnd() - c.tokenStart() != 1) {
          problems.report(SOURCE, Cause.MALFORMED_LINE);
          return Optional.empty();
        }
        state = (char) buf[c.tokenStart()];
        continue;
      }
      long v = c.tokenAsLong();
      if (v == AsciiCursor.NO_VALUE) {
        problems.report(SOURCE, Cause.BAD_NUMBER);
        return Optional.empty();
      }
      f[field] = v;
    }
    if (n < REQUIRED_AFTER_COMM) {
      problems.report(SOURCE, Cause.MALFORMED_LINE);
      return Optional.empty();
    }
    return Optional.of(new PidStat(
        (int) pid,
        Ascii.string(buf, open + 1, close),
        state,
        (int) f[4],
        (int) f[5],
        (int) f[6],
        f[9],
        f[14],
        f[15],
        (int) f[20],
        f[22],
        f[23],
        f[24]));
  }
}
