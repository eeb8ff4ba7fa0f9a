package io.peregrine.agent.collect;

import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ProblemCounters;

/**
 * The collectors' problem sink: counts every (source, cause) in {@link ProblemCounters}, which logs
 * each pair once, exports it as {@code peregrine_agent_parse_problems_total}, and remembers the
 * last cause reported so that a reader can tell why a call came back empty (a process that
 * vanished, or a file the agent may not read and should stop trying).
 *
 * <p>Used on the agent's scan thread only.
 */
public final class ScanProblems implements ParseProblems {

  private final ProblemCounters counters;
  private final AgentMetrics metrics;
  private Cause lastCause;
  private long reports;

  public ScanProblems(ProblemCounters counters, AgentMetrics metrics) {
    this.counters = counters;
    this.metrics = metrics;
  }

  @Override
  public void report(String source, Cause cause) {
    counters.report(source, cause);
    if (metrics != null) {
      metrics.counter("peregrine_agent_parse_problems_total",
          "Content of /proc, /sys and cgroupfs skipped, by kind of file and cause",
          "source", source, "cause", cause.name()).increment();
    }
    lastCause = cause;
    reports++;
  }

  /** Number of reports so far; a reader compares it before and after a call. */
  public long reports() {
    return reports;
  }

  /** The cause of the latest report, or null. */
  public Cause lastCause() {
    return lastCause;
  }

  public ProblemCounters counters() {
    return counters;
  }
}
