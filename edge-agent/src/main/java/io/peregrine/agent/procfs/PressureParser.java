package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/**
 * Parses a PSI file:
 * <pre>
 * some avg10=0.12 avg60=3.81 avg300=6.08 total=85502519
 * full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 * </pre>
 */
public final class PressureParser {

  private PressureParser() {
  }

  /**
   * @param source the kind of file for problem reports, e.g. {@code /proc/pressure/cpu}
   * @return empty when there is no usable {@code some} line
   */
  public static Optional<PressureStall> parse(byte[] buf, int length, String source,
      ParseProblems problems) {
    if (length == 0) {
      problems.report(source, Cause.EMPTY);
      return Optional.empty();
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    double[] some = null;
    double[] full = null;
    long[] totals = new long[2];  // some, full
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      boolean isSome = c.tokenIs("some");
      if (!isSome && !c.tokenIs("full")) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      double[] values = line(c, totals, isSome ? 0 : 1);
      if (values == null) {
        problems.report(source, Cause.MALFORMED_LINE);
      } else if (isSome) {
        some = values;
      } else {
        full = values;
      }
    }
    if (c.truncatedTail()) {
      problems.report(source, Cause.TRUNCATED);
    }
    if (some == null) {
      problems.report(source, Cause.MISSING_FIELD);
      return Optional.empty();
    }
    if (full == null) {
      full = new double[3];
      totals[1] = 0;
    }
    return Optional.of(new PressureStall(some[0], some[1], some[2], totals[0],
        full[0], full[1], full[2], totals[1]));
  }

  /**
   * avg10, avg60 and avg300 of one line, with its total stored in {@code totals[slot]}; null when
   * any of the four is missing or malformed.
   */
  private static double[] line(AsciiCursor c, long[] totals, int slot) {
    double[] v = {Double.NaN, Double.NaN, Double.NaN};
    long total = -1;
    byte[] b = c.buffer();
    while (c.nextToken()) {
      int s = c.tokenStart();
      int e = c.tokenEnd();
      int eq = Ascii.indexOf(b, s, e, (byte) '=');
      if (eq < 0) {
        return null;
      }
      int avg;
      if (Ascii.equals(b, s, eq, "avg10")) {
        avg = 0;
      } else if (Ascii.equals(b, s, eq, "avg60")) {
        avg = 1;
      } else if (Ascii.equals(b, s, eq, "avg300")) {
        avg = 2;
      } else if (Ascii.equals(b, s, eq, "total")) {
        total = Ascii.parseLong(b, eq + 1, e);
        if (total < 0) {
          return null;
        }
        continue;
      } else {
        continue;  // a key added by a later kernel
      }
      double d = Ascii.parseDecimal(b, eq + 1, e);
      if (!(d >= 0)) {
        return null;
      }
      v[avg] = d;
    }
    if (total < 0 || Double.isNaN(v[0]) || Double.isNaN(v[1]) || Double.isNaN(v[2])) {
      return null;
    }
    totals[slot] = total;
    return v;
  }
}
