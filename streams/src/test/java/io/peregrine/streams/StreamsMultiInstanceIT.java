package io.peregrine.streams;

import static io.peregrine.streams.RawEvents.FRONTEND;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two Streams instances with one application id on the real embedded broker, each with its own
 * state directory and API port. Each holds only its partitions, yet each answers the whole service
 * map, the application list and every application's SLIs (gathering from, or forwarding to, the
 * other). Then one stops: until the survivor has taken over, its answers may say they are
 * incomplete or ask to retry, but never present missing data as complete; after, it alone answers
 * everything.
 */
class StreamsMultiInstanceIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /** Wanted; on a broker shared with other tests the raw topics may already exist with another count. */
    static final int WANTED_PARTITIONS = 4;
    static int partitions;
    static final int WINDOWS = 4;
    static final int CALLS = 25;
    static final long MS = 1_000_000L;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final List<NodeId> CLIENT_NODES = List.of(RawEvents.node("web-1", "1111"), RawEvents.node("web-2", "2222"),
            RawEvents.node("web-3", "3333"));
    static final Instant BASE = Instant.now().minus(Duration.ofMinutes(20)).truncatedTo(ChronoUnit.MINUTES);

    /** Server applications whose ids cover every partition, so that both instances own some. */
    static final List<AppId> SERVERS = new ArrayList<>();
    static Topics topics;
    static KafkaProducer<String, Object> producer;
    static Path stateDir;

    @BeforeAll
    static void setUp() throws Exception {
        SchemaRegistryClient registry = TestRegistry.client(KAFKA);
        topics = Topics.create(registry, SerdeConfig.from(Map.of()), WANTED_PARTITIONS);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            TopicAdmin.ensure(admin, topics.all(), (short) 1);
            partitions = admin.describeTopics(List.of(topics.rawL7().name())).allTopicNames().get()
                    .get(topics.rawL7().name()).partitions().size();
        }
        assertThat(partitions).as("two instances need partitions to share").isGreaterThan(1);
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), StreamsMultiInstanceIT::serialize);
        stateDir = Files.createTempDirectory("peregrine-it-multi-");
        Set<Integer> covered = new HashSet<>();
        for (int i = 0; covered.size() < partitions; i++) {
            AppId app = RawEvents.k8s("shop", "svc-" + i);
            if (covered.add(partitionOf(app.getId()))) {
                SERVERS.add(app);
            }
        }
    }

    @AfterAll
    static void tearDown() {
        producer.close();
    }

    static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static byte[] serialize(String topic, Object value) {
        Topic t = topics.byName(topic).orElseThrow();
        return t.valueSerde().serializer().serialize(topic, value);
    }

    static String serverIp(int s) {
        return "10.42.3." + (20 + s);
    }

    static void send(String topic, String key, Object value, Instant ts) {
        producer.send(new ProducerRecord<>(topic, null, ts.toEpochMilli(), key, value));
    }

    StreamsApp start(String appId, String name) {
        StreamsApp app = StreamsApp.create(StreamsAppConfig.of(Map.of(
                StreamsAppConfig.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers(),
                StreamsAppConfig.SCHEMA_REGISTRY_URL, TestRegistry.url(KAFKA),
                StreamsAppConfig.APPLICATION_ID, appId,
                StreamsAppConfig.STATE_DIR, stateDir.resolve(name).toString(),
                StreamsAppConfig.API_PORT, "0",
                StreamsAppConfig.TOPIC_PARTITIONS, String.valueOf(WANTED_PARTITIONS),
                StreamsAppConfig.IDLE_SOURCE_TIMEOUT_MS, "60000",
                StreamsAppConfig.COMMIT_INTERVAL_MS, "100")));
        app.start();
        return app;
    }

    static long expectedRequestsPerWindow() {
        return (long) CLIENT_NODES.size() * CALLS;
    }

    @Test
    void shouldAnswerEveryQueryCompletelyFromEitherInstanceAndFromTheSurvivorWhenOneStops() throws Exception {
        String appId = "it-multi-" + UUID.randomUUID();
        Instant listenTs = BASE.minus(Duration.ofHours(1));
        for (int s = 0; s < SERVERS.size(); s++) {
            send(topics.rawListens().name(), RawEvents.listenKey(RawEvents.APP_NODE, serverIp(s), 8080),
                    RawEvents.listen(RawEvents.APP_NODE, serverIp(s), 8080, RawEvents.instance(SERVERS.get(s)), listenTs),
                    listenTs);
        }
        producer.flush();

        StreamsApp a = start(appId, "a");
        StreamsApp b = start(appId, "b");
        apps = List.of(a, b);
        boolean bClosed = false;
        try {
            assertThat(a.awaitRunning(Duration.ofSeconds(90))).as("a running").isTrue();
            assertThat(b.awaitRunning(Duration.ofSeconds(90))).as("b running").isTrue();
            produceWindows(appId);
            List<?> records = readServiceMap(SERVERS.size() * WINDOWS, Duration.ofSeconds(120));
            serviceMapRecords = records;
            assertThat(records).hasSize(SERVERS.size() * WINDOWS);
            // Every window closes once, with every node's calls: none dropped as late (issue #6).
            assertThat(records).as(() -> "service-map windows " + records + " " + counters())
                    .allSatisfy(r -> assertThat(((ServiceEdgeWindow) r).getRequests())
                            .isEqualTo(expectedRequestsPerWindow()));

            String range = "from=" + BASE + "&to=" + BASE.plusSeconds(10L * WINDOWS);
            // Each instance holds a part of the map: neither could answer alone.
            awaitTrue(Duration.ofSeconds(60), () -> {
                JsonNode la = get(a.apiUrl() + "/api/v1/service-map?local=true&" + range);
                JsonNode lb = get(b.apiUrl() + "/api/v1/service-map?local=true&" + range);
                return la.path("_status").asInt() == 200 && lb.path("_status").asInt() == 200
                        && la.get("edges").size() > 0 && lb.get("edges").size() > 0
                        && la.get("edges").size() + lb.get("edges").size() == SERVERS.size();
            }, "both instances own part of the map");
            for (StreamsApp asked : List.of(a, b)) {
                awaitTrue(Duration.ofSeconds(60), () -> answersEverything(asked, range) == Verdict.COMPLETE,
                        "complete answers from " + asked.apiUrl());
            }

            b.close();
            bClosed = true;
            // While the survivor takes over: incomplete or retry-later answers are fine, wrong complete ones are not.
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            Verdict v = Verdict.INCOMPLETE;
            while (System.nanoTime() < deadline && v != Verdict.COMPLETE) {
                v = answersEverything(a, range);
                Thread.sleep(200);
            }
            assertThat(v).as("the survivor answers everything after the takeover").isEqualTo(Verdict.COMPLETE);
            assertThat(get(a.apiUrl() + "/api/v1/service-map?local=true&" + range).get("edges"))
                    .as("now from its own stores").hasSize(SERVERS.size());
        } finally {
            a.close();
            if (!bClosed) {
                b.close();
            }
        }
    }

    void produceWindows(String appId) throws Exception {
        Map<NodeId, RawEvents> agents = new java.util.HashMap<>();
        for (int w = 0; w < WINDOWS; w++) {
            Instant start = BASE.plusSeconds(10L * w);
            for (NodeId node : CLIENT_NODES) {
                RawEvents agent = agents.computeIfAbsent(node, n -> new RawEvents(UUID.randomUUID().toString()));
                for (int s = 0; s < SERVERS.size(); s++) {
                    for (int i = 0; i < CALLS; i++) {
                        Instant ts = start.plusMillis(i * 300L + s);
                        send(topics.rawL7().name(), RawEvents.key(node), agent.clientCall(node, FRONTEND,
                                "10.42.1." + (10 + CLIENT_NODES.indexOf(node)), serverIp(s), 8080, Protocol.HTTP, ts,
                                (i + 1) * MS, i % 5 == 0), ts);
                    }
                }
            }
        }
        producer.flush();
        // The clock below is 45 s of event time ahead of these calls, on another topic of the same
        // tasks: were a task to take it first (right after a rebalance its buffers are empty and
        // Kafka Streams picks among what it has), the windows would close before the calls arrive.
        // Agents publish a node's topics together, so such a skew is an artefact of this test:
        // send the clock once the application has consumed every call.
        awaitConsumed(appId, topics.rawL7().name());
        // Event time past the last window's grace on every raw partition.
        Instant clockTs = BASE.plusSeconds(10L * WINDOWS + 5);
        RawEvents clock = new RawEvents(UUID.randomUUID().toString());
        Set<Integer> covered = new HashSet<>();
        for (int i = 0; covered.size() < partitions; i++) {
            NodeId node = RawEvents.node("clock-" + i, "c" + i);
            if (covered.add(partitionOf(RawEvents.key(node)))) {
                send(topics.rawAppMetrics().name(), RawEvents.key(node),
                        AppSample.newBuilder(clock.tick(clockTs)).setNode(node).build(), clockTs);
            }
        }
        producer.flush();
    }

    /** Waits until {@code appId}'s group has committed the end of every partition of {@code topic}. */
    static void awaitConsumed(String appId, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()));
             KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
                     new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                     new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> parts = probe.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            Map<org.apache.kafka.common.TopicPartition, Long> ends = probe.endOffsets(parts);
            awaitTrue(Duration.ofSeconds(60), () -> {
                var committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
                return ends.entrySet().stream().allMatch(e -> e.getValue() == 0
                        || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
            }, appId + " consumed " + topic);
        }
    }

    /** The service-map records of this test's edges (the broker may hold other tests' records). */
    List<Object> readServiceMap(int expected, Duration timeout) {
        Set<String> servers = new HashSet<>(SERVERS.stream().map(AppId::getId).toList());
        Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<Object> out = new ArrayList<>();
        try (KafkaConsumer<String, ServiceEdgeWindow> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                topics.serviceMap().valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.serviceMap().name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && out.size() < expected) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (servers.contains(r.value().getServer().getId()) && !r.value().getWindowStart().isBefore(BASE)) {
                        out.add(r.value());
                    }
                });
            }
        }
        return out;
    }

    static List<?> serviceMapRecords = List.of();
    static List<StreamsApp> apps = List.of();

    /** The pipeline counters of every instance, for failure messages. */
    static String counters() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < apps.size(); i++) {
            b.append("instance ").append(i).append(": ");
            try {
                b.append(get(apps.get(i).apiUrl() + "/api/v1/status").get("counters"));
            } catch (Exception e) {
                b.append(e); // a closed instance has no API
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The service-map records of {@code server} read by the wait, for failure messages. */
    static String recordsOf(String server) {
        StringBuilder b = new StringBuilder();
        for (Object o : serviceMapRecords) {
            ServiceEdgeWindow w = (ServiceEdgeWindow) o;
            if (w.getServer().getId().equals(server)) {
                b.append(w.getWindowStart()).append('=').append(w.getRequests()).append(' ');
            }
        }
        return b.toString();
    }

    enum Verdict { COMPLETE, INCOMPLETE }

    /**
     * Asks {@code app} for the map, the apps and every server's SLIs. COMPLETE when every answer is
     * complete and right; INCOMPLETE when some answer says it is partial or asks to retry; fails
     * the test when an answer claims to be complete but is not.
     */
    Verdict answersEverything(StreamsApp app, String range) throws Exception {
        Verdict verdict = Verdict.COMPLETE;
        JsonNode map = get(app.apiUrl() + "/api/v1/service-map?" + range);
        if (map.get("_status").asInt() != 200 || !map.get("complete").asBoolean()) {
            assertThat(map.get("_status").asInt()).as("map status: %s", map).isIn(200, 503);
            if (map.get("_status").asInt() == 200) {
                assertThat(map.has("unreachable_instances") || map.has("missing_partitions"))
                        .as("an incomplete map says what is missing: %s", map).isTrue();
            }
            verdict = Verdict.INCOMPLETE;
        } else {
            assertThat(map.get("edges")).as("complete map: %s", map).hasSize(SERVERS.size());
            assertThat(map.get("partitions")).as("every partition read").hasSize(partitions);
            for (JsonNode e : map.get("edges")) {
                assertThat(e.get("client").get("id").asText()).isEqualTo(FRONTEND.getId());
                String server = e.get("server").get("id").asText();
                assertThat(e.get("requests").asLong())
                        .as(() -> "edge " + server + " (service-map topic: " + recordsOf(server) + ") " + counters())
                        .isEqualTo(expectedRequestsPerWindow() * WINDOWS);
                assertThat(e.get("errors").asLong()).isEqualTo(expectedRequestsPerWindow() * WINDOWS / 5);
            }
        }

        JsonNode apps = get(app.apiUrl() + "/api/v1/apps");
        if (apps.get("_status").asInt() != 200 || !apps.get("complete").asBoolean()) {
            assertThat(apps.get("_status").asInt()).as("apps status: %s", apps).isIn(200, 503);
            if (apps.get("_status").asInt() == 200) {
                assertThat(apps.has("unreachable_instances") || apps.has("missing_partitions"))
                        .as("an incomplete list says what is missing: %s", apps).isTrue();
            }
            verdict = Verdict.INCOMPLETE;
        } else {
            List<String> ids = apps.get("apps").findValuesAsText("id");
            assertThat(ids).as("complete app list").contains(FRONTEND.getId());
            assertThat(ids).containsAll(SERVERS.stream().map(AppId::getId).toList());
        }

        for (AppId server : SERVERS) {
            JsonNode sli = get(app.apiUrl() + "/api/v1/apps/" + URLEncoder.encode(server.getId(), StandardCharsets.UTF_8)
                    + "/sli?" + range);
            int status = sli.get("_status").asInt();
            if (status != 200) {
                // The owner is gone (502) or ownership is moving (503): retry later, never "no such app".
                assertThat(status).as("sli of %s: %s", server.getId(), sli).isIn(502, 503);
                verdict = Verdict.INCOMPLETE;
                continue;
            }
            assertThat(sli.get("app").get("id").asText()).isEqualTo(server.getId());
            assertThat(sli.get("points")).hasSize(WINDOWS);
            assertThat(sli.get("totals").get("total").asLong()).as("sli of %s", server.getId())
                    .isEqualTo(expectedRequestsPerWindow() * WINDOWS);
        }
        return verdict;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void awaitTrue(Duration timeout, Check check, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not within " + timeout + ": " + what);
    }

    static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        ((ObjectNode) body).put("_status", r.statusCode());
        return body;
    }
}
