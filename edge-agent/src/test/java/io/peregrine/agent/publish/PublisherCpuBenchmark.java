package io.peregrine.agent.publish;

import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.collect.ProcessIdentities;
import io.peregrine.agent.collect.RecordStamp;
import io.peregrine.agent.collect.SensorEvents;
import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.l7.Decoders;
import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * CPU per record of the agent's publishing path alone: {@link Publisher#publish} of prepared
 * {@link L7Event}s (the wrk/nginx exchange of {@code AgentBenchmark}, both sides) at a fixed rate,
 * through the agent's producer settings ({@link AgentConfig#producerConfig}, with each
 * {@code compression.type} asked for) to a real broker in its own process. The figure is this
 * JVM's CPU time (publisher, producer network thread, GC; the registry is idle after the first
 * record) per record, and the bytes the producer sent per record.
 * <pre>
 * mvn -B -o -q -pl edge-agent -Pbench test-compile exec:exec -Dbench.main=io.peregrine.agent.publish.PublisherCpuBenchmark \
 *     -Dbench.args="--rate 20000 --seconds 15 --compression zstd,lz4,none,zstd,lz4,none"
 * </pre>
 * {@code --producer linger.ms=20,batch.size=65536} overrides producer settings; a compression
 * written {@code lz4/2000} runs with the sender handing over up to 2,000 records at once (the
 * agent's 10,000). Besides the JVM's CPU per record, the CPU per record of {@code publish()} (the
 * caller), the sender thread and the producer's network thread is printed.
 * Run the JVM as the agent runs (the bench profile's exec uses the default JIT; pass the agent's
 * flags by running {@code java} directly for the agent's absolute figure; ratios hold either way).
 */
public final class PublisherCpuBenchmark {

  private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1:38591\r\n\r\n"
      .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
      + "Date: Wed, 25 Nov 2026 01:31:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n"
      + "Connection: keep-alive\r\n\r\nok\n").getBytes(StandardCharsets.US_ASCII);

  private PublisherCpuBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>(Map.of("--rate", "20000", "--seconds", "15",
        "--warmup", "5", "--compression", "zstd,lz4,none", "--producer", ""));
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    int rate = Integer.parseInt(opts.get("--rate"));
    double seconds = Double.parseDouble(opts.get("--seconds"));
    Path dir = Files.createTempDirectory("publisher-bench-");
    System.out.printf(Locale.ROOT, "conditions: load average %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).logFile(dir.resolve("kafka.log"))
        .port(freePort()).controllerPort(freePort()).start();
        SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
            .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build())) {
      String registryUrl = "http://127.0.0.1:" + registry.port();
      List<L7Event> events = events(20_000);  // a second of distinct events: repeats flatter compression
      for (String run : opts.get("--compression").split(",")) {
        String compression = run.contains("/") ? run.substring(0, run.indexOf('/')) : run;
        int maxBatch = run.contains("/") ? Integer.parseInt(run.substring(run.indexOf('/') + 1)) : 10_000;
        Map<String, String> settings = new HashMap<>(Map.of(AgentConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
            AgentConfig.SCHEMA_REGISTRY_URL, registryUrl, "producer.compression.type", compression));
        for (String kv : opts.get("--producer").split(",")) {
          if (!kv.isBlank()) {
            settings.put("producer." + kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
          }
        }
        AgentConfig config = new AgentConfig(settings);
        SchemaRegistryClient client = SchemaRegistryClient.create(config.registryConfig());
        Topics topics = Topics.create(client, SerdeConfig.from(config.registryConfig()));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
          TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
        AgentMetrics metrics = new AgentMetrics();
        List<KafkaProducer<String, byte[]>> producers = new ArrayList<>();
        Publisher publisher = new Publisher(() -> {
          KafkaProducer<String, byte[]> p = new KafkaProducer<>(config.producerConfig(), new RepeatedKeySerializer(),
              new ByteArraySerializer());
          producers.add(p);
          return p;
        }, client, topics, dir.resolve("spool-" + compression + "-" + System.nanoTime()), 64L << 20,
            new Publisher.Settings(100_000, maxBatch, Duration.ofMillis(200), Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofSeconds(45)), metrics);
        try {
          run(publisher, topics, events, rate, Double.parseDouble(opts.get("--warmup")));  // not measured
          awaitSent(metrics, topics, 0);
          long sentBefore = sent(metrics, topics);
          double bytesBefore = outgoing(producers);
          Map<String, Long> threads0 = threadCpuNanos();
          long cpu0 = processCpuNanos();
          long wall0 = System.nanoTime();
          long n = run(publisher, topics, events, rate, seconds);
          awaitSent(metrics, topics, sentBefore + n);
          long cpu = processCpuNanos() - cpu0;
          Map<String, Long> threads1 = threadCpuNanos();
          double wall = (System.nanoTime() - wall0) / 1e9;
          double bytes = outgoing(producers) - bytesBefore;
          System.out.printf(Locale.ROOT, "compression %-5s batch %5d %7d records at %5.0f/s: %6.0f ns of CPU per record "
              + "(%.1f%% of a core), %5.1f bytes sent per record; load %s%n", compression, maxBatch, n, n / wall,
              cpu / (double) n, 100.0 * cpu / 1e9 / wall, bytes / n,
              Files.readString(Path.of("/proc/loadavg")).trim());
          StringBuilder perThread = new StringBuilder();
          for (String t : List.of("main", "agent-publisher", "kafka-producer-network-thread | peregrine-agent")) {
            perThread.append(String.format(Locale.ROOT, "  %s %.0f ns", t.startsWith("main") ? "publish()" : t,
                (threads1.getOrDefault(t, 0L) - threads0.getOrDefault(t, 0L)) / (double) n));
          }
          System.out.println("  per record:" + perThread);
        } finally {
          publisher.close();
        }
      }
    }
  }

  /** Publishes the events round-robin at {@code rate} a second for {@code seconds}; returns how many. */
  private static long run(Publisher publisher, Topics topics, List<L7Event> events, int rate, double seconds) {
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long n = 0;
    for (long now = start; now < end; now = System.nanoTime()) {
      long due = (long) ((now - start) / 1e9 * rate);
      for (; n < due; n++) {
        L7Event e = events.get((int) (n % events.size()));
        publisher.publish(topics.rawL7(), "bench-host", e, e.getTimestamp().toEpochMilli());
      }
      LockSupport.parkNanos(1_000_000);
    }
    return n;
  }

  private static void awaitSent(AgentMetrics metrics, Topics topics, long atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (sent(metrics, topics) < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(300);
  }

  private static long sent(AgentMetrics metrics, Topics topics) {
    return metrics.count("peregrine_agent_sent_total", "topic", topics.rawL7().name());
  }

  private static double outgoing(List<KafkaProducer<String, byte[]>> producers) {
    double total = 0;
    for (KafkaProducer<String, byte[]> p : producers) {
      for (Map.Entry<org.apache.kafka.common.MetricName, ? extends Metric> m : p.metrics().entrySet()) {
        if (m.getKey().name().equals("outgoing-byte-total") && m.getKey().group().equals("producer-metrics")) {
          total += ((Number) m.getValue().metricValue()).doubleValue();
        }
      }
    }
    return total;
  }

  /** CPU time of this JVM's live threads by name (names repeated across producers are summed). */
  private static Map<String, Long> threadCpuNanos() {
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new HashMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      long nanos = mx.getThreadCpuTime(t.getId());
      if (nanos > 0) {
        out.merge(t.getName(), nanos, Long::sum);
      }
    }
    return out;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Events as the sensor's mapping makes them of the benchmark's exchange, alternating sides. */
  static List<L7Event> events(int count) throws Exception {
    Path noProc = Files.createTempDirectory("publisher-bench-proc-");
    ProcessIdentities ids = new ProcessIdentities(() -> null,
        new ProcFs(noProc, Path.of("/"), 100, ParseProblems.ignoring()),
        new CgroupReader(noProc, Path.of("/sys"), 100, ParseProblems.ignoring()),
        new AppIdentifier(ContainerMetadata.NONE), ParseProblems.ignoring(), 100);
    RecordStamp stamp = RecordStamp.counting(new NodeId("bench-host", "machine-0123456789abcdef"), "run-1", 5_000);
    SensorEvents sensorEvents = new SensorEvents(stamp, "l7", "conn", "life", Decoders.all(), ids, () -> null, 65_536);
    InetAddress local = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    List<L7Event> out = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      boolean serverSide = (n & 1) == 0;
      out.add(sensorEvents.l7(new L7Record(Instant.now().plusNanos(n * 50_000L), n, 1 + (n & 63), 4242, 7,
          L7Record.Protocol.HTTP, serverSide ? L7Record.Side.SERVER : L7Record.Side.CLIENT, "GET", 200, 0,
          local, serverSide ? 38591 : 40000 + (n & 63), local, serverSide ? 40000 + (n & 63) : 38591,
          250_000 + n * 37L, REQUEST.length, RESPONSE.length, REQUEST, RESPONSE)));
    }
    return out;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
