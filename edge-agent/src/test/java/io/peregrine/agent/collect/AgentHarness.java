package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Agent;
import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.Collectors;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The whole agent as the agent ITs run it: a real schema registry on the test's embedded broker
 * with every topic created, the agent with {@link Collectors#forHost}, and a consumer that keeps
 * every record it decodes so tests can wait for one (bounded) and check sequences at the end.
 * Registered as an instance extension, it closes what it started, and what a test hands it, in
 * reverse order after each test.
 */
final class AgentHarness implements AutoCloseable, AfterEachCallback {

  private final EmbeddedKafkaExtension kafka;
  private final Duration wait;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, List<SpecificRecord>> received = new HashMap<>();
  private String bootstrap;
  private String registryUrl;
  private Topics topics;
  private KafkaConsumer<String, byte[]> consumer;

  /** On {@code kafka}'s broker; {@code wait} bounds every wait for records. */
  AgentHarness(EmbeddedKafkaExtension kafka, Duration wait) {
    this.kafka = kafka;
    this.wait = wait;
  }

  /** Starts a registry on the broker and creates all topics there. */
  Topics startRegistry() throws Exception {
    bootstrap = kafka.bootstrapServers();
    SchemaRegistryServer registry = closeLater(SchemaRegistryServer.start(RegistryConfig.builder()
        .bootstrapServers(bootstrap).host("127.0.0.1").port(0).build()));
    registryUrl = "http://127.0.0.1:" + registry.port();
    topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registryUrl)),
        SerdeConfig.from(Map.of()), 1);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      TopicAdmin.ensure(admin, topics.all(), (short) 1);
    }
    return topics;
  }

  /** The agent, scanning every second, in a home of its own; after {@link #startRegistry}. */
  Agent startAgent(String nodeName, String ebpfMode) throws Exception {
    Path home = Files.createTempDirectory("peregrine-agent-it-");
    closeLater(() -> {
      try (Stream<Path> files = Files.walk(home)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    });
    AgentConfig config = new AgentConfig(Map.of(
        AgentConfig.BOOTSTRAP_SERVERS, bootstrap,
        AgentConfig.SCHEMA_REGISTRY_URL, registryUrl,
        AgentConfig.INTERVAL_MS, "1000",
        AgentConfig.METRICS_PORT, "0",
        AgentConfig.NODE_NAME, nodeName,
        AgentConfig.SPOOL_DIR, home.resolve("spool").toString(),
        AgentConfig.EBPF_MODE, ebpfMode));
    return closeLater(Agent.start(config, home, Collectors::forHost));
  }

  /** Reads {@code read} from the beginning; the waits below poll it. */
  @SafeVarargs
  final void consume(Topic<String, ?>... read) {
    consumer = closeLater(new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000),
        new StringDeserializer(), new ByteArrayDeserializer()));
    List<TopicPartition> partitions = new ArrayList<>();
    for (Topic<String, ?> t : read) {
      consumer.partitionsFor(t.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  @SuppressWarnings("unchecked")
  <V extends SpecificRecord> List<V> matching(Topic<String, V> topic, Predicate<V> match) {
    List<V> out = new ArrayList<>();
    for (SpecificRecord r : received.getOrDefault(topic.name(), List.of())) {
      if (match.test((V) r)) {
        out.add((V) r);
      }
    }
    return out;
  }

  /** The first record of {@code topic} that matches, polling for it within the harness's wait. */
  <V extends SpecificRecord> V await(Topic<String, V> topic, Predicate<V> match) {
    awaitCount(topic, match, 1);
    return matching(topic, match).get(0);
  }

  /** Polls until {@code count} records of {@code topic} match, within the harness's wait. */
  <V extends SpecificRecord> void awaitCount(Topic<String, V> topic, Predicate<V> match, int count) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (matching(topic, match).size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + matching(topic, match).size() + " of " + count
            + " matching records on " + topic.name() + " within " + wait + "; got "
            + received.getOrDefault(topic.name(), List.of()).size() + " records");
      }
      poll();
    }
  }

  void pollFor(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      poll();
    }
  }

  @SuppressWarnings("unchecked")
  private void poll() {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      Topic<String, ?> t = (Topic<String, ?>) topics.byName(r.topic()).orElseThrow();
      Object value = t.valueSerde().deserializer().deserialize(r.topic(), r.value());
      received.computeIfAbsent(r.topic(), k -> new ArrayList<>()).add((SpecificRecord) value);
    }
  }

  void assertSequencesIncrease() {
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

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    close();
  }

  @Override
  public void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }
}
