package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;

/** The run of counter columns that /proc tables such as diskstats and net/dev put on each line. */
final class CounterColumns {

  private CounterColumns() {}

  /**
   * Reads the next {@code into.length} tokens of the cursor's line as non-negative counters.
   *
   * @return true when all were read; false, with the cause reported, when the line is short or
   *     holds a negative or unparsable number (the caller skips the line)
   */
  static boolean read(AsciiCursor c, long[] into, ParseProblems problems, String source) {
    int n = 0;
    boolean bad = false;
    while (n < into.length && c.nextToken()) {
      into[n] = c.tokenAsLong();
      bad |= into[n] < 0;
      n++;
    }
    if (n < into.length) {
      problems.report(source, Cause.MALFORMED_LINE);
      return false;
    }
    if (bad) {
      problems.report(source, Cause.BAD_NUMBER);
      return false;
    }
    return true;
  }
}
