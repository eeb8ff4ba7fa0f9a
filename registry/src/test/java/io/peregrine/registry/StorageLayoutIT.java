package io.peregrine.registry;

import static io.peregrine.registry.RegistryHttp.schemaBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code _schemas} topic holds Confluent's key/value JSON, so a Confluent registry can read
 * ours, and we read a topic written the way Confluent writes it (plain, non-transactional records).
 */
class StorageLayoutIT {

  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static String topic() {
    return "_schemas_layout_" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static SchemaRegistryServer start(String topic) {
    return SchemaRegistryServer.start(RegistryConfig.builder()
        .bootstrapServers(KAFKA.bootstrapServers()).port(0).topic(topic).build());
  }

  /** Every committed record of the topic as "key -> value" (null for tombstones). */
  private static List<String> readTopic(String topic) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      List<String> out = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (consumer.position(tp) < end) {
        assertThat(System.nanoTime()).as("reading %s up to %d", topic, end).isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(new String(r.key(), StandardCharsets.UTF_8) + " -> "
              + (r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8)));
        }
      }
      return out;
    }
  }

  @Test
  void shouldWriteConfluentKeysAndValues() throws Exception {
    String topic = topic();
    try (SchemaRegistryServer server = start(topic)) {
      RegistryHttp http = new RegistryHttp(server.url());
      assertThat(http.post("/subjects/layout-value/versions", schemaBody("{\"type\": \"string\"}")).body()).isEqualTo("{\"id\":1}");
      assertThat(http.put("/config/layout-value", "{\"compatibility\":\"FULL\"}").status()).isEqualTo(200);
      assertThat(http.put("/config", "{\"compatibility\":\"NONE\"}").status()).isEqualTo(200);
      assertThat(http.delete("/subjects/layout-value").body()).isEqualTo("[1]");
      assertThat(http.delete("/subjects/layout-value?permanent=true").body()).isEqualTo("[1]");
    }

    assertThat(readTopic(topic)).containsExactly(
        "{\"keytype\":\"SCHEMA\",\"subject\":\"layout-value\",\"version\":1,\"magic\":1} -> "
            + "{\"subject\":\"layout-value\",\"version\":1,\"id\":1,\"schema\":\"\\\"string\\\"\",\"deleted\":false}",
        "{\"keytype\":\"CONFIG\",\"subject\":\"layout-value\",\"magic\":0} -> {\"compatibilityLevel\":\"FULL\"}",
        "{\"keytype\":\"CONFIG\",\"magic\":0} -> {\"compatibilityLevel\":\"NONE\"}",
        // soft delete: each live version rewritten as deleted, the DELETE_SUBJECT marker, the subject config dropped
        "{\"keytype\":\"SCHEMA\",\"subject\":\"layout-value\",\"version\":1,\"magic\":1} -> "
            + "{\"subject\":\"layout-value\",\"version\":1,\"id\":1,\"schema\":\"\\\"string\\\"\",\"deleted\":true}",
        "{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"layout-value\",\"magic\":0} -> {\"subject\":\"layout-value\",\"version\":1}",
        "{\"keytype\":\"CONFIG\",\"subject\":\"layout-value\",\"magic\":0} -> null",
        // permanent delete: tombstones
        "{\"keytype\":\"SCHEMA\",\"subject\":\"layout-value\",\"version\":1,\"magic\":1} -> null");

    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()).hasSize(1);
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      ConfigEntry policy = admin.describeConfigs(List.of(resource)).all().get().get(resource).get("cleanup.policy");
      assertThat(policy.value()).isEqualTo("compact");
    }
  }

  @Test
  void shouldReadConfluentWrittenRecordsAndSkipForeignOrCorruptOnes() throws Exception {
    String topic = topic();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
          .all().get();
    }
    String[][] records = {
        {"{\"keytype\":\"NOOP\",\"magic\":0}", null},
        {"{\"keytype\":\"SCHEMA\",\"subject\":\"legacy-value\",\"version\":1,\"magic\":1}",
            "{\"subject\":\"legacy-value\",\"version\":1,\"id\":41,\"schema\":\"\\\"long\\\"\",\"deleted\":false}"},
        {"{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}", "{\"compatibilityLevel\":\"FORWARD\"}"},
        {"{\"keytype\":\"CONTEXT\",\"tenant\":\"default\",\"context\":\".ctx\"}", "{\"tenant\":\"default\"}"},
        {"this is not json", "{}"},
        {"{\"keytype\":\"SCHEMA\",\"subject\":\"legacy-value\",\"version\":2,\"magic\":7}", "{}"},
        {"{\"keytype\":\"SCHEMA\",\"subject\":\"legacy-value\",\"version\":3,\"magic\":1}", "{\"id\": tru"},
    };
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      for (String[] r : records) {
        producer.send(new ProducerRecord<>(topic, 0, r[0].getBytes(StandardCharsets.UTF_8),
            r[1] == null ? null : r[1].getBytes(StandardCharsets.UTF_8))).get();
      }
    }

    try (SchemaRegistryServer server = start(topic)) {
      RegistryHttp http = new RegistryHttp(server.url());
      assertThat(http.get("/subjects").body()).isEqualTo("[\"legacy-value\"]");
      assertThat(http.get("/schemas/ids/41").body()).isEqualTo("{\"schema\":\"\\\"long\\\"\"}");
      assertThat(http.get("/config").body()).isEqualTo("{\"compatibilityLevel\":\"FORWARD\"}");
      // Ids continue after the highest one seen (Confluent's IncrementalIdGenerator).
      assertThat(http.post("/subjects/new-value/versions", schemaBody("\"int\"")).body()).isEqualTo("{\"id\":42}");
      assertThat(http.post("/subjects/other-value/versions", schemaBody("\"long\"")).body()).isEqualTo("{\"id\":41}");
    }
  }

  @Test
  void shouldRefuseToStartOnATopicWithSeveralPartitions() throws Exception {
    String topic = topic();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
          .all().get();
    }

    assertThatThrownBy(() -> start(topic))
        .isInstanceOf(RegistryStartupException.class)
        .hasMessageContaining(topic)
        .hasMessageContaining("should have only 1 partition but has 3");
  }
}
