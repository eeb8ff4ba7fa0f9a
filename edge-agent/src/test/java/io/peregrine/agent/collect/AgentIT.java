package io.peregrine.agent.collect;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.peregrine.agent.Agent;
import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.Collectors;
import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.AppIdentity;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * The agent with {@link Collectors#forHost} on this machine, publishing to a real embedded broker
 * and registry: a server and a client connection this test opens must arrive as a listen, an OPEN
 * and later a CLOSE owned by this JVM's application; a child process as EXEC and EXIT; this JVM's
 * instance as an AppSample; this machine as a NodeSample. Needs no privilege: the eBPF sensor is
 * off here, so that what is tested is procfs's view wherever it runs.
 */
class AgentIT {

  private static final Logger log = LoggerFactory.getLogger(AgentIT.class);
  private static final Duration WAIT = Duration.ofSeconds(60);

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
  void shouldPublishThisHostsListensConnectionsProcessesApplicationsAndNode() throws Exception {
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

    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "ok".getBytes(US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    closeables.add(() -> server.stop(0));
    int port = server.getAddress().getPort();
    Socket client = new Socket(InetAddress.getByName("127.0.0.1"), port);
    closeables.add(client);
    client.setSoTimeout(10_000);
    client.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(US_ASCII));
    assertThat(new BufferedReader(new InputStreamReader(client.getInputStream(), US_ASCII)).readLine())
        .startsWith("HTTP/1.1 200");
    int clientPort = client.getLocalPort();

    AgentConfig config = new AgentConfig(Map.of(
        AgentConfig.BOOTSTRAP_SERVERS, bootstrap,
        AgentConfig.SCHEMA_REGISTRY_URL, registryUrl,
        AgentConfig.INTERVAL_MS, "1000",
        AgentConfig.METRICS_PORT, "0",
        AgentConfig.NODE_NAME, "agent-it",
        AgentConfig.SPOOL_DIR, home.resolve("spool").toString(),
        // The procfs collectors alone, as on a host without eBPF (EbpfAgentIT covers the sensor).
        AgentConfig.EBPF_MODE, "off"));
    Agent agent = Agent.start(config, home, Collectors::forHost);
    closeables.add(agent);

    int pid = (int) ProcessHandle.current().pid();
    AppInstance me = thisJvm(pid);
    log.info("this JVM is {}", me);
    KafkaConsumer<String, byte[]> consumer = consumer(bootstrap, topics);
    closeables.add(consumer);

    ListenEvent listen = await(consumer, topics, topics.rawListens(), e -> e.getPort() == port && e.getListening());
    assertThat(listen.getIp()).isEqualTo("127.0.0.1");
    assertThat(listen.getPid()).isEqualTo(pid);
    assertThat(listen.getInstance()).isEqualTo(me);
    assertThat(listen.getNode().getHostname()).isEqualTo("agent-it");

    ConnectionEvent open = await(consumer, topics, topics.rawConnections(), e -> e.getKind() == ConnectionEventKind.OPEN
        && e.getLocalPort() == clientPort && e.getRemotePort() == port);
    assertThat(open.getDirection()).isEqualTo(ConnectionDirection.OUTBOUND);
    assertThat(open.getRemoteIp()).isEqualTo("127.0.0.1");
    assertThat(open.getPid()).isEqualTo(pid);
    assertThat(open.getInstance()).isEqualTo(me);
    ConnectionEvent accepted = await(consumer, topics, topics.rawConnections(),
        e -> e.getKind() == ConnectionEventKind.OPEN && e.getLocalPort() == port && e.getRemotePort() == clientPort);
    assertThat(accepted.getDirection()).isEqualTo(ConnectionDirection.INBOUND);
    ConnectionEvent stats = await(consumer, topics, topics.rawConnections(),
        e -> e.getKind() == ConnectionEventKind.STATS && e.getDirection() == ConnectionDirection.OUTBOUND
            && e.getRemotePort() == port && e.getInstance().equals(me));
    assertThat(stats.getActiveConnections()).isGreaterThanOrEqualTo(1);
    assertThat(stats.getLocalPort()).isZero();

    AppSample sample = await(consumer, topics, topics.rawAppMetrics(),
        s -> s.getInstance().equals(me));
    assertThat(sample.getProcesses()).isPositive();
    assertThat(sample.getThreads()).isGreaterThanOrEqualTo(10);
    assertThat(sample.getOpenFds()).isGreaterThanOrEqualTo(10);
    assertThat(sample.getCpuUserSecondsTotal()).isPositive();
    assertThat(sample.getMemoryRssBytes()).isGreaterThan(10L << 20);
    assertThat(sample.getExecutable()).isNotBlank();
    assertThat(sample.getStartedAt().toEpochMilli()).isLessThan(System.currentTimeMillis());

    NodeSample node = await(consumer, topics, topics.rawNodeMetrics(), s -> true);
    String machineId = new ProcFs(Path.of("/proc"), Path.of("/"), 100, ParseProblems.ignoring()).machineId().orElse("");
    assertThat(node.getNode().getMachineId()).isEqualTo(machineId).isNotEmpty();
    assertThat(node.getBootId()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    assertThat(node.getCpuCount()).isPositive();
    assertThat(node.getMemory().getTotalBytes()).isPositive();
    assertThat(node.getFilesystems()).extracting(f -> f.getMountPoint()).contains("/");

    // A child process appears and goes away between scans.
    Process sleep = new ProcessBuilder("sleep", "30").start();
    closeables.add(sleep::destroyForcibly);
    int sleepPid = (int) sleep.pid();
    ProcessEvent exec = await(consumer, topics, topics.rawLifecycle(),
        e -> e.getKind() == ProcessEventKind.EXEC && e.getPid() == sleepPid);
    assertThat(exec.getComm()).isEqualTo("sleep");
    assertThat(exec.getCmdline()).isEqualTo("sleep 30");
    sleep.destroy();
    assertThat(sleep.waitFor(10, TimeUnit.SECONDS)).isTrue();
    await(consumer, topics, topics.rawLifecycle(), e -> e.getKind() == ProcessEventKind.EXIT && e.getPid() == sleepPid);

    // The client hangs up: both ends leave ESTABLISHED.
    client.close();
    ConnectionEvent close = await(consumer, topics, topics.rawConnections(), e -> e.getKind() == ConnectionEventKind.CLOSE
        && e.getLocalPort() == clientPort && e.getRemotePort() == port);
    assertThat(close.getInstance()).isEqualTo(me);

    // The server stops: its listen is reported gone.
    server.stop(0);
    ListenEvent gone = await(consumer, topics, topics.rawListens(), e -> e.getPort() == port && !e.getListening());
    assertThat(gone.getFirstSeen()).isEqualTo(listen.getFirstSeen());

    assertSequencesIncrease(topics);
  }

  private static AppInstance thisJvm(int pid) {
    ProcFs procFs = ProcFs.host(ParseProblems.ignoring());
    AppIdentity id = new AppIdentifier(ContainerMetadata.NONE).identify(
        CgroupReader.host(ParseProblems.ignoring()).processCgroups(pid).orElseThrow(),
        procFs.pidStat(pid).orElseThrow().pgrp(), procFs.exe(pid).orElseThrow(), ParseProblems.ignoring());
    return AvroMapping.instance(id);
  }

  private static KafkaConsumer<String, byte[]> consumer(String bootstrap, Topics topics) {
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (Topic<String, ?> t : List.of(topics.rawNodeMetrics(), topics.rawAppMetrics(), topics.rawListens(),
        topics.rawConnections(), topics.rawLifecycle())) {
      consumer.partitionsFor(t.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  /** Polls until a record of {@code topic} matches, within {@link #WAIT}. */
  @SuppressWarnings("unchecked")
  private <V extends SpecificRecord> V await(KafkaConsumer<String, byte[]> consumer, Topics topics,
      Topic<String, V> topic, Predicate<V> match) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      for (SpecificRecord r : received.getOrDefault(topic.name(), List.of())) {
        if (match.test((V) r)) {
          return (V) r;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no matching record on " + topic.name() + " within " + WAIT + "; got "
            + received.getOrDefault(topic.name(), List.of()).size() + " records");
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        Topic<String, ?> t = (Topic<String, ?>) topics.byName(r.topic()).orElseThrow();
        Object value = t.valueSerde().deserializer().deserialize(r.topic(), r.value());
        received.computeIfAbsent(r.topic(), k -> new CopyOnWriteArrayList<>()).add((SpecificRecord) value);
      }
    }
  }

  private void assertSequencesIncrease(Topics topics) {
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
