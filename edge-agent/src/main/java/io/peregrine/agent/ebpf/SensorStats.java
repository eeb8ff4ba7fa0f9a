package io.peregrine.agent.ebpf;

import java.time.Instant;

/**
 * The loader's periodic counters: cumulative since that loader process started (they restart
 * from zero when the sensor restarts the loader).
 *
 * @param framesWritten frames the loader wrote before this one
 * @param ringDropsConnection connection records lost because the ring buffer was full
 * @param ringDropsL7 L7 records lost because the ring buffer was full
 * @param ringDropsProcess process records lost because the ring buffer was full
 * @param connectionRecords connection records the kernel produced
 * @param l7Records L7 records the kernel produced
 * @param processRecords process records the kernel produced
 * @param trackFailures connections not tracked because a map update failed
 * @param inflightFailures requests not tracked because a map update failed
 * @param requestsReplaced requests that got no response before the next request on their
 *     connection (pipelining, one-way messages)
 * @param captureFaults payload copies from user memory that failed
 * @param tlsConnectionsSkipped connections recognised as TLS and not captured further
 * @param http2Connections connections recognised as HTTP/2, whose calls come as {@link Http2Chunk}s
 * @param programMisses probe runs the kernel skipped because another probe was running on the CPU
 * @param programRunNanos time spent in the sensor's kernel programs, when ebpf.bpf.stats is on
 * @param programRuns runs of the sensor's kernel programs, when ebpf.bpf.stats is on
 * @param adoptedConnections connections established before the sensor started and adopted at its start
 */
public record SensorStats(
    Instant timestamp,
    long framesWritten,
    long ringDropsConnection,
    long ringDropsL7,
    long ringDropsProcess,
    long connectionRecords,
    long l7Records,
    long processRecords,
    long trackFailures,
    long inflightFailures,
    long requestsReplaced,
    long captureFaults,
    long tlsConnectionsSkipped,
    long http2Connections,
    long programMisses,
    long programRunNanos,
    long programRuns,
    long adoptedConnections)
    implements SensorRecord {

  /** Records of every kind lost in the kernel because the ring buffer was full. */
  public long ringDrops() {
    return ringDropsConnection + ringDropsL7 + ringDropsProcess;
  }
}
