package io.peregrine.agent.procfs;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts parse problems by (source, cause) and logs each pair the first time it is seen: a warning,
 * or a debug line for {@linkplain ParseProblems.Cause#expected() expected} causes such as a process
 * that exited mid-scan. Later occurrences are only counted (and exported as self-metrics by the
 * agent), so a host with a thousand unreadable processes logs one line, not a thousand per scan.
 *
 * <p>Thread-safe; the set of keys is bounded because sources are file kinds, not file paths.
 */
public final class ProblemCounters implements ParseProblems {

  private static final Logger log = LoggerFactory.getLogger(ProblemCounters.class);

  /** One counter's identity. */
  public record Key(String source, Cause cause) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = source.compareTo(o.source);
      return c != 0 ? c : cause.compareTo(o.cause);
    }

    @Override
    public String toString() {
      return source + " " + cause;
    }
  }

  private final ConcurrentHashMap<Key, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public void report(String source, Cause cause) {
    Key key = new Key(source, cause);
    LongAdder adder = counts.get(key);
    if (adder == null) {
      LongAdder created = new LongAdder();
      adder = counts.putIfAbsent(key, created);
      if (adder == null) {
        adder = created;
        if (cause.expected()) {
          log.debug("Skipping content of {}: {} (further occurrences are only counted)", source, cause);
        } else {
          log.warn("Skipping content of {}: {} (further occurrences are only counted)", source, cause);
        }
      }
    }
    adder.increment();
  }

  public long count(String source, Cause cause) {
    LongAdder adder = counts.get(new Key(source, cause));
    return adder == null ? 0 : adder.sum();
  }

  /** Total over every source and cause. */
  public long total() {
    long total = 0;
    for (LongAdder adder : counts.values()) {
      total += adder.sum();
    }
    return total;
  }

  /** A sorted copy of the counters. */
  public Map<Key, Long> snapshot() {
    Map<Key, Long> copy = new TreeMap<>();
    counts.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  @Override
  public String toString() {
    return snapshot().toString();
  }
}
