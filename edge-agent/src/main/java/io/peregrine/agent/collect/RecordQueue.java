package io.peregrine.agent.collect;

import io.peregrine.agent.ebpf.Http2Chunk;
import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.ebpf.SensorRecord;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sensor's records on their way to the mapping thread, bounded by count and by the bytes they
 * hold. A record carries up to two captured payloads (1 KiB each by default): bounded by count
 * alone, a mapping thread that falls behind at full speed let 65,536 of them fill most of the
 * agent's 96 MB heap next to the publisher's queue and the producer's buffer, and the collector
 * then spent its time in GC while the ring buffer dropped three records of four. With a byte
 * bound the queue drops (counted) before the heap is at risk, and the agent keeps up with what
 * it can.
 */
final class RecordQueue {

  /** Fixed cost of a record besides its payloads: the object, its addresses and boxed fields. */
  static final int RECORD_OVERHEAD = 160;

  private final BlockingQueue<SensorRecord> queue;
  private final long maxBytes;
  private final AtomicLong bytes = new AtomicLong();

  RecordQueue(int capacity, long maxBytes) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.maxBytes = maxBytes;
  }

  /** Queues {@code r} unless the queue is full by count or by bytes; false when it was not queued. */
  boolean offer(SensorRecord r) {
    long size = footprint(r);
    if (bytes.get() + size > maxBytes || !queue.offer(r)) {
      return false;
    }
    bytes.addAndGet(size);
    return true;
  }

  /** Queues {@code r} whatever its bytes, waiting for room by count: the end marker. */
  boolean offer(SensorRecord r, long timeout, TimeUnit unit) throws InterruptedException {
    if (!queue.offer(r, timeout, unit)) {
      return false;
    }
    bytes.addAndGet(footprint(r));
    return true;
  }

  /** Waits for one record, then takes up to {@code max} in all into {@code batch}. */
  void take(List<SensorRecord> batch, int max) throws InterruptedException {
    int from = batch.size();
    batch.add(queue.take());
    queue.drainTo(batch, max - 1);
    long taken = 0;
    for (int i = from; i < batch.size(); i++) {
      taken += footprint(batch.get(i));
    }
    bytes.addAndGet(-taken);
  }

  int size() {
    return queue.size();
  }

  /** Bytes the queued records hold, as {@link #footprint} counts them. */
  long bytes() {
    return bytes.get();
  }

  static long footprint(SensorRecord r) {
    if (r instanceof L7Record l7) {
      return RECORD_OVERHEAD + l7.request().length + l7.response().length;
    }
    if (r instanceof Http2Chunk h2) {
      return RECORD_OVERHEAD + h2.payload().length;
    }
    return RECORD_OVERHEAD;
  }
}
