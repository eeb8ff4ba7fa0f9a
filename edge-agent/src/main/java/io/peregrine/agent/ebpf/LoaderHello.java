package io.peregrine.agent.ebpf;

/**
 * The loader's first record, written once every probe is attached: the sensor is running from
 * here on. Its clock pair maps the kernel's monotonic timestamps to wall-clock time.
 *
 * @param monotonicNanos CLOCK_MONOTONIC sampled by the loader
 * @param realtimeNanos CLOCK_REALTIME sampled right after, nanoseconds since the epoch
 */
public record LoaderHello(
    int loaderPid, int captureBytes, long monotonicNanos, long realtimeNanos, int ringBytes, int cpus)
    implements SensorRecord {

  public KernelClock clock() {
    return new KernelClock(monotonicNanos, realtimeNanos);
  }
}
