package io.peregrine.agent.collect;

/**
 * Since when the eBPF sensor has been running without interruption, so that the procfs trackers
 * can leave to it what it saw: a connection established, or a process started or ended, after a
 * moment the sensor was already running is reported exactly by the sensor, and the procfs diff of
 * the same thing would be a second, vaguer copy of it.
 *
 * <p>What the sensor never sees stays with procfs: connections established before it started
 * (the kernel tracks a connection from connect or accept), anything while its loader is being
 * restarted, and the sockets of the agent's own process, which the sensor ignores.
 *
 * <p>Written by the sensor's thread, read by the scan thread.
 */
public final class SensorCoverage {

  /** No sensor: procfs reports everything. */
  public static final SensorCoverage NONE = new SensorCoverage(-1);

  private final int ignoredPid;
  private volatile long runningSinceMillis = -1;

  /** @param ignoredPid a process the sensor does not observe (the agent's own), or -1 */
  public SensorCoverage(int ignoredPid) {
    this.ignoredPid = ignoredPid;
  }

  /** The sensor runs from {@code nowMillis} on (its probes are attached). */
  public void running(long nowMillis) {
    if (this != NONE && runningSinceMillis < 0) {
      runningSinceMillis = nowMillis;
    }
  }

  /** The sensor stopped, or is being restarted: what happens from now on is not seen. */
  public void interrupted() {
    runningSinceMillis = -1;
  }

  /**
   * Whether the sensor has run without interruption since {@code sinceMillis} (inclusive) and
   * observes {@code pid}: then what that process did since then was reported by the sensor.
   */
  public boolean covers(int pid, long sinceMillis) {
    long since = runningSinceMillis;
    return since >= 0 && since <= sinceMillis && pid != ignoredPid;
  }
}
