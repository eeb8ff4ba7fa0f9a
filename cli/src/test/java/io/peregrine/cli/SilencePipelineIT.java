package io.peregrine.cli;

import static io.peregrine.flink.AlertingPipeline.WINDOW;
import static io.peregrine.flink.AlertingPipeline.app;
import static io.peregrine.flink.AlertingPipeline.sli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.AlertingPipeline;
import io.peregrine.flink.ConsumerGroups;
import io.peregrine.flink.FlinkJobs;
import io.peregrine.flink.FlinkJobsConfig;
import io.peregrine.flink.config.PeregrineYaml;
import io.peregrine.flink.notify.HttpReceiver;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.ServiceSliWindow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Silences end to end: {@code peregrine silence add} and {@code expire} write
 * {@code peregrine.silences} on the real broker while the alerting jobs ({@link FlinkJobs#define})
 * run on a MiniCluster, paging a loopback HTTP server that stands in for PagerDuty and for a
 * signed webhook ({@link AlertingPipeline}: the same set-up as the jobs' own ITs). Three services
 * fail at once: one silenced until further notice, one silenced for a while, one not silenced at all.
 */
class SilencePipelineIT {

    @RegisterExtension
    static final AlertingPipeline PIPELINE = new AlertingPipeline();

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

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

        // A loopback server standing in for PagerDuty (at /pagerduty) and the webhook (at /webhook).
        try (HttpReceiver http = new HttpReceiver(202, "");
             KafkaProducer<byte[], byte[]> producer = PIPELINE.producer()) {
            // Starts after what other ITs and earlier runs wrote to the shared SLI topic.
            ConsumerGroups.startAtEnd(PIPELINE.bootstrapServers(), PIPELINE.topics().sli(), "silence-it-" + run);
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
                PIPELINE.send(producer, windows(t0, 0, 120, phase1));
                // Phase 1: loud pages at once; brief when its silence ends; both resolve; quiet never pages.
                awaitPages(http, pages -> pages.stream().filter(e -> e.at("/event_action").asText().equals("resolve"))
                        .count() == 2, Duration.ofSeconds(180));
                Predicate<List<Incident>> threeResolved = list -> list.stream()
                        .filter(i -> i.getStatus() == IncidentStatus.RESOLVED).count() == 3;
                List<Incident> incidents = PIPELINE.incidents(run, threeResolved, Duration.ofSeconds(60));
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
                assertThat(parsed(http, "/pagerduty"))
                        .extracting(e -> e.at("/event_action").asText() + " " + e.at("/dedup_key").asText())
                        .containsExactlyInAnyOrder("trigger " + loudId, "resolve " + loudId, "trigger " + briefId,
                                "resolve " + briefId);
                assertThat(parsed(http, "/webhook"))
                        .extracting(w -> w.at("/action").asText() + " " + w.at("/incident/id").asText())
                        .containsExactlyInAnyOrder("trigger " + loudId, "resolve " + loudId, "trigger " + briefId,
                                "resolve " + briefId);
                assertThat(http.received()).extracting(HttpReceiver.Received::body)
                        .noneMatch(b -> b.contains(quiet.getId()) || b.contains(quietFirst));

                // Phase 2: the silence is expired; quiet fails again, and this time it pages.
                assertThat(cli("silence", "expire", untilExpired)).isEqualTo(untilExpired + " expired");
                PIPELINE.send(producer, windows(t0, 120, 220, phase2));
                Predicate<JsonNode> quietTrigger = e -> e.at("/payload/source").asText().equals(quiet.getId());
                Predicate<List<Incident>> quietAgain = list -> list.stream().anyMatch(i -> !i.getId().equals(quietFirst)
                        && i.getAffectedApps().get(0).getId().equals(quiet.getId()));
                try {
                    awaitPages(http, pages -> pages.stream().anyMatch(quietTrigger), Duration.ofSeconds(240));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nincidents: "
                            + PIPELINE.incidents(run, quietAgain, Duration.ofSeconds(60)), e);
                }
                List<JsonNode> quietPages = parsed(http, "/pagerduty").stream().filter(quietTrigger).toList();
                assertThat(quietPages).singleElement().satisfies(e -> {
                    assertThat(e.at("/event_action").asText()).isEqualTo("trigger");
                    assertThat(e.at("/dedup_key").asText()).isNotEqualTo(quietFirst);
                });
                List<Incident> later = byApp(PIPELINE.incidents(run, quietAgain, Duration.ofSeconds(60)))
                        .get(quiet.getId());
                assertThat(later).filteredOn(i -> !i.getId().equals(quietFirst)).isNotEmpty()
                        .allSatisfy(i -> assertThat(i.getSilencedBy()).isEmpty());
            } finally {
                job.cancel().get();
            }
        }
    }

    private JobClient start(String run, HttpReceiver http) throws Exception {
        FlinkJobsConfig config = PIPELINE.config("silence-it-" + run, home);
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
        return AlertingPipeline.start(new Configuration(), config, yaml, "silence-it");
    }

    /** Runs a {@code peregrine} command against the test's broker and registry; its output, trimmed. */
    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Peregrine.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", PIPELINE.bootstrapServers(), "--schema-registry-url",
                PIPELINE.registryUrl()));
        int code = cl.execute(all.toArray(String[]::new));
        assertThat(code).as("peregrine %s: %s", String.join(" ", args), err).isZero();
        return out.toString().trim();
    }

    /** SLI windows [from, to) of every app in {@code failing}: 100 requests each, all failing in [first, end). */
    private static List<ServiceSliWindow> windows(Instant t0, int from, int to, Map<AppId, int[]> failing) {
        List<ServiceSliWindow> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            for (Map.Entry<AppId, int[]> a : failing.entrySet()) {
                out.add(sli(t0, a.getKey(), i, i >= a.getValue()[0] && i < a.getValue()[1] ? 100 : 0));
            }
        }
        return out;
    }

    /**
     * Waits until the job's silences source committed offsets at the end of peregrine.silences as
     * of now: it commits them with a completed checkpoint, so by then every silence written so far
     * reached the correlator's state.
     */
    private static void awaitSilencesRead(String groupId, Duration timeout) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", PIPELINE.bootstrapServers()));
             KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, PIPELINE.bootstrapServers()),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(PIPELINE.topics().silences().name()).stream()
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

    /** Versions by the app each incident is about (one app per incident here), in order. */
    private static Map<String, List<Incident>> byApp(List<Incident> incidents) {
        Map<String, List<Incident>> out = new HashMap<>();
        for (Incident i : incidents) {
            assertThat(i.getAffectedApps()).hasSize(1);
            out.computeIfAbsent(i.getAffectedApps().get(0).getId(), k -> new ArrayList<>()).add(i);
        }
        return out;
    }

    /** The bodies the loopback receiver got at {@code path}, parsed, in arrival order. */
    private static List<JsonNode> parsed(HttpReceiver http, String path) {
        return http.received().stream().filter(r -> r.pathAndQuery().equals(path)).map(r -> {
            try {
                return JSON.readTree(r.body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    /** Waits until {@code done} holds for the pages the receiver got at /pagerduty. */
    private static void awaitPages(HttpReceiver http, Predicate<List<JsonNode>> done, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(parsed(http, "/pagerduty"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("within " + timeout + " the receiver got: " + http.received().stream()
                        .map(r -> r.pathAndQuery() + " " + r.body()).toList());
            }
            Thread.sleep(100);
        }
    }
}
