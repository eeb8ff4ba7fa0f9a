package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/** Parses /proc/loadavg, one line: {@code 0.25 0.42 0.34 1/83 14800}. */
public final class LoadAvgParser {

  public static final String SOURCE = "/proc/loadavg";

  private LoadAvgParser() {
  }

  public static Optional<LoadAvg> parse(byte[] buf, int length, ParseProblems problems) {
    if (length == 0) {
      problems.report(SOURCE, Cause.EMPTY);
      return Optional.empty();
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    if (!c.nextLine()) {
      problems.report(SOURCE, Cause.TRUNCATED);
      return Optional.empty();
    }
    double[] load = new double[3];
    for (int i = 0; i < 3; i++) {
      if (!c.nextToken()) {
        problems.report(SOURCE, Cause.MALFORMED_LINE);
        return Optional.empty();
      }
      load[i] = c.tokenAsDouble();
      if (!(load[i] >= 0)) {
        problems.report(SOURCE, Cause.BAD_NUMBER);
        return Optional.empty();
      }
    }
    long runnable = -1;
    long tasks = -1;
    long lastPid = -1;
    if (c.nextToken()) {
      byte[] b = c.buffer();
      int slash = Ascii.indexOf(b, c.tokenStart(), c.tokenEnd(), (byte) '/');
      if (slash > 0) {
        runnable = Ascii.parseLong(b, c.tokenStart(), slash);
        tasks = Ascii.parseLong(b, slash + 1, c.tokenEnd());
      }
      if (runnable < 0 || tasks < 0) {
        problems.report(SOURCE, Cause.BAD_NUMBER);
        runnable = tasks = -1;
      }
      lastPid = Math.max(-1, c.nextLong());
    }
    return Optional.of(new LoadAvg(load[0], load[1], load[2], runnable, tasks, lastPid));
  }
}
