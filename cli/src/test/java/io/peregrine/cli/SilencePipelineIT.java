package io.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.peregrine.flink.FlinkJobs;
import io.peregrine.flink.FlinkJobsConfig;
import io.peregrine.flink.config.PeregrineYaml;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Silences end to end: {@code peregrine silence add} and {@code expire} write
 * {@code peregrine.silences} on the real broker while the alerting jobs ({@link FlinkJobs#define})
 * run on a MiniCluster, paging a loopback HTTP server that stands in for PagerDuty and for a
 * signed webhook. Three services fail at once: one silenced until further notice, one silenced for
 * a while, one not silenced at all.
 */
class SilencePipelineIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    static SchemaRegistryServer registry;
    static Topics topics;

    @TempDir
    Path home;

    @BeforeAll
    static void start() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(KAFKA.bootstrapServers()).host("127.0.0.1").port(0).build());
        topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url())),
                SerdeConfig.from(Map.of()), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void shouldNotPageASilencedIncidentUntilItsSilenceEndsOrIsExpired() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        AppId quiet = app("quiet-" + run);   // silenced until expired
        AppId brief = app("brief-" + run);   // silenced until a set end, mid-incident
        AppId loud = app("loud-" + run);     // not silenced
        // Event time runs a little ahead of the clock: a silence's end must be in the future when
        // `silence add` writes it, and the data must pass it.
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(2));
        Instant briefEnds = t0.plus(WINDOW.multipliedBy(40));

        String untilExpired = cli("silence", "add", "app=" + quiet.getId(), "--starts-at", t0.minus(Duration.ofHours(1))
                .toString(), "--duration", "1d", "--comment", "CHG-7 quiet maintenance", "--created-by", "it");
        String untilEnd = cli("silence", "add", "app_name=" + brief.getName(), "kind=~SLO_.*", "--starts-at",
                t0.minus(Duration.ofHours(1)).toString(), "--ends-at", briefEnds.toString(), "--comment", "CHG-8");

        try (Receiver http = new Receiver();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                     ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            skipEarlierRuns("silence-it-" + run);
            // quiet and loud fail in windows 18 to 29, brief in 18 to 49: its silence ends in window 40.
            // Healthy fillers, so that both SLI partitions carry data and event time does not wait
            // for a quiet partition to be declared idle.
            Map<AppId, int[]> phase1 = new HashMap<>(Map.of(quiet, new int[] {18, 30}, loud, new int[] {18, 30},
                    brief, new int[] {18, 50}));
            Map<AppId, int[]> phase2 = new HashMap<>(Map.of(quiet, new int[] {140, 152}));
            for (int k = 0; k < 4; k++) {
                phase1.put(app("filler" + k + "-" + run), new int[] {0, 0});
                phase2.put(app("filler" + k + "-" + run), new int[] {0, 0});
            }
            JobClient job = start(run, http);
            try {
                // The silences exist before anything fails: the job has read them into its state
                // before the first window arrives (a fresh job applies changelogs on arrival, so a
                // backlog of windows could otherwise beat them).
                awaitSilencesRead("silence-it-" + run + "-silences", Duration.ofSeconds(120));
                send(producer, t0, 0, 120, phase1);
                // Phase 1: loud pages at once; brief when its silence ends; both resolve; quiet never pages.
                http.await(r -> r.pagerDuty().stream().filter(e -> e.at("/event_action").asText().equals("resolve"))
                        .count() == 2, Duration.ofSeconds(180));
                Predicate<List<Incident>> threeResolved = list -> list.stream()
                        .filter(i -> i.getStatus() == IncidentStatus.RESOLVED).count() == 3;
                List<Incident> incidents = read(threeResolved, run);
                assertThat(threeResolved.test(incidents)).as("incidents: %s", incidents).isTrue();
                Map<String, List<Incident>> byApp = byApp(incidents);
                List<Incident> quietVersions = byApp.get(quiet.getId());
                assertThat(quietVersions).isNotEmpty().allSatisfy(i ->
                        assertThat(i.getSilencedBy()).containsExactly(untilExpired));
                assertThat(quietVersions.get(quietVersions.size() - 1).getStatus()).isEqualTo(IncidentStatus.RESOLVED);
                String quietFirst = quietVersions.get(0).getId();

                List<Incident> briefVersions = byApp.get(brief.getId());
                assertThat(briefVersions.get(0).getSilencedBy()).containsExactly(untilEnd);
                Incident unsilenced = briefVersions.stream().filter(i -> i.getSilencedBy().isEmpty()).findFirst()
                        .orElseThrow(() -> new AssertionError("brief never unsilenced: " + briefVersions));
                assertThat(unsilenced.getStatus()).isEqualTo(IncidentStatus.OPEN);
                assertThat(unsilenced.getUpdatedAt()).as("brief's versions: %s", briefVersions).isEqualTo(briefEnds);
                assertThat(byApp.get(loud.getId())).allSatisfy(i -> assertThat(i.getSilencedBy()).isEmpty());

                Thread.sleep(2_000); // anything still in flight
                String loudId = byApp.get(loud.getId()).get(0).getId();
                String briefId = briefVersions.get(0).getId();
                assertThat(http.pagerDuty()).extracting(e -> e.at("/event_action").asText() + " " + e.at("/dedup_key").asText())
                        .containsExactlyInAnyOrder("trigger " + loudId, "resolve " + loudId, "trigger " + briefId,
                                "resolve " + briefId);
                assertThat(http.webhook()).extracting(w -> w.at("/action").asText() + " " + w.at("/incident/id").asText())
                        .containsExactlyInAnyOrder("trigger " + loudId, "resolve " + loudId, "trigger " + briefId,
                                "resolve " + briefId);
                assertThat(http.bodies()).noneMatch(b -> b.contains(quiet.getId()) || b.contains(quietFirst));

                // Phase 2: the silence is expired; quiet fails again, and this time it pages.
                assertThat(cli("silence", "expire", untilExpired)).isEqualTo(untilExpired + " expired");
                send(producer, t0, 120, 220, phase2);
                Predicate<JsonNode> quietTrigger = e -> e.at("/payload/source").asText().equals(quiet.getId());
                Predicate<List<Incident>> quietAgain = list -> list.stream().anyMatch(i -> !i.getId().equals(quietFirst)
                        && i.getAffectedApps().get(0).getId().equals(quiet.getId()));
                try {
                    http.await(r -> r.pagerDuty().stream().anyMatch(quietTrigger), Duration.ofSeconds(240));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nincidents: " + read(quietAgain, run), e);
                }
                List<JsonNode> quietPages = http.pagerDuty().stream().filter(quietTrigger).toList();
                assertThat(quietPages).singleElement().satisfies(e -> {
                    assertThat(e.at("/event_action").asText()).isEqualTo("trigger");
                    assertThat(e.at("/dedup_key").asText()).isNotEqualTo(quietFirst);
                });
                List<Incident> later = byApp(read(quietAgain, run)).get(quiet.getId());
                assertThat(later).filteredOn(i -> !i.getId().equals(quietFirst)).isNotEmpty()
                        .allSatisfy(i -> assertThat(i.getSilencedBy()).isEmpty());
            } finally {
                job.cancel().get();
            }
        }
    }

    private JobClient start(String run, Receiver http) throws Exception {
        FlinkJobsConfig config = FlinkJobsConfig.parse(new String[] {
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--schema-registry-url", registry.url(),
                "--group-id", "silence-it-" + run, "--transactional-id-prefix", "silence-it-" + run},
                Map.of("PEREGRINE_HOME", home.toString()));
        PeregrineYaml yaml = PeregrineYaml.parse("""
                incidents: {fire_after: 1, resolve_after: 2, group_wait: 10s}
                anomaly: {enabled: false}
                notify:
                  pagerduty: {routing_key: 0123456789abcdef0123456789abcdef, url: '%s',
                              request_timeout: 5s, backoff: 100ms, max_backoff: 2s, deadline: 1m}
                  webhooks:
                    - {name: ops, url: '%s', secret: silence-it-secret-0123, format: peregrine,
                       request_timeout: 5s, backoff: 100ms, max_backoff: 2s, deadline: 1m}
                """.formatted(http.url("/pagerduty"), http.url("/webhook")));
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
        FlinkJobs.define(env, config, yaml);
        return env.executeAsync("silence-it");
    }

    /** Runs a {@code peregrine} command against the test's broker and registry; its output, trimmed. */
    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Peregrine.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", KAFKA.bootstrapServers(), "--schema-registry-url", registry.url()));
        int code = cl.execute(all.toArray(String[]::new));
        assertThat(code).as("peregrine %s: %s", String.join(" ", args), err).isZero();
        return out.toString().trim();
    }

    private static AppId app(String name) {
        return AppId.newBuilder(SampleRecords.checkoutApp()).setId("k8s/shop/" + name).setName(name).build();
    }

    /** SLI windows [from, to) of every app in {@code failing}: 100 requests each, all failing in [first, end). */
    private static void send(KafkaProducer<byte[], byte[]> producer, Instant t0, int from, int to,
                             Map<AppId, int[]> failing) {
        Topic<String, ServiceSliWindow> sli = topics.sli();
        for (int i = from; i < to; i++) {
            for (Map.Entry<AppId, int[]> a : failing.entrySet()) {
                long bad = i >= a.getValue()[0] && i < a.getValue()[1] ? 100 : 0;
                Instant start = t0.plus(WINDOW.multipliedBy(i));
                ServiceSliWindow w = SampleRecords.serviceSliWindow();
                w.setApp(a.getKey());
                w.setWindowStart(start);
                w.setWindowEnd(start.plus(WINDOW));
                w.setRequests(100L);
                w.setErrors(bad);
                w.setTotal(100L);
                w.setAvailabilityGood(100 - bad);
                w.setLatencyGood(100 - bad);
                producer.send(new ProducerRecord<>(sli.name(), null, w.getWindowEnd().toEpochMilli(),
                        a.getKey().getId().getBytes(StandardCharsets.UTF_8), sli.valueSerde().serializer().serialize(sli.name(), w)));
            }
        }
        producer.flush();
    }

    /**
     * Commits the SLI topic's end offsets for the job's new consumer group, so that it starts after
     * what earlier runs wrote (their windows would set event time ahead of this run's).
     */
    private static void skipEarlierRuns(String groupId) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, groupId), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topics.sli().name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
            c.endOffsets(tps).forEach((tp, o) -> end.put(tp, new OffsetAndMetadata(o)));
            c.commitSync(end);
        }
    }

    /**
     * Waits until the job's silences source committed offsets at the end of peregrine.silences as
     * of now: it commits them with a completed checkpoint, so by then every silence written so far
     * reached the correlator's state.
     */
    private static void awaitSilencesRead(String groupId, Duration timeout) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()));
             KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topics.silences().name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + timeout.toNanos();
            Map<TopicPartition, OffsetAndMetadata> committed = Map.of();
            while (System.nanoTime() < deadline) {
                try {
                    committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError("offsets of " + groupId, e);
                }
                Map<TopicPartition, OffsetAndMetadata> now = committed;
                if (end.entrySet().stream().allMatch(e -> e.getValue() == 0
                        || now.get(e.getKey()) != null && now.get(e.getKey()).offset() >= e.getValue())) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("within " + timeout + " the job's silences source committed " + committed
                    + ", not the end offsets " + end);
        }
    }

    /**
     * This run's incident versions on peregrine.incidents (read committed), once {@code done} holds
     * and 2 s more, or all there are after 60 s.
     */
    private static List<Incident> read(Predicate<List<Incident>> done, String run) {
        Topic<String, Incident> topic = topics.incidents();
        List<Incident> out = new ArrayList<>();
        try (KafkaConsumer<String, Incident> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "silence-it-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long settleUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                for (ConsumerRecord<String, Incident> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && r.value().getAffectedApps().stream().anyMatch(a -> a.getId().endsWith(run))) {
                        out.add(r.value());
                    }
                }
                if (settleUntil == Long.MAX_VALUE && done.test(out)) {
                    settleUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                }
            }
        }
        return out;
    }

    /** Versions by the app each incident is about (one app per incident here), in order. */
    private static Map<String, List<Incident>> byApp(List<Incident> incidents) {
        Map<String, List<Incident>> out = new HashMap<>();
        for (Incident i : incidents) {
            assertThat(i.getAffectedApps()).hasSize(1);
            out.computeIfAbsent(i.getAffectedApps().get(0).getId(), k -> new ArrayList<>()).add(i);
        }
        return out;
    }

    /** A loopback HTTP server: 202 at /pagerduty, 200 at /webhook; records every request body. */
    static final class Receiver implements AutoCloseable {
        private record Request(String path, String body) {
        }

        private final HttpServer server;
        private final List<Request> requests = new CopyOnWriteArrayList<>();

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String path = exchange.getRequestURI().getPath();
                requests.add(new Request(path, body));
                exchange.sendResponseHeaders(path.equals("/pagerduty") ? 202 : 200, -1);
                exchange.close();
            });
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        List<String> bodies() {
            return requests.stream().map(Request::body).toList();
        }

        List<JsonNode> pagerDuty() {
            return parsed("/pagerduty");
        }

        List<JsonNode> webhook() {
            return parsed("/webhook");
        }

        private List<JsonNode> parsed(String path) {
            return requests.stream().filter(r -> r.path().equals(path)).map(r -> {
                try {
                    return JSON.readTree(r.body());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }

        void await(Predicate<Receiver> done, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(this)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("within " + timeout + " the receiver got: " + requests);
                }
                Thread.sleep(100);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
