package io.peregrine.streams;

import io.peregrine.schema.dlq.DeadLetterRecords;
import static io.peregrine.streams.RawEvents.CHECKOUT;
import static io.peregrine.streams.RawEvents.FRONTEND;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.dlq.DeadLetters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Streams application on the real embedded broker and registry: raw events in, output topics
 * and query API answers checked against what was sent; then stopped and started again mid-stream,
 * and every window must still be emitted exactly once with exactly its events.
 */
class StreamsAppIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final int PARTITIONS = 3;
    static final long MS = 1_000_000L;
    static final int WINDOWS_BEFORE = 6;
    static final int WINDOWS_DURING = 8;
    static final int CALLS_PER_NODE_AND_WINDOW = 40;
    static final List<NodeId> CLIENT_NODES = List.of(
            RawEvents.node("web-1", "1111"), RawEvents.node("web-2", "2222"), RawEvents.node("web-3", "3333"),
            RawEvents.node("web-4", "4444"));
    static final ObjectMapper JSON = new ObjectMapper();

    static Topics topics;
    static KafkaProducer<String, Object> producer;
    static Path stateDir;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Event time base: a window-aligned minute well in the past (the API keeps 6 h). */
    static final Instant BASE = Instant.now().minus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.MINUTES);
    static final Map<NodeId, RawEvents> AGENTS = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        SchemaRegistryClient registry = TestRegistry.client(KAFKA);
        topics = Topics.create(registry, SerdeConfig.from(Map.of()), PARTITIONS);
        Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 5);
        producer = new KafkaProducer<>(p, new org.apache.kafka.common.serialization.StringSerializer(),
                (topic, value) -> serialize(topic, value));
        stateDir = Files.createTempDirectory("peregrine-it-streams-");
        // The broker does not auto-create topics: create the catalog as `peregrine up` does.
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            io.peregrine.schema.topic.TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
        for (NodeId n : CLIENT_NODES) {
            AGENTS.put(n, new RawEvents(UUID.randomUUID().toString()));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static byte[] serialize(String topic, Object value) {
        Topic t = topics.byName(topic).orElseThrow();
        return t.valueSerde().serializer().serialize(topic, value);
    }

    @AfterAll
    static void tearDown() {
        producer.close();
    }

    StreamsApp startApp(String appId) {
        StreamsApp app = StreamsApp.create(StreamsAppConfig.of(Map.of(
                StreamsAppConfig.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers(),
                StreamsAppConfig.SCHEMA_REGISTRY_URL, TestRegistry.url(KAFKA),
                StreamsAppConfig.APPLICATION_ID, appId,
                StreamsAppConfig.STATE_DIR, stateDir.resolve(appId).toString(),
                StreamsAppConfig.API_PORT, "0",
                StreamsAppConfig.TOPIC_PARTITIONS, String.valueOf(PARTITIONS),
                StreamsAppConfig.IDLE_SOURCE_TIMEOUT_MS, "60000",
                StreamsAppConfig.COMMIT_INTERVAL_MS, "100")));
        app.start();
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("streams running").isTrue();
        return app;
    }

    static void send(String topic, String key, Object value, Instant ts) {
        producer.send(new ProducerRecord<>(topic, null, ts.toEpochMilli(), key, value));
    }

    /** CALLS_PER_NODE_AND_WINDOW client calls per node into checkout, plus checkout's own view of them. */
    static void produceWindow(int w) {
        Instant start = BASE.plusSeconds(10L * w);
        for (NodeId node : CLIENT_NODES) {
            RawEvents agent = AGENTS.get(node);
            for (int i = 0; i < CALLS_PER_NODE_AND_WINDOW; i++) {
                Instant ts = start.plusMillis(i * 200L + 7);
                L7Event e = agent.clientCall(node, FRONTEND, "10.42.1." + (10 + CLIENT_NODES.indexOf(node)),
                        "10.42.3.18", 8080, Protocol.HTTP, ts, (i + 1) * MS, i % 10 == 0);
                send(topics.rawL7().name(), RawEvents.key(node), e, ts);
            }
        }
        producer.flush();
    }

    /** Moves event time forward on every raw partition. */
    static void produceClock(Instant ts) {
        RawEvents clock = new RawEvents(UUID.randomUUID().toString());
        boolean[] covered = new boolean[PARTITIONS];
        for (int i = 0; i < 100; i++) {
            NodeId node = RawEvents.node("clock-" + i, "c" + i);
            String key = RawEvents.key(node);
            int partition = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
            if (covered[partition]) {
                continue;
            }
            covered[partition] = true;
            AppSample s = AppSample.newBuilder(clock.tick(ts)).setNode(node).build();
            send(topics.rawAppMetrics().name(), key, s, ts);
        }
        producer.flush();
    }

    static <V> List<ConsumerRecord<String, V>> readAll(Topic<String, V> topic, Predicate<List<ConsumerRecord<String, V>>> done,
                                                       Duration timeout) {
        Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && !done.test(out)) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("_status", r.statusCode());
        return body;
    }

    static long expectedRequests() {
        return (long) CLIENT_NODES.size() * CALLS_PER_NODE_AND_WINDOW;
    }

    @Test
    void shouldServeTheMapAndSlisAndCountEveryWindowOnceAcrossARestart() throws Exception {
        String appId = "it-" + UUID.randomUUID();
        // Who listens where comes first, as it does in a running cluster.
        send(topics.rawListens().name(), RawEvents.listenKey(RawEvents.APP_NODE, "10.42.3.18", 8080),
                RawEvents.listen(RawEvents.APP_NODE, "10.42.3.18", 8080, RawEvents.instance(CHECKOUT),
                        BASE.minus(Duration.ofHours(1))), BASE.minus(Duration.ofHours(1)));
        producer.flush();

        StreamsApp app = startApp(appId);
        try {
            for (int w = 0; w < WINDOWS_BEFORE; w++) {
                produceWindow(w);
            }
            producer.send(new ProducerRecord<>(topics.rawL7().name(), "web-1/1111",
                    (Object) null)); // a tombstone on an event topic: ignored
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(topics.rawL7().name(), "web-1/1111".getBytes(StandardCharsets.UTF_8),
                        "garbage".getBytes(StandardCharsets.UTF_8)));
            }
            produceClock(BASE.plusSeconds(10L * WINDOWS_BEFORE + 5)); // closes the last window, not the next

            List<ConsumerRecord<String, ServiceEdgeWindow>> edges = readAll(topics.serviceMap(),
                    l -> l.size() >= WINDOWS_BEFORE, Duration.ofSeconds(60));
            assertThat(edges).hasSize(WINDOWS_BEFORE);
            assertThat(edges).allSatisfy(r -> {
                assertThat(r.key()).isEqualTo("k8s/shop/frontend->k8s/shop/checkout");
                assertThat(r.value().getRequests()).isEqualTo(expectedRequests());
                assertThat(r.value().getErrors()).isEqualTo(expectedRequests() / 10);
            });

            List<ConsumerRecord<String, DeadLetter>> dead = readAllDlq(1);
            assertThat(dead).hasSize(1);
            assertThat(new String(dead.get(0).headers().lastHeader(DeadLetterRecords.HEADER_REASON).value(),
                    StandardCharsets.UTF_8)).isEqualTo("DESERIALIZATION");

            String range = "from=" + BASE + "&to=" + BASE.plusSeconds(10L * WINDOWS_BEFORE);
            JsonNode map = get(app.apiUrl() + "/api/v1/service-map?" + range);
            assertThat(map.get("_status").asInt()).isEqualTo(200);
            assertThat(map.get("complete").asBoolean()).isTrue();
            assertThat(map.get("edges")).hasSize(1);
            JsonNode edge = map.get("edges").get(0);
            assertThat(edge.get("requests").asLong()).isEqualTo(expectedRequests() * WINDOWS_BEFORE);
            assertThat(edge.get("server").get("id").asText()).isEqualTo(CHECKOUT.getId());
            assertThat(edge.get("latency").get("p50_ms").asDouble()).isBetween(19.0, 22.0);

            JsonNode apps = get(app.apiUrl() + "/api/v1/apps");
            assertThat(apps.get("apps").findValuesAsText("id")).contains(FRONTEND.getId(), CHECKOUT.getId());

            JsonNode sli = get(app.apiUrl() + "/api/v1/apps/k8s%2Fshop%2Fcheckout/sli?" + range + "&step=20s");
            assertThat(sli.get("_status").asInt()).isEqualTo(200);
            assertThat(sli.get("points")).hasSize(WINDOWS_BEFORE / 2);
            assertThat(sli.get("totals").get("total").asLong()).isEqualTo(expectedRequests() * WINDOWS_BEFORE);
            assertThat(sli.get("points").get(0).get("requests").asLong()).isEqualTo(2 * expectedRequests());

            JsonNode bad = get(app.apiUrl() + "/api/v1/apps/k8s%2Fshop%2Fcheckout/sli?from=yesterday");
            assertThat(bad.get("_status").asInt()).isEqualTo(400);
            assertThat(bad.get("error").asText()).contains("'from'").contains("yesterday");
            assertThat(get(app.apiUrl() + "/api/v1/apps/nope/sli?" + range).get("_status").asInt()).isEqualTo(404);

            // Mid-stream restart: events keep coming while the application is down.
            AtomicBoolean producing = new AtomicBoolean(true);
            Thread more = new Thread(() -> {
                for (int w = WINDOWS_BEFORE; w < WINDOWS_BEFORE + WINDOWS_DURING; w++) {
                    produceWindow(w);
                    try {
                        Thread.sleep(400);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                producing.set(false);
            });
            more.start();
            Thread.sleep(1_200);
            app.close();
            Thread.sleep(500);
            app = startApp(appId);
            more.join(60_000);
            assertThat(producing.get()).isFalse();
            produceClock(BASE.plusSeconds(10L * (WINDOWS_BEFORE + WINDOWS_DURING) + 5));

            int total = WINDOWS_BEFORE + WINDOWS_DURING;
            List<ConsumerRecord<String, ServiceEdgeWindow>> all = readAll(topics.serviceMap(), l -> l.size() >= total,
                    Duration.ofSeconds(90));
            // Give a duplicate, if there were one, the chance to show up.
            all = readAll(topics.serviceMap(), l -> l.size() > total, Duration.ofSeconds(3));
            Map<Instant, List<Long>> byWindow = new java.util.TreeMap<>();
            all.forEach(r -> byWindow.computeIfAbsent(r.value().getWindowStart(), k -> new ArrayList<>())
                    .add(r.value().getRequests()));
            assertThat(byWindow).hasSize(total);
            assertThat(byWindow.values()).allSatisfy(counts -> assertThat(counts).containsExactly(expectedRequests()));

            List<ConsumerRecord<String, ServiceSliWindow>> slis = readAll(topics.sli(), l -> l.size() >= total,
                    Duration.ofSeconds(30));
            assertThat(slis).hasSize(total);
            assertThat(slis).allSatisfy(r -> assertThat(r.value().getTotal()).isEqualTo(expectedRequests()));
        } finally {
            app.close();
        }
    }

    static List<ConsumerRecord<String, DeadLetter>> readAllDlq(int expected) {
        Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-dlq-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, DeadLetter>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], DeadLetter> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                topics.dlq().valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.dlq().name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && out.size() < expected) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(new ConsumerRecord<>(r.topic(),
                        r.partition(), r.offset(), r.timestamp(), r.timestampType(), r.serializedKeySize(),
                        r.serializedValueSize(), new String(r.key(), StandardCharsets.UTF_8), r.value(), r.headers(),
                        r.leaderEpoch())));
            }
        }
        return out;
    }
}
