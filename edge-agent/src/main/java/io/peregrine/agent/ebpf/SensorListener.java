package io.peregrine.agent.ebpf;

/**
 * Receives the sensor's records. Called on the sensor's reader thread, one record at a time and in
 * stream order: an implementation should hand records on (to a bounded queue) rather than block,
 * since while it blocks the loader stops draining the kernel's ring buffer, which then drops
 * records (and counts them) instead of ever slowing the watched host. Exceptions are caught,
 * counted and logged once.
 */
public interface SensorListener {

  void onConnection(ConnectionRecord record);

  void onL7(L7Record record);

  /** A read or write of an HTTP/2 connection (the kernel does not pair those). */
  default void onHttp2(Http2Chunk chunk) {}

  void onProcess(ProcessRecord record);

  /** The loader's counters, every {@code ebpf.stats.ms}. */
  default void onStats(SensorStats stats) {}

  /** The sensor changed state (running, restarting, unavailable, stopped). */
  default void onStateChange(EbpfSensor.State state) {}
}
