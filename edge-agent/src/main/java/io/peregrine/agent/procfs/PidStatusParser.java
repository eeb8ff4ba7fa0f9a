package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;

/** Parses /proc/&lt;pid&gt;/status: {@code Key:<TAB>value [unit]} lines. */
public final class PidStatusParser {

  public static final String SOURCE = "/proc/<pid>/status";

  private PidStatusParser() {
  }

  /** @return empty when the {@code Uid:} line is missing, which every task has */
  public static Optional<PidStatus> parse(byte[] buf, int length, ParseProblems problems) {
    if (length == 0) {
      problems.report(SOURCE, Cause.EMPTY);
      return Optional.empty();
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    long realUid = -1;
    long effectiveUid = -1;
    long rss = -1;
    long rssAnon = -1;
    long rssFile = -1;
    long rssShmem = -1;
    long swap = -1;
    long threads = -1;
    long nsPid = -1;
    long voluntary = -1;
    long nonvoluntary = -1;
    boolean bad = false;
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      if (c.tokenIsKey("Uid")) {
        realUid = c.nextLong();
        effectiveUid = c.nextLong();
        bad |= realUid < 0 || effectiveUid < 0;
      } else if (c.tokenIsKey("VmRSS")) {
        rss = kib(c);
        bad |= rss < 0;
      } else if (c.tokenIsKey("RssAnon")) {
        rssAnon = kib(c);
        bad |= rssAnon < 0;
      } else if (c.tokenIsKey("RssFile")) {
        rssFile = kib(c);
        bad |= rssFile < 0;
      } else if (c.tokenIsKey("RssShmem")) {
        rssShmem = kib(c);
        bad |= rssShmem < 0;
      } else if (c.tokenIsKey("VmSwap")) {
        swap = kib(c);
        bad |= swap < 0;
      } else if (c.tokenIsKey("Threads")) {
        threads = c.nextLong();
        bad |= threads < 0;
      } else if (c.tokenIsKey("NStgid")) {
        while (c.nextToken()) {
          nsPid = c.tokenAsLong();
        }
        bad |= nsPid < 0;
      } else if (c.tokenIsKey("voluntary_ctxt_switches")) {
        voluntary = c.nextLong();
        bad |= voluntary < 0;
      } else if (c.tokenIsKey("nonvoluntary_ctxt_switches")) {
        nonvoluntary = c.nextLong();
        bad |= nonvoluntary < 0;
      }
    }
    if (c.truncatedTail()) {
      problems.report(SOURCE, Cause.TRUNCATED);
    }
    if (bad) {
      problems.report(SOURCE, Cause.BAD_NUMBER);
    }
    if (realUid < 0 || effectiveUid < 0) {
      problems.report(SOURCE, Cause.MISSING_FIELD);
      return Optional.empty();
    }
    return Optional.of(new PidStatus((int) realUid, (int) effectiveUid, rss, rssAnon, rssFile,
        rssShmem, swap, (int) Math.max(-1, threads), (int) Math.max(-1, nsPid),
        Math.max(-1, voluntary), Math.max(-1, nonvoluntary)));
  }

  private static long kib(AsciiCursor c) {
    long v = c.nextLong();
    return v < 0 ? -1 : v * 1024;
  }
}
