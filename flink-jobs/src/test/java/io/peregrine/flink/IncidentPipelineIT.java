package io.peregrine.flink;

import static io.peregrine.flink.AlertingPipeline.app;
import static io.peregrine.flink.AlertingPipeline.sli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.flink.config.PeregrineYaml;
import io.peregrine.flink.notify.PagerDutyReceiver;
import io.peregrine.schema.AppId;
import io.peregrine.schema.EvidenceRelation;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.topic.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole alerting path as {@link FlinkJobs#define} wires it, on a MiniCluster (parallelism 2)
 * through the real embedded broker and registry: generated SLI windows and topology edges in, SLO
 * alerts, one incident on peregrine.incidents (read committed), and its page at a real HTTP
 * receiver standing in for PagerDuty. Mid-incident the job is cancelled and a new one restored
 * from the last retained checkpoint, as after a crash.
 */
class IncidentPipelineIT {

    @RegisterExtension
    static final AlertingPipeline PIPELINE = new AlertingPipeline();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path checkpoints;

    @Test
    void shouldPageOneIncidentForADatabaseUnderThreeServicesOnceAcrossARestore() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        AppId db = app("postgres-" + run);
        List<AppId> callers = List.of(app("orders-" + run), app("cart-" + run), app("users-" + run));
        AppId search = app("search-" + run); // healthy, calls nothing involved
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(20));

        try (PagerDutyReceiver receiver = new PagerDutyReceiver();
             KafkaProducer<byte[], byte[]> producer = PIPELINE.producer()) {
            // The trigger meets a 500, then a 429 asking to wait 1 s, then is accepted.
            receiver.then(PagerDutyReceiver.Answer.of(500), new PagerDutyReceiver.Answer(429, Map.of("Retry-After", "1")));
            Topic<String, ServiceEdge> topology = PIPELINE.topics().topology();
            for (AppId c : callers) {
                ServiceEdge e = ServiceEdge.newBuilder(SampleRecords.serviceEdge()).setClient(c).setServer(db).build();
                producer.send(new ProducerRecord<>(topology.name(), utf8(c.getId() + "->" + db.getId()),
                        topology.valueSerde().serializer().serialize(topology.name(), e)));
            }
            // Starts after what other ITs and earlier runs wrote to the shared SLI topic.
            ConsumerGroups.startAtEnd(PIPELINE.bootstrapServers(), PIPELINE.topics().sli(), "incident-it-" + run);
            // Three minutes healthy, two minutes of the database failing every request (and with it,
            // every request of its three callers), then healthy.
            PIPELINE.send(producer, windows(t0, 0, 36, db, callers, search));

            FlinkJobsConfig config = PIPELINE.config("incident-it-" + run, checkpoints.resolve("home"));
            PeregrineYaml yaml = PeregrineYaml.parse("""
                    incidents: {fire_after: 1, resolve_after: 2, group_wait: 20s}
                    notify:
                      pagerduty: {routing_key: 0123456789abcdef0123456789abcdef, url: '%s',
                                  request_timeout: 5s, backoff: 100ms, max_backoff: 2s, deadline: 1m}
                    """.formatted(receiver.url()));

            JobClient first = start(config, yaml, Optional.empty());
            String incidentId;
            try {
                awaitAccepted(receiver, list -> list.contains("trigger"), Duration.ofSeconds(150));
                incidentId = JSON.readTree(accepted(receiver).get(0)).get("dedup_key").asText();
                // Let a checkpoint complete after the page, so that the restored job knows it was sent.
                Thread.sleep(3_000);
            } finally {
                first.cancel().get();
            }
            Path checkpoint = latestCheckpoint(checkpoints.resolve("chk"))
                    .orElseThrow(() -> new AssertionError("no retained checkpoint under " + checkpoints));

            PIPELINE.send(producer, windows(t0, 36, 100, db, callers, search));
            JobClient second = start(config, yaml, Optional.of(checkpoint));
            try {
                awaitAccepted(receiver, list -> list.contains("resolve"), Duration.ofSeconds(150));
                List<Incident> incidents = PIPELINE.incidents(run,
                        list -> list.stream().anyMatch(i -> i.getStatus() == IncidentStatus.RESOLVED),
                        Duration.ofSeconds(60));

                // Exactly one incident: the database and its three callers, the database the root cause.
                assertThat(incidents).extracting(Incident::getId).containsOnly(incidentId);
                Incident last = incidents.get(incidents.size() - 1);
                assertThat(last.getStatus()).as("versions: %s", incidents.stream().map(i -> i.getStatus() + " "
                        + i.getUpdatedAt() + " " + i.getEvidence().stream().map(e -> e.getSummary()).toList()).toList())
                        .isEqualTo(IncidentStatus.RESOLVED);
                assertThat(incidents).filteredOn(i -> i.getStatus() == IncidentStatus.RESOLVED).hasSize(1);
                assertThat(last.getRootCause().getId()).isEqualTo(db.getId());
                assertThat(last.getAffectedApps()).extracting(AppId::getId).containsExactlyInAnyOrder(
                        db.getId(), callers.get(0).getId(), callers.get(1).getId(), callers.get(2).getId());
                assertThat(last.getEvidence()).first().satisfies(e -> {
                    assertThat(e.getRelation()).isEqualTo(EvidenceRelation.ROOT);
                    assertThat(e.getApp().getId()).isEqualTo(db.getId());
                });
                assertThat(last.getEvidence()).filteredOn(e -> e.getRelation() == EvidenceRelation.CLIENT)
                        .extracting(e -> e.getApp().getId()).containsOnly(callers.stream().map(AppId::getId).toArray(String[]::new));
                // Updated_at grows across the versions, restore included.
                for (int i = 1; i < incidents.size(); i++) {
                    assertThat(incidents.get(i).getUpdatedAt()).isAfter(incidents.get(i - 1).getUpdatedAt());
                }

                // PagerDuty: one trigger through 500 and 429, one resolve, nothing else, across the restore.
                Thread.sleep(2_000);
                List<String> accepted = accepted(receiver);
                assertThat(accepted).hasSize(2);
                JsonNode trigger = JSON.readTree(accepted.get(0));
                JsonNode resolve = JSON.readTree(accepted.get(1));
                assertThat(trigger.get("event_action").asText()).isEqualTo("trigger");
                assertThat(resolve.get("event_action").asText()).isEqualTo("resolve");
                assertThat(resolve.get("dedup_key").asText()).isEqualTo(incidentId);
                assertThat(trigger.at("/payload/source").asText()).isEqualTo(db.getId());
                assertThat(trigger.at("/payload/summary").asText()).startsWith(db.getName() + " degraded, affecting")
                        .hasSizeLessThanOrEqualTo(1024);
                assertThat(trigger.at("/payload/custom_details/evidence")).hasSizeGreaterThanOrEqualTo(4);
                assertThat(trigger.at("/payload/custom_details/evidence/0/relation").asText()).isEqualTo("ROOT");
                assertThat(receiver.received()).extracting(PagerDutyReceiver.Received::status)
                        .containsExactly(500, 429, 202, 202);
                List<PagerDutyReceiver.Received> got = receiver.received();
                assertThat(Duration.ofNanos(got.get(2).atNanos() - got.get(1).atNanos()))
                        .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
            } finally {
                second.cancel().get();
            }
        }
    }

    private JobClient start(FlinkJobsConfig config, PeregrineYaml yaml, Optional<Path> restore) throws Exception {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.resolve("chk").toUri().toString());
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        restore.ifPresent(p -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, p.toUri().toString()));
        return AlertingPipeline.start(conf, config, yaml, "incident-it");
    }

    /** SLI windows [from, to) of every app: 100 requests each, all failing in windows 18 to 29 for db and callers. */
    private static List<ServiceSliWindow> windows(Instant t0, int from, int to, AppId db, List<AppId> callers, AppId search) {
        List<ServiceSliWindow> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            boolean failing = i >= 18 && i < 30;
            out.add(sli(t0, db, i, failing ? 100 : 0));
            for (AppId c : callers) {
                out.add(sli(t0, c, i, failing ? 100 : 0));
            }
            out.add(sli(t0, search, i, 0));
        }
        return out;
    }

    /** Bodies of the requests the receiver accepted (202), in arrival order. */
    private static List<String> accepted(PagerDutyReceiver receiver) {
        return receiver.received().stream().filter(r -> r.status() == 202).map(PagerDutyReceiver.Received::body).toList();
    }

    private static void awaitAccepted(PagerDutyReceiver receiver, Predicate<List<String>> done, Duration timeout)
            throws InterruptedException {
        Supplier<List<String>> actions = () -> accepted(receiver).stream().map(b -> {
            try {
                return JSON.readTree(b).get("event_action").asText();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(actions.get())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("PagerDuty receiver got " + receiver.received().size() + " requests, accepted "
                        + actions.get() + " within " + timeout);
            }
            Thread.sleep(100);
        }
    }

    /** The newest retained checkpoint ({@code <dir>/<job id>/chk-N} with a {@code _metadata}). */
    private static Optional<Path> latestCheckpoint(Path dir) throws IOException {
        return FlinkJobs.latestCheckpoint(dir.toString());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
