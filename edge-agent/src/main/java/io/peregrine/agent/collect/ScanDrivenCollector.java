package io.peregrine.agent.collect;

import io.peregrine.agent.Collector;
import io.peregrine.agent.Emitter;
import io.peregrine.schema.topic.Topic;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.avro.specific.SpecificRecord;

/**
 * A collector that derives its records from the interval's shared {@link HostScan}: the first
 * collector of the interval to ask makes the scan (normally {@link #scan}, placed first), the
 * others reuse it. When the scan failed, the failure was counted for the collector that made it,
 * and the others emit nothing this interval.
 */
final class ScanDrivenCollector<V extends SpecificRecord> implements Collector {

  private final String name;
  private final HostScanner scanner;
  private final Topic<String, V> topic;
  private final Function<HostScan, List<V>> derive;
  private final Function<V, String> key;
  private final ToLongFunction<V> timestamp;
  private final Object sequenceLock;

  /**
   * @param sequenceLock held while deriving (which numbers the records) and emitting them: the
   *     topic's {@code AgentContext.sequenceLock} where another thread publishes to the topic too
   */
  ScanDrivenCollector(String name, HostScanner scanner, Topic<String, V> topic,
      Function<HostScan, List<V>> derive, Function<V, String> key, ToLongFunction<V> timestamp,
      Object sequenceLock) {
    this.name = name;
    this.scanner = scanner;
    this.topic = topic;
    this.derive = derive;
    this.key = key;
    this.timestamp = timestamp;
    this.sequenceLock = sequenceLock;
  }

  /** The collector that makes the scan and emits nothing, so that its cost is measured apart. */
  static Collector scan(HostScanner scanner) {
    return new Collector() {
      @Override
      public String name() {
        return "scan";
      }

      @Override
      public void collect(long nowMillis, Emitter out) {
        scanner.scanFor(nowMillis);
      }

      @Override
      public void close() {
        scanner.close();
      }
    };
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void collect(long nowMillis, Emitter out) {
    HostScan scan = scanner.scanFor(nowMillis);
    if (scan == null) {
      return;
    }
    synchronized (sequenceLock) {
      for (V v : derive.apply(scan)) {
        out.emit(topic, key.apply(v), v, timestamp.applyAsLong(v));
      }
    }
  }
}
