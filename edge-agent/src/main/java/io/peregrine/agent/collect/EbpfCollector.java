package io.peregrine.agent.collect;

import io.peregrine.agent.Collector;
import io.peregrine.agent.Emitter;
import io.peregrine.agent.ebpf.ConnectionRecord;
import io.peregrine.agent.ebpf.EbpfSensor;
import io.peregrine.agent.ebpf.EbpfSensorConfig;
import io.peregrine.agent.ebpf.Http2Chunk;
import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.ebpf.ProcessRecord;
import io.peregrine.agent.ebpf.SensorListener;
import io.peregrine.agent.ebpf.SensorRecord;
import io.peregrine.agent.ebpf.SensorStats;
import io.peregrine.agent.l7.http2.Http2Stats;
import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.topic.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eBPF sensor as one of the agent's collectors: {@link #start} runs the {@link EbpfSensor},
 * whose records it maps ({@link SensorEvents}) and emits as they come to the raw L7, connections
 * and lifecycle topics; its interval {@link #collect} emits nothing. It tells the procfs trackers
 * what the sensor covers ({@link SensorCoverage}).
 *
 * <p>The sensor's thread only decodes the loader's frames and hands the records to a bounded
 * queue; one thread of this collector maps, encodes and emits them, in order. So reading the
 * loader's pipe (which keeps the kernel's ring buffer from overflowing) never waits for the
 * mapping, and the two run in parallel. A full queue drops the record and counts it
 * ({@code peregrine_agent_ebpf_queue_drops_total}), as the kernel does when its ring is full.
 *
 * <p>Each record is numbered and emitted while holding its topic's sequence lock, shared with the
 * procfs collector of the same topic, so that seq order is queue order.
 *
 * <p>When the sensor is required ({@code --ebpf on}) and cannot run, {@link #start} throws; when
 * it is optional the sensor itself warns once and the agent goes on with procfs only.
 *
 * <p>Metrics: {@code peregrine_agent_ebpf_records_total{type}} (records from the kernel),
 * {@code peregrine_agent_ebpf_ring_drops_total{type}} (lost in the kernel: ring buffer full),
 * {@code peregrine_agent_ebpf_loader_restarts_total}, {@code peregrine_agent_ebpf_kernel_problems_total{problem}}
 * (untracked connections or requests, requests replaced before their response, capture faults),
 * {@code peregrine_agent_l7_decode_failures_total{protocol}}, {@code peregrine_agent_l7_unrecognised_total},
 * {@code peregrine_agent_ebpf_unowned_total}, {@code peregrine_agent_ebpf_mapping_errors_total},
 * {@code peregrine_agent_ebpf_queue_drops_total}, the gauge {@code peregrine_agent_ebpf_queue_records}
 * and the gauge {@code peregrine_agent_ebpf_running}. HTTP/2 ({@link Http2Chunk}s, followed by
 * {@link SensorEvents}): {@code peregrine_agent_ebpf_http2_connections_total},
 * {@code peregrine_agent_http2_streams_total}, {@code peregrine_agent_http2_broken_total{reason}},
 * {@code peregrine_agent_http2_streams_lost_total}, {@code peregrine_agent_http2_evicted_total} and the
 * gauge {@code peregrine_agent_http2_connections}.
 */
public final class EbpfCollector implements Collector, SensorListener {

  private static final Logger log = LoggerFactory.getLogger(EbpfCollector.class);

  /** How long a required sensor may take to load and attach (verification of big programs is slow). */
  static final Duration REQUIRED_START_TIMEOUT = Duration.ofSeconds(60);
  /** Records waiting between the sensor's thread and the mapping thread, and the bytes they may hold ({@link RecordQueue}). */
  static final int QUEUE_CAPACITY = 65_536;
  static final long QUEUE_BYTES = 16L << 20;
  private static final int BATCH = 1_024;
  /** Tells the mapping thread that the sensor has stopped and the queue is drained. */
  private static final SensorRecord END = new ProcessRecord(ProcessRecord.Kind.EXIT, java.time.Instant.EPOCH, 0, 0,
      0, null, "", null, 0);

  /** A loader counter (cumulative per loader process) summed over the loader's restarts. */
  private record LoaderCounter(ToLongFunction<SensorStats> field, LongAdder total, long[] last) {
    void update(SensorStats s) {
      long v = field.applyAsLong(s);
      long delta = v >= last[0] ? v - last[0] : v;
      last[0] = v;
      if (delta > 0) {
        total.add(delta);
      }
    }
  }

  /** The topics and their sequence locks. */
  public record Outputs(Topic<String, L7Event> l7, Object l7Lock,
      Topic<String, ConnectionEvent> connections, Object connectionsLock,
      Topic<String, ProcessEvent> lifecycle, Object lifecycleLock) {
  }

  private final EbpfSensorConfig sensorConfig;
  private final boolean required;
  private final Outputs outputs;
  private final String nodeKey;
  private final SensorEvents events;
  private final SensorCoverage coverage;
  private final LongAdder l7Records;
  private final LongAdder http2Chunks;
  private final LongAdder connectionRecords;
  private final LongAdder processRecords;
  private final LongAdder mappingErrors;
  private final LongAdder queueDrops;
  private final RecordQueue queue = new RecordQueue(QUEUE_CAPACITY, QUEUE_BYTES);
  private volatile Thread mapper;
  private final LoaderCounter[] loaderCounters;
  private final Set<String> reportedErrors = ConcurrentHashMap.newKeySet();
  private volatile EbpfSensor sensor;
  private volatile boolean running;
  private Emitter out;
  /** Emits an L7 event; one instance, not a lambda per record. */
  private final java.util.function.Consumer<L7Event> emitL7 = this::emitL7;

  public EbpfCollector(EbpfSensorConfig sensorConfig, boolean required, Outputs outputs, String nodeKey,
      SensorEvents events, SensorCoverage coverage, AgentMetrics metrics) {
    this.sensorConfig = sensorConfig;
    this.required = required;
    this.outputs = outputs;
    this.nodeKey = nodeKey;
    this.events = events;
    this.coverage = coverage;
    String records = "peregrine_agent_ebpf_records_total";
    String recordsHelp = "Records received from the eBPF sensor, by type";
    this.l7Records = metrics.counter(records, recordsHelp, "type", "l7");
    this.http2Chunks = metrics.counter(records, recordsHelp, "type", "http2_chunk");
    this.connectionRecords = metrics.counter(records, recordsHelp, "type", "connection");
    this.processRecords = metrics.counter(records, recordsHelp, "type", "process");
    this.mappingErrors = metrics.counter("peregrine_agent_ebpf_mapping_errors_total",
        "Sensor records that could not be turned into events (a bug: logged once per cause)");
    this.queueDrops = metrics.counter("peregrine_agent_ebpf_queue_drops_total",
        "Sensor records dropped because the agent could not map them as fast as they came");
    metrics.gauge("peregrine_agent_ebpf_queue_records", "Sensor records waiting to be mapped", queue::size);
    metrics.gauge("peregrine_agent_ebpf_queue_bytes",
        "Bytes of captured payload (and a fixed cost per record) waiting to be mapped", queue::bytes);
    String drops = "peregrine_agent_ebpf_ring_drops_total";
    String dropsHelp = "Records lost in the kernel because the sensor's ring buffer was full, by type";
    String problems = "peregrine_agent_ebpf_kernel_problems_total";
    String problemsHelp = "What the sensor's kernel programs could not follow, by problem";
    this.loaderCounters = new LoaderCounter[] {
        counter(metrics, SensorStats::ringDropsConnection, drops, dropsHelp, "type", "connection"),
        counter(metrics, SensorStats::ringDropsL7, drops, dropsHelp, "type", "l7"),
        counter(metrics, SensorStats::ringDropsProcess, drops, dropsHelp, "type", "process"),
        counter(metrics, SensorStats::trackFailures, problems, problemsHelp, "problem", "connection_untracked"),
        counter(metrics, SensorStats::inflightFailures, problems, problemsHelp, "problem", "request_untracked"),
        counter(metrics, SensorStats::requestsReplaced, problems, problemsHelp, "problem", "request_unpaired"),
        counter(metrics, SensorStats::captureFaults, problems, problemsHelp, "problem", "capture_fault"),
        counter(metrics, SensorStats::http2Connections, "peregrine_agent_ebpf_http2_connections_total",
            "Connections the kernel recognised as HTTP/2 (their calls come as chunks)"),
    };
    Http2Stats h2 = events.http2Stats();
    metrics.counter("peregrine_agent_http2_streams_total", "HTTP/2 and gRPC streams reported as L7 events",
        h2::streams);
    String broken = "peregrine_agent_http2_broken_total";
    String brokenHelp = "HTTP/2 connections no longer followed (frames or HPACK table lost; no more events), by reason";
    for (Http2Stats.Break b : Http2Stats.Break.values()) {
      metrics.counter(broken, brokenHelp, () -> h2.broken(b), "reason", b.name().toLowerCase(java.util.Locale.ROOT));
    }
    metrics.counter("peregrine_agent_http2_streams_lost_total",
        "HTTP/2 streams not reported: in flight when their connection broke, or beyond the open-stream limit",
        () -> h2.streamsLost() + h2.streamLimitHits());
    metrics.counter("peregrine_agent_http2_evicted_total",
        "HTTP/2 connections forgotten to bound memory while still open", h2::evicted);
    metrics.gauge("peregrine_agent_http2_connections", "HTTP/2 connections followed now",
        events::http2Connections);
    metrics.counter("peregrine_agent_ebpf_loader_restarts_total", "Times the sensor's loader died and was restarted",
        () -> sensor == null ? 0 : sensor.restarts());
    metrics.gauge("peregrine_agent_ebpf_running", "1 while the eBPF sensor runs, else 0", () -> running ? 1 : 0);
    for (Protocol p : Protocol.values()) {
      if (p != Protocol.TCP && p != Protocol.UNKNOWN) {
        metrics.counter("peregrine_agent_l7_decode_failures_total",
            "Exchanges whose protocol decoder could not read them, by protocol", () -> events.decodeFailures(p),
            "protocol", p.name());
      }
    }
    metrics.counter("peregrine_agent_l7_unrecognised_total",
        "Exchanges of connections whose protocol no decoder recognised (no L7 event)", events::unrecognised);
    metrics.counter("peregrine_agent_ebpf_unowned_total",
        "Connection records whose process could not be found (no event)", events::unowned);
  }

  private static LoaderCounter counter(AgentMetrics metrics, ToLongFunction<SensorStats> field, String name,
      String help, String... labels) {
    return new LoaderCounter(field, metrics.counter(name, help, labels), new long[1]);
  }

  @Override
  public String name() {
    return "ebpf";
  }

  /** Records arrive on the sensor's thread; nothing to do per interval. */
  @Override
  public void collect(long nowMillis, Emitter out) {
  }

  @Override
  public void start(Emitter out) {
    this.out = out;
    mapper = new Thread(this::mapLoop, "agent-ebpf-map");
    mapper.setDaemon(true);
    mapper.start();
    EbpfSensor s = new EbpfSensor(sensorConfig, this);
    sensor = s;
    s.start();
    if (!required) {
      return;
    }
    EbpfSensor.State state;
    try {
      state = s.awaitStarted(REQUIRED_START_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      state = s.state();
    }
    if (state != EbpfSensor.State.RUNNING) {
      String why = s.unavailability().map(Enum::name).orElse("not running after " + REQUIRED_START_TIMEOUT.toSeconds()
          + " s") + s.unavailabilityDetail().map(d -> ": " + d).orElse("");
      close();
      throw new IllegalStateException("the eBPF sensor is required (ebpf mode on) but cannot run: " + why);
    }
  }

  @Override
  public void close() {
    EbpfSensor s = sensor;
    if (s != null) {
      s.close();  // the loader drains the kernel's ring buffer into the queue first
    }
    coverage.interrupted();
    Thread m = mapper;
    mapper = null;
    if (m != null && m.isAlive()) {
      try {
        // Behind every record the sensor delivered: they are all mapped and emitted first.
        if (queue.offer(END, 10, TimeUnit.SECONDS)) {
          m.join(10_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      m.interrupt();
    }
  }

  /** The sensor, once started (for tests and benchmarks). */
  public EbpfSensor sensor() {
    return sensor;
  }

  // ------------------------------------------------------------------------------ SensorListener

  @Override
  public void onL7(L7Record record) {
    l7Records.increment();
    enqueue(record);
  }

  @Override
  public void onHttp2(Http2Chunk chunk) {
    http2Chunks.increment();
    enqueue(chunk);
  }

  @Override
  public void onConnection(ConnectionRecord record) {
    connectionRecords.increment();
    enqueue(record);
  }

  @Override
  public void onProcess(ProcessRecord record) {
    processRecords.increment();
    enqueue(record);
  }

  private void enqueue(SensorRecord record) {
    if (!queue.offer(record)) {
      queueDrops.increment();
    }
  }

  // ------------------------------------------------------------------------------- mapping thread

  private void mapLoop() {
    List<SensorRecord> batch = new ArrayList<>(BATCH);
    try {
      while (true) {
        queue.take(batch, BATCH);
        for (SensorRecord r : batch) {
          if (r == END) {
            return;
          }
          if (r instanceof L7Record l7) {
            map(l7);
          } else if (r instanceof Http2Chunk h2) {
            map(h2);
          } else if (r instanceof ConnectionRecord c) {
            map(c);
          } else if (r instanceof ProcessRecord p) {
            map(p);
          }
        }
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void map(L7Record record) {
    try {
      synchronized (outputs.l7Lock()) {
        // One event per request of the turn (several for a pipeline).
        events.l7(record, emitL7);
      }
    } catch (RuntimeException e) {
      failed("l7", e);
    }
  }

  private void emitL7(L7Event e) {
    out.emit(outputs.l7(), nodeKey, e, e.getTimestamp().toEpochMilli());
  }

  private void map(Http2Chunk chunk) {
    try {
      synchronized (outputs.l7Lock()) {
        events.http2(chunk).forEach(emitL7);
      }
    } catch (RuntimeException e) {
      failed("http2", e);
    }
  }

  private void map(ConnectionRecord record) {
    try {
      if (record.kind() == ConnectionRecord.Kind.CLOSE) {
        synchronized (outputs.l7Lock()) {
          events.http2Closed(record).forEach(emitL7);  // before the CLOSE forgets the connection
        }
      }
      synchronized (outputs.connectionsLock()) {
        ConnectionEvent e = events.connection(record);
        if (e != null) {
          out.emit(outputs.connections(), nodeKey, e, e.getTimestamp().toEpochMilli());
        }
      }
    } catch (RuntimeException e) {
      failed("connection", e);
    }
  }

  private void map(ProcessRecord record) {
    try {
      synchronized (outputs.lifecycleLock()) {
        ProcessEvent e = events.process(record);
        out.emit(outputs.lifecycle(), nodeKey, e, e.getTimestamp().toEpochMilli());
      }
    } catch (RuntimeException e) {
      failed("process", e);
    }
  }

  @Override
  public void onStats(SensorStats stats) {
    for (LoaderCounter c : loaderCounters) {
      c.update(stats);
    }
  }

  @Override
  public void onStateChange(EbpfSensor.State state) {
    running = state == EbpfSensor.State.RUNNING;
    if (running) {
      // A new loader process: its counters start from zero.
      for (LoaderCounter c : loaderCounters) {
        c.last()[0] = 0;
      }
      coverage.running(System.currentTimeMillis());
    } else {
      coverage.interrupted();
    }
  }

  private void failed(String type, RuntimeException e) {
    mappingErrors.increment();
    if (reportedErrors.add(type + ":" + e.getClass().getName())) {
      log.warn("could not map an eBPF {} record (reported once per cause; see "
          + "peregrine_agent_ebpf_mapping_errors_total)", type, e);
    }
  }
}
