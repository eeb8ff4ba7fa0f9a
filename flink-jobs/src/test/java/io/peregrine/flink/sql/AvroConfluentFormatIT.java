package io.peregrine.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.Alert;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.AvroDeserializer;
import io.peregrine.schema.serde.MalformedRecordException.Reason;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.serde.WireFormat;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The avro-confluent format and the topic tables through the real broker and our registry server,
 * on a MiniCluster: records written by the schemas' serde come back as the expected rows, rows
 * written by the SQL sink come back through our deserializer, and bad bytes fail with the reason
 * (or are skipped with {@code ignore-parse-errors}). The tests share the topics, so each marks its
 * records with a key of its own and selects by it.
 */
class AvroConfluentFormatIT {

    /**
     * A broker of its own, not the JVM-wide shared one: these tests write to the catalog's topics
     * (the tables are the shipped DDL, topic names and all), and other ITs read those topics whole.
     */
    @TempDir
    static Path kafkaDir;
    static EmbeddedKafka kafka;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(remoteClassLoading()).build());

    /**
     * A real cluster has none of the job jar's libraries on its class path; this one, the test's,
     * has them all, so the shipped jar's classes (loaded child-first) would meet their twins from
     * the parent. Resolving parent-first keeps one of each: the remote test then proves submission
     * over REST with the jar shipped, not that the jar alone suffices (its content is checked by
     * the shade configuration and the services file).
     */
    private static org.apache.flink.configuration.Configuration remoteClassLoading() {
        org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
        conf.set(org.apache.flink.configuration.CoreOptions.CLASSLOADER_RESOLVE_ORDER, "parent-first");
        return conf;
    }

    static SchemaRegistryServer registry;
    static Topics topics;
    static SchemaRegistryClient client;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.builder().dataDir(kafkaDir).port(0).controllerPort(0).start();
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build());
        client = SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url()));
        topics = Topics.create(client, SerdeConfig.from(Map.of()), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static TableEnvironment session() {
        TableEnvironment tEnv = TableEnvironment.create(
                org.apache.flink.table.api.EnvironmentSettings.inBatchMode());
        PeregrineSql.local(kafka.bootstrapServers(), registry.url(), false).register(tEnv);
        return tEnv;
    }

    private static List<Row> rows(TableEnvironment tEnv, String query) throws Exception {
        List<Row> out = new ArrayList<>();
        try (CloseableIterator<Row> it = tEnv.executeSql(query).collect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void produce(Topic<?, ?> topic, String key, Object... values) {
        Map<String, Object> config = Map.of("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            for (Object v : values) {
                byte[] bytes = v instanceof byte[] b ? b
                        : ((Topic<?, Object>) topic).valueSerde().serializer().serialize(topic.name(), v);
                producer.send(new ProducerRecord<>(topic.name(), k, bytes));
            }
            producer.flush();
        }
    }

    @Test
    void shouldReadWhatTheSerdeWroteToEveryTopic() throws Exception {
        String run = "run-" + UUID.randomUUID();
        Map<Class<?>, List<SpecificRecord>> samples = SampleRecords.allVariants().stream()
                .collect(Collectors.groupingBy(Object::getClass));
        Map<String, Integer> expected = new HashMap<>();
        for (Topic<?, ?> topic : topics.all()) {
            List<SpecificRecord> values = samples.get(topic.valueType());
            assertThat(values).as("a sample of %s", topic.valueType()).isNotEmpty();
            produce(topic, run, values.toArray());
            expected.put(TopicTables.tableName(topic), values.size());
        }
        String union = topics.all().stream()
                .map(t -> "SELECT '" + TopicTables.tableName(t) + "' AS t, COUNT(*) AS n FROM "
                        + TopicTables.tableName(t) + " WHERE CAST(kafka_key AS BYTES) = CAST('" + run + "' AS BYTES)")
                .collect(Collectors.joining(" UNION ALL "));
        Map<String, Integer> counted = new HashMap<>();
        for (Row r : rows(session(), union)) {
            counted.put((String) r.getField(0), ((Long) r.getField(1)).intValue());
        }
        assertThat(counted).isEqualTo(expected);
    }

    @Test
    void shouldReturnTheSliWindowsFieldsAsColumns() throws Exception {
        String run = "run-" + UUID.randomUUID();
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        produce(topics.sli(), run, w);
        List<Row> rows = rows(session(), "SELECT kafka_key, app.id, window_start, source, requests, errors, p99_ns, "
                + "total, availability_good, latency.`count` FROM sli WHERE kafka_key = '" + run + "'");
        assertThat(rows).singleElement().satisfies(r -> {
            assertThat(r.getField(0)).isEqualTo(run);
            assertThat(r.getField(1)).isEqualTo(w.getApp().getId());
            assertThat(r.getField(2)).isEqualTo(LocalDateTime.ofInstant(w.getWindowStart(), ZoneOffset.UTC));
            assertThat(r.getField(3)).isEqualTo(w.getSource().name());
            assertThat(r.getField(4)).isEqualTo(w.getRequests());
            assertThat(r.getField(5)).isEqualTo(w.getErrors());
            assertThat(r.getField(6)).isEqualTo(w.getP99Ns());
            assertThat(r.getField(7)).isEqualTo(w.getTotal());
            assertThat(r.getField(8)).isEqualTo(w.getAvailabilityGood());
            assertThat(r.getField(9)).isEqualTo(w.getLatency().getCount());
        });
    }

    @Test
    void shouldWriteRowsTheSerdeReadsBackWithTheSameSchemaId() throws Exception {
        String run = "run-" + UUID.randomUUID();
        String copy = "copy-" + run;
        Alert alert = SampleRecords.alert();
        produce(topics.alerts(), run, alert);
        TableEnvironment tEnv = session();
        String columns = tEnv.from("alerts").getResolvedSchema().getColumnNames().stream().skip(1)
                .map(TopicTables::quote).collect(Collectors.joining(", "));
        tEnv.executeSql("INSERT INTO alerts SELECT '" + copy + "', " + columns + " FROM alerts WHERE kafka_key = '"
                + run + "'").await();

        List<ConsumerRecord<byte[], byte[]>> written = readAll(topics.alerts().name(), copy);
        assertThat(written).singleElement().satisfies(r -> {
            Alert back = AvroDeserializer.specific(client, Alert.class).deserialize(r, false);
            assertThat(back).isEqualTo(alert);
            int serdeId = client.idOf(topics.alerts().name() + "-value", Alert.getClassSchema());
            assertThat(WireFormat.schemaId(r.value())).isEqualTo(serdeId);
        });
    }

    @Test
    void shouldFailAQueryOverBadBytesWithTheReasonUnlessToldToSkipThem() throws Exception {
        String run = "run-" + UUID.randomUUID();
        byte[] good = topics.sli().valueSerde().serializer().serialize(topics.sli().name(), SampleRecords.serviceSliWindow());
        // Bad bytes stay in a topic for good: they go to a topic of their own, not the shared peregrine.sli.
        String badTopic = "sql-it-bad-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(badTopic, 1, (short) 1))).all().get();
        }
        Map<String, Object> config = Map.of("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] value : List.of(good, "not avro".getBytes(StandardCharsets.UTF_8), good)) {
                producer.send(new ProducerRecord<>(badTopic, run.getBytes(StandardCharsets.UTF_8), value));
            }
        }
        TableEnvironment tEnv = session();
        tEnv.executeSql("CREATE TABLE bad_sli WITH ('topic' = '" + badTopic + "') LIKE sli");
        String query = "SELECT requests FROM bad_sli";
        assertThatThrownBy(() -> rows(tEnv, query))
                .hasStackTraceContaining("BAD_MAGIC_BYTE")
                .hasStackTraceContaining("first byte 0x6e");
        tEnv.executeSql("ALTER TABLE bad_sli SET ('value.avro-confluent.ignore-parse-errors' = 'true')");
        assertThat(rows(tEnv, query)).hasSize(2);
    }

    @Test
    void shouldTellEveryKindOfBadBytesApart() throws Exception {
        Schema schema = SpecificData.get().getSchema(ServiceSliWindow.class);
        RowType rowType = (RowType) AvroSchemaConverter.convertToDataType(schema.toString()).getLogicalType();
        Map<String, String> registryConfig = AvroConfluentFormatFactory.registryConfig(
                org.apache.flink.configuration.Configuration.fromMap(Map.of("url", registry.url())));
        DeserializationSchema<RowData> strict = AvroConfluentFormatFactory.decoder(rowType, schema,
                InternalTypeInfo.of(rowType), registryConfig, false);
        DeserializationSchema<RowData> lenient = AvroConfluentFormatFactory.decoder(rowType, schema,
                InternalTypeInfo.of(rowType), registryConfig, true);
        byte[] good = topics.sli().valueSerde().serializer().serialize(topics.sli().name(), SampleRecords.serviceSliWindow());
        assertThat(strict.deserialize(good).getLong(4)).isEqualTo(SampleRecords.serviceSliWindow().getRequests());
        assertThat(strict.deserialize(null)).isNull();

        Map<Reason, byte[]> bad = Map.of(
                Reason.BAD_MAGIC_BYTE, "{\"json\":1}".getBytes(StandardCharsets.UTF_8),
                Reason.TRUNCATED_HEADER, Arrays.copyOf(good, 3),
                Reason.UNKNOWN_SCHEMA_ID, WireFormat.frame(987_654, Arrays.copyOfRange(good, 5, good.length)),
                Reason.CORRUPT_BODY, Arrays.copyOf(good, good.length - 4));
        bad.forEach((reason, bytes) -> {
            assertThatThrownBy(() -> strict.deserialize(bytes)).as(reason.name())
                    .isInstanceOfSatisfying(UnreadableRecordException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                    .hasMessageContaining(reason.name());
            try {
                assertThat(lenient.deserialize(bytes)).as(reason.name()).isNull();
            } catch (java.io.IOException e) {
                throw new AssertionError(reason + " not skipped", e);
            }
        });
        assertThatThrownBy(() -> strict.deserialize(new byte[0]))
                .isInstanceOfSatisfying(UnreadableRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED_HEADER));
    }

    @Test
    void shouldFailRatherThanSkipWhenTheRegistryIsUnreachable() {
        Schema schema = SpecificData.get().getSchema(ServiceSliWindow.class);
        RowType rowType = (RowType) AvroSchemaConverter.convertToDataType(schema.toString()).getLogicalType();
        Map<String, String> down = AvroConfluentFormatFactory.registryConfig(org.apache.flink.configuration.Configuration
                .fromMap(Map.of("url", "http://127.0.0.1:1", "properties.max.retries", "0")));
        DeserializationSchema<RowData> lenient = AvroConfluentFormatFactory.decoder(rowType, schema,
                InternalTypeInfo.of(rowType), down, true);
        byte[] unseen = WireFormat.frame(987_653, new byte[] {2, 4});
        assertThatThrownBy(() -> lenient.deserialize(unseen))
                .isNotInstanceOf(UnreadableRecordException.class)
                .hasMessageContaining("cannot fetch schema id 987653");
    }

    @Test
    void shouldRunAQueryOnARemoteClusterShippingTheJobJar() throws Exception {
        String run = "run-" + UUID.randomUUID();
        produce(topics.sli(), run, SampleRecords.serviceSliWindow());
        org.apache.flink.configuration.Configuration client = FLINK.getClientConfiguration();
        String remote = client.get(org.apache.flink.configuration.RestOptions.ADDRESS) + ":"
                + client.get(org.apache.flink.configuration.RestOptions.PORT);
        // Integration tests run after `package`: the shaded job jar is there.
        java.nio.file.Path jar = java.nio.file.Path.of("target/peregrine-flink-jobs.jar");
        assertThat(jar).isRegularFile();
        PeregrineSql session = new PeregrineSql(kafka.bootstrapServers(), registry.url(), false,
                java.util.Optional.of(remote), java.util.Optional.of(jar), java.util.Optional.of(1), Map.of(), Map.of());
        assertThat(rows(session.open(), "SELECT requests FROM sli WHERE kafka_key = '" + run + "'"))
                .singleElement().satisfies(r -> assertThat(r.getField(0))
                        .isEqualTo(SampleRecords.serviceSliWindow().getRequests()));

        PeregrineSql noPort = new PeregrineSql(kafka.bootstrapServers(), registry.url(), false,
                java.util.Optional.of("flink"), java.util.Optional.of(jar), java.util.Optional.empty(), Map.of(), Map.of());
        assertThatThrownBy(noPort::open).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HOST:PORT");
        PeregrineSql noJar = new PeregrineSql(kafka.bootstrapServers(), registry.url(), false,
                java.util.Optional.of(remote), java.util.Optional.of(java.nio.file.Path.of("missing.jar")),
                java.util.Optional.empty(), Map.of(), Map.of());
        assertThatThrownBy(noJar::open).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing.jar");
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, String key) {
        Map<String, Object> config = Map.of("bootstrap.servers", kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && new String(r.key(), StandardCharsets.UTF_8).equals(key)) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }
}
