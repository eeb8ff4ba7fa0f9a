package io.peregrine.agent.ebpf;

import java.time.Instant;

/**
 * Converts the kernel's CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) to wall-clock instants,
 * from one (monotonic, realtime) pair sampled together. A later wall-clock step (NTP) is not
 * followed; the agent restarts the loader rarely enough, and latencies use the monotonic values.
 */
public record KernelClock(long monotonicNanos, long realtimeNanos) {

  /** A pair sampled in this JVM: on Linux {@link System#nanoTime()} reads CLOCK_MONOTONIC too. */
  public static KernelClock ofThisJvm() {
    long mono = System.nanoTime();
    Instant now = Instant.now();
    return new KernelClock(mono, now.getEpochSecond() * 1_000_000_000L + now.getNano());
  }

  public Instant toInstant(long monotonic) {
    return Instant.ofEpochSecond(0, realtimeNanos + (monotonic - monotonicNanos));
  }
}
