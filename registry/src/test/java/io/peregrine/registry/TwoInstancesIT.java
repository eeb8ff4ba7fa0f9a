package io.peregrine.registry;

import static io.peregrine.registry.RegistryHttp.schemaBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two registries on one topic, written to concurrently: the transactional write lock must give
 * one total order of writes, so both instances end with the same subjects, versions and ids, and
 * no id ever names two schemas.
 */
class TwoInstancesIT {

  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final int THREADS = 4;
  private static final int PER_THREAD = 8;

  private static String schema(int n) {
    return "{\"type\":\"record\",\"name\":\"S\",\"fields\":[{\"name\":\"f" + n + "\",\"type\":\"int\"}]}";
  }

  private static SchemaRegistryServer start(String topic) {
    return SchemaRegistryServer.start(RegistryConfig.builder()
        .bootstrapServers(KAFKA.bootstrapServers())
        .port(0)
        .topic(topic)
        .defaultCompatibility("NONE") // every schema here is a new record shape
        .build());
  }

  /** subject -> version -> "id|schema", as one instance sees it. */
  private static Map<String, Map<Integer, String>> dump(RegistryHttp http) {
    Map<String, Map<Integer, String>> out = new TreeMap<>();
    for (JsonNode subject : http.get("/subjects").json()) {
      Map<Integer, String> versions = new TreeMap<>();
      for (JsonNode v : http.get("/subjects/" + subject.asText() + "/versions").json()) {
        JsonNode entity = http.get("/subjects/" + subject.asText() + "/versions/" + v.asInt()).json();
        versions.put(v.asInt(), entity.get("id").asInt() + "|" + entity.get("schema").asText());
      }
      out.put(subject.asText(), versions);
    }
    return out;
  }

  @Test
  void shouldAgreeOnIdsAndVersionsUnderConcurrentWrites() throws Exception {
    String topic = "_schemas_two_" + UUID.randomUUID().toString().substring(0, 8);
    try (SchemaRegistryServer one = start(topic); SchemaRegistryServer two = start(topic)) {
      RegistryHttp[] instances = {new RegistryHttp(one.url()), new RegistryHttp(two.url())};
      // schema text -> every id any instance returned for it
      Map<String, Set<Integer>> idsBySchema = new ConcurrentHashMap<>();
      List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          RegistryHttp http = instances[thread % 2];
          go.await();
          for (int i = 0; i < PER_THREAD; i++) {
            // Identical schemas raced from every thread into shared subjects...
            register(http, "shared-" + (i % 3), schema(i), idsBySchema, failures);
            // ...and schemas of its own, in a subject of its own and in a shared one.
            register(http, "own-" + thread, schema(1000 * (thread + 1) + i), idsBySchema, failures);
            register(http, "mixed", schema(500 + 10 * thread + i), idsBySchema, failures);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
      pool.shutdown();
      assertThat(failures).isEmpty();

      // Every register of one schema got one id, whichever instance and subject it went to.
      idsBySchema.forEach((schema, ids) -> assertThat(ids).as(schema).hasSize(1));
      // No id names two schemas.
      Map<Integer, String> schemaById = new HashMap<>();
      idsBySchema.forEach((schema, ids) -> {
        String previous = schemaById.put(ids.iterator().next(), schema);
        assertThat(previous).as("id %s", ids).isNull();
      });

      // Both instances converge on the same view (instance one may briefly lag instance two's writes).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Map<String, Map<Integer, String>> a = dump(instances[0]);
      Map<String, Map<Integer, String>> b = dump(instances[1]);
      while (!a.equals(b) && System.nanoTime() < deadline) {
        Thread.onSpinWait();
        a = dump(instances[0]);
        b = dump(instances[1]);
      }
      assertThat(a).isEqualTo(b);

      // Each subject holds each schema once, with versions 1..n.
      assertThat(a.get("shared-0")).hasSize(3);
      assertThat(a.get("shared-1")).hasSize(3);
      assertThat(a.get("shared-2")).hasSize(2);
      assertThat(a.get("mixed")).hasSize(THREADS * PER_THREAD);
      for (int t = 0; t < THREADS; t++) {
        assertThat(a.get("own-" + t)).hasSize(PER_THREAD);
      }
      a.forEach((subject, versions) -> {
        assertThat(versions.keySet()).as(subject).containsExactlyElementsOf(
            java.util.stream.IntStream.rangeClosed(1, versions.size()).boxed().toList());
        assertThat(versions.values().stream().distinct().count()).as(subject).isEqualTo(versions.size());
      });
      // What the instances store is what the clients were told.
      a.values().forEach(versions -> versions.values().forEach(idAndSchema -> {
        int id = Integer.parseInt(idAndSchema.substring(0, idAndSchema.indexOf('|')));
        assertThat(schemaById).containsEntry(id, idAndSchema.substring(idAndSchema.indexOf('|') + 1));
      }));
    }
  }

  private static void register(RegistryHttp http, String subject, String schema,
      Map<String, Set<Integer>> idsBySchema, List<String> failures) {
    RegistryHttp.Response r = http.post("/subjects/" + subject + "/versions", schemaBody(schema));
    if (r.status() != 200) {
      failures.add(subject + ": " + r.status() + " " + r.body());
      return;
    }
    idsBySchema.computeIfAbsent(schema, s -> ConcurrentHashMap.newKeySet()).add(r.json().get("id").asInt());
  }

  /**
   * Another instance's committed write must be in the state a write is decided against, even when
   * our reader has not fetched it yet: the writer catches up to the end offset after taking the
   * lock. The reader is made slow on purpose (the broker parks its fetches for 3 s).
   */
  @Test
  void shouldDecideWritesAgainstWhatAnotherInstanceJustCommitted() throws Exception {
    String topic = "_schemas_catchup_" + UUID.randomUUID().toString().substring(0, 8);
    RegistryConfig config = RegistryConfig.builder()
        .bootstrapServers(KAFKA.bootstrapServers())
        .port(0)
        .topic(topic)
        .defaultCompatibility("NONE")
        .kafkaProperties(Map.of("fetch.min.bytes", 10_000_000, "fetch.max.wait.ms", 3_000))
        .build();
    try (SchemaRegistryServer server = SchemaRegistryServer.start(config)) {
      // "Another instance": a producer with the shared transactional id, writing as the registry does.
      try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> other =
          new org.apache.kafka.clients.producer.KafkaProducer<>(Map.of(
              "bootstrap.servers", KAFKA.bootstrapServers(),
              "transactional.id", config.transactionalId(),
              "key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class,
              "value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class))) {
        other.initTransactions();
        other.beginTransaction();
        other.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0,
            "{\"keytype\":\"SCHEMA\",\"subject\":\"x-value\",\"version\":1,\"magic\":1}".getBytes(),
            ("{\"subject\":\"x-value\",\"version\":1,\"id\":7,\"schema\":" 
                + com.fasterxml.jackson.databind.node.TextNode.valueOf(schema(7)) + ",\"deleted\":false}").getBytes()));
        other.commitTransaction();
      }
      RegistryHttp http = new RegistryHttp(server.url());

      assertThat(http.post("/subjects/x-value/versions", schemaBody(schema(7))).body()).isEqualTo("{\"id\":7}");
      assertThat(http.post("/subjects/x-value/versions", schemaBody(schema(8))).body()).isEqualTo("{\"id\":8}");
      assertThat(http.get("/subjects/x-value/versions").body()).isEqualTo("[1,2]");
    }
  }
}
