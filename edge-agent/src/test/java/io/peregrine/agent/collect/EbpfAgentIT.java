package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Agent;
import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.Collectors;
import io.peregrine.agent.ebpf.EbpfTestSupport;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent with its eBPF sensor ({@code ebpf.mode=on}) publishing to a real embedded broker and
 * registry while another process ({@link HttpWorkload}: a JDK HttpServer and HttpClient) makes
 * 1,000 HTTP/1.1 GETs of which 100 are answered 500: exactly 1,000 L7 events must arrive from each
 * side, with the statuses the client saw, along with the connections' OPEN and CLOSE and the
 * workload's exec and exit; a shell the test runs must exit with its exact code. The agent ignores
 * its own process, as deployed, which is why the workload runs in a process of its own.
 *
 * <p>Needs root and BTF: skipped on a developer machine without them, failed in CI.
 */
class EbpfAgentIT {

  private static final Logger log = LoggerFactory.getLogger(EbpfAgentIT.class);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int REQUESTS = 1_000;
  private static final int FAIL_EVERY = 10;

  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @TempDir
  Path home;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, List<SpecificRecord>> received = new HashMap<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void shouldPublishEveryHttpExchangeOfBothSidesWithItsConnectionsAndProcesses() throws Exception {
    EbpfTestSupport.requireEbpfHost();
    EbpfTestSupport.requireLoader();
    String bootstrap = KAFKA.bootstrapServers();
    SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
        .bootstrapServers(bootstrap).host("127.0.0.1").port(0).build());
    closeables.add(registry);
    String registryUrl = "http://127.0.0.1:" + registry.port();
    Topics topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registryUrl)),
        SerdeConfig.from(Map.of()), 1);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      TopicAdmin.ensure(admin, topics.all(), (short) 1);
    }

    AgentConfig config = new AgentConfig(Map.of(
        AgentConfig.BOOTSTRAP_SERVERS, bootstrap,
        AgentConfig.SCHEMA_REGISTRY_URL, registryUrl,
        AgentConfig.INTERVAL_MS, "1000",
        AgentConfig.METRICS_PORT, "0",
        AgentConfig.NODE_NAME, "ebpf-agent-it",
        AgentConfig.SPOOL_DIR, home.resolve("spool").toString(),
        AgentConfig.EBPF_MODE, "on"));
    // Mode on: start returns once the sensor's probes are attached, or throws saying why not.
    Agent agent = Agent.start(config, home, Collectors::forHost);
    closeables.add(agent);

    Path classes = Path.of(HttpWorkload.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process workload = new ProcessBuilder(java, "-Xshare:auto", "-cp", classes.toString(),
        HttpWorkload.class.getName(), Integer.toString(REQUESTS), Integer.toString(FAIL_EVERY))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    closeables.add(workload::destroyForcibly);
    int workloadPid = (int) workload.pid();
    String result;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(workload.getInputStream(),
        StandardCharsets.US_ASCII))) {
      result = out.readLine();
    }
    assertThat(workload.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(workload.exitValue()).isZero();
    log.info("workload pid {}: {}", workloadPid, result);
    assertThat(result).startsWith("result port=").endsWith(" 200=900 500=100");
    int port = Integer.parseInt(result.split(" ")[1].substring("port=".length()));

    Process shell = new ProcessBuilder("/bin/sh", "-c", "exit 3").start();
    assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
    int shellPid = (int) shell.pid();

    KafkaConsumer<String, byte[]> consumer = consumer(bootstrap, topics);
    closeables.add(consumer);

    Predicate<L7Event> ours = e -> e.getPid() == workloadPid && e.getServerPort() == port;
    awaitCount(consumer, topics, topics.rawL7(), ours, 2 * REQUESTS);
    // Exactly: nothing more comes after a few more seconds.
    pollFor(consumer, topics, Duration.ofSeconds(3));
    List<L7Event> l7 = matching(topics.rawL7(), ours);
    for (Side side : List.of(Side.CLIENT, Side.SERVER)) {
      List<L7Event> of = l7.stream().filter(e -> e.getSide() == side).toList();
      assertThat(of).as("%s events", side).hasSize(REQUESTS);
      assertThat(of).allSatisfy(e -> {
        assertThat(e.getProtocol()).isEqualTo(Protocol.HTTP);
        assertThat(e.getMethod()).isEqualTo("GET");
        assertThat(e.getStatus()).isIn("200", "500");
        assertThat(e.getError()).isEqualTo(e.getStatus().equals("500"));
        assertThat(e.getStatusCode()).isEqualTo(Integer.parseInt(e.getStatus()));
        assertThat(e.getServerIp()).isEqualTo("127.0.0.1");
        assertThat(e.getClientIp()).isEqualTo("127.0.0.1");
        assertThat(e.getLatencyNs()).isPositive();
        assertThat(e.getRequestBytes()).isPositive();
        assertThat(e.getResponseBytes()).isPositive();
        assertThat(e.getInstance().getApp().getName()).isEqualTo("java");
        assertThat(e.getNode().getHostname()).isEqualTo("ebpf-agent-it");
      });
      assertThat(of.stream().filter(e -> e.getStatus().equals("500")).count()).as("%s 500s", side).isEqualTo(100);
    }

    // The connections the exchanges went over: opened and closed, seen by eBPF from both ends.
    Set<Integer> clientPorts = new java.util.TreeSet<>();
    l7.forEach(e -> clientPorts.add(e.getClientPort()));
    for (int clientPort : clientPorts) {
      ConnectionEvent open = await(consumer, topics, topics.rawConnections(), e -> e.getKind() == ConnectionEventKind.OPEN
          && e.getSource() == Collector.EBPF && e.getLocalPort() == clientPort && e.getRemotePort() == port);
      assertThat(open.getDirection()).isEqualTo(ConnectionDirection.OUTBOUND);
      assertThat(open.getPid()).isEqualTo(workloadPid);
      assertThat(open.getConnectDurationNs()).isNotNull().isPositive();
      ConnectionEvent accepted = await(consumer, topics, topics.rawConnections(),
          e -> e.getKind() == ConnectionEventKind.OPEN && e.getSource() == Collector.EBPF
              && e.getLocalPort() == port && e.getRemotePort() == clientPort);
      assertThat(accepted.getDirection()).isEqualTo(ConnectionDirection.INBOUND);
      ConnectionEvent close = await(consumer, topics, topics.rawConnections(),
          e -> e.getKind() == ConnectionEventKind.CLOSE && e.getSource() == Collector.EBPF
              && e.getLocalPort() == clientPort && e.getRemotePort() == port);
      assertThat(close.getBytesSent()).isPositive();
      assertThat(close.getBytesReceived()).isPositive();
      assertThat(close.getInstance()).isEqualTo(open.getInstance());
    }
    // procfs left these connections to the sensor: no second OPEN of them.
    assertThat(matching(topics.rawConnections(), e -> e.getSource() == Collector.PROCFS
        && e.getKind() != ConnectionEventKind.STATS && (e.getLocalPort() == port || e.getRemotePort() == port)))
        .isEmpty();

    // The JDK starts a child through jspawnhelper, which then executes java: two EXECs of one pid.
    ProcessEvent exec = await(consumer, topics, topics.rawLifecycle(), e -> e.getKind() == ProcessEventKind.EXEC
        && e.getPid() == workloadPid && e.getSource() == Collector.EBPF && e.getComm().equals("java"));
    assertThat(exec.getCmdline()).contains(HttpWorkload.class.getName());
    assertThat(exec.getExe()).isEqualTo(Path.of(java).toRealPath().toString());
    ProcessEvent exit = await(consumer, topics, topics.rawLifecycle(),
        e -> e.getKind() == ProcessEventKind.EXIT && e.getPid() == workloadPid);
    assertThat(exit.getSource()).isEqualTo(Collector.EBPF);
    assertThat(exit.getExitCode()).isZero();
    ProcessEvent shellExit = await(consumer, topics, topics.rawLifecycle(),
        e -> e.getKind() == ProcessEventKind.EXIT && e.getPid() == shellPid);
    assertThat(shellExit.getExitCode()).isEqualTo(3);
    assertThat(shellExit.getSignal()).isNull();

    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("peregrine_agent_ebpf_running 1",
        "peregrine_agent_ebpf_ring_drops_total{type=\"l7\"} 0",
        "peregrine_agent_ebpf_loader_restarts_total 0",
        "peregrine_agent_l7_decode_failures_total{protocol=\"HTTP\"} 0");
    assertThat(counter(metrics, "peregrine_agent_ebpf_records_total{type=\"l7\"}")).isGreaterThanOrEqualTo(2 * REQUESTS);
    assertSequencesIncrease();
  }

  private static long counter(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> Long.parseLong(l.split(" ")[1]))
        .findFirst().orElse(-1);
  }

  private static KafkaConsumer<String, byte[]> consumer(String bootstrap, Topics topics) {
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000),
        new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (Topic<String, ?> t : List.of(topics.rawL7(), topics.rawConnections(), topics.rawLifecycle())) {
      consumer.partitionsFor(t.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  @SuppressWarnings("unchecked")
  private <V extends SpecificRecord> List<V> matching(Topic<String, V> topic, Predicate<V> match) {
    List<V> out = new ArrayList<>();
    for (SpecificRecord r : received.getOrDefault(topic.name(), List.of())) {
      if (match.test((V) r)) {
        out.add((V) r);
      }
    }
    return out;
  }

  private <V extends SpecificRecord> V await(KafkaConsumer<String, byte[]> consumer, Topics topics,
      Topic<String, V> topic, Predicate<V> match) {
    awaitCount(consumer, topics, topic, match, 1);
    return matching(topic, match).get(0);
  }

  /** Polls until {@code count} records of {@code topic} match, within {@link #WAIT}. */
  private <V extends SpecificRecord> void awaitCount(KafkaConsumer<String, byte[]> consumer, Topics topics,
      Topic<String, V> topic, Predicate<V> match, int count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (matching(topic, match).size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + matching(topic, match).size() + " of " + count
            + " matching records on " + topic.name() + " within " + WAIT + "; got "
            + received.getOrDefault(topic.name(), List.of()).size() + " records");
      }
      poll(consumer, topics);
    }
  }

  private void pollFor(KafkaConsumer<String, byte[]> consumer, Topics topics, Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      poll(consumer, topics);
    }
  }

  @SuppressWarnings("unchecked")
  private void poll(KafkaConsumer<String, byte[]> consumer, Topics topics) {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      Topic<String, ?> t = (Topic<String, ?>) topics.byName(r.topic()).orElseThrow();
      Object value = t.valueSerde().deserializer().deserialize(r.topic(), r.value());
      received.computeIfAbsent(r.topic(), k -> new ArrayList<>()).add((SpecificRecord) value);
    }
  }

  private void assertSequencesIncrease() {
    // Per agent run, as the schema promises: the broker is shared with other test classes' agents.
    for (Map.Entry<String, List<SpecificRecord>> e : received.entrySet()) {
      Map<String, Long> previous = new HashMap<>();
      for (SpecificRecord r : e.getValue()) {
        String run = r.get(r.getSchema().getField("agent_run_id").pos()).toString();
        long seq = (Long) r.get(r.getSchema().getField("seq").pos());
        assertThat(seq).as("seq on %s of run %s", e.getKey(), run).isGreaterThan(previous.getOrDefault(run, -1L));
        previous.put(run, seq);
      }
    }
  }

}
