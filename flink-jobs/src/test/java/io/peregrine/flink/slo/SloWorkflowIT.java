package io.peregrine.flink.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.peregrine.flink.AlertingPipeline;
import io.peregrine.flink.ConsumerGroups;
import io.peregrine.flink.TopicReader;
import io.peregrine.flink.kafka.DeadLetters;
import io.peregrine.flink.kafka.KafkaEndpoints;
import io.peregrine.flink.kafka.KafkaSinks;
import io.peregrine.flink.kafka.KafkaSources;
import io.peregrine.flink.slo.functions.SliWindowValidator;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertKind;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.AppId;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Severity;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The SLO workflow on a Flink MiniCluster (parallelism 2) through the real embedded broker and
 * registry: generated SLI windows in, the alerts out of a transactional sink, read committed.
 * PagerDuty is notified of incidents, not alerts: that path is tested in IncidentWorkflowIT.
 */
class SloWorkflowIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final Duration WINDOW = AlertingPipeline.WINDOW;
    private static final Instant T0 = Instant.parse("2025-06-02T10:00:00Z");

    static SchemaRegistryServer registry;
    static KafkaEndpoints endpoints;
    static Topics topics;

    @BeforeAll
    static void start() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(KAFKA.bootstrapServers()).host("127.0.0.1").port(0).build());
        endpoints = KafkaEndpoints.of(KAFKA.bootstrapServers(), registry.url());
        topics = Topics.create(SchemaRegistryClient.create(endpoints.registryConfig()), SerdeConfig.from(Map.of()), 2);
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
    void shouldPageAFailingServiceAndResolveItExactlyOnceThroughKafkaAndPagerDuty() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        AppId checkout = AppId.newBuilder(SampleRecords.checkoutApp()).setId("k8s/shop/checkout-" + run).build();
        AppId frontend = AppId.newBuilder(SampleRecords.frontendApp()).setId("k8s/shop/frontend-" + run).build();

        // checkout: seen for 3 minutes, then 1 minute failing every request, then healthy again;
        // frontend: healthy throughout. 100 requests per 10 s window each.
        List<ServiceSliWindow> windows = new ArrayList<>();
        for (int i = 0; i < 84; i++) {
            boolean failing = i >= 18 && i < 24;
            windows.add(sli(checkout, i, 100, failing ? 100 : 0));
            windows.add(sli(frontend, i, 100, 0));
        }
        Topic<String, ServiceSliWindow> sliTopic = topics.sli();
        // The job reads only this run's records. The broker and its topics are shared by every IT in
        // the JVM: other ITs' SLI windows (IncidentPipelineIT's are stamped with today's time) would
        // put the watermark years ahead of these windows; the timers of checkout that fire then, in
        // the middle of its windows, clear its history, and its latency page comes a window early.
        String groupId = "slo-it-" + run;
        ConsumerGroups.startAtEnd(KAFKA.bootstrapServers(), sliTopic, groupId);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            // Two bad records first, stamped with today's wall-clock time (years after the windows): bytes
            // that are not Avro, and a window whose counts break the invariants; one ahead of each
            // partition's windows. They must not move event time (were they to, every timer would fire
            // at once and the windows behind them would be late).
            producer.send(new ProducerRecord<>(sliTopic.name(), 0, utf8("garbage-" + run), utf8("not avro at all")));
            ServiceSliWindow broken = sli(frontend, 90, 10, 0);
            broken.setAvailabilityGood(11L);
            producer.send(new ProducerRecord<>(sliTopic.name(), 1, utf8("broken-" + run),
                    sliTopic.valueSerde().serializer().serialize(sliTopic.name(), broken)));
            for (ServiceSliWindow w : windows) {
                producer.send(new ProducerRecord<>(sliTopic.name(), null, w.getWindowEnd().toEpochMilli(),
                        utf8(w.getApp().getId()), sliTopic.valueSerde().serializer().serialize(sliTopic.name(), w)));
            }
            producer.flush();
        }

        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false); // everything travels with Avro or POJO serializers
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
        SloWorkflow.define(env,
                KafkaSources.sli(endpoints, groupId, "flink/slo/sli-source", new SliWindowValidator()),
                KafkaSinks.alerts(endpoints, DeliveryGuarantee.EXACTLY_ONCE, "slo-it-alerts-" + run),
                KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, "slo-it-dlq-" + run),
                SloConfig.defaults());
        JobClient job = env.executeAsync(SloWorkflow.JOB_NAME);
        try {
            List<Alert> alerts = TopicReader.read(KAFKA.bootstrapServers(), topics.alerts(), "read_committed",
                    a -> a.getApp().getId().endsWith(run),
                    list -> list.stream().filter(a -> a.getStatus() == AlertStatus.RESOLVED).count() >= 2,
                    Duration.ofSeconds(120));
            if (alerts.isEmpty()) {
                // Tell "never produced" from "produced, never committed" (a stuck transaction).
                List<Alert> uncommitted = TopicReader.read(KAFKA.bootstrapServers(), topics.alerts(), "read_uncommitted",
                        a -> a.getApp().getId().endsWith(run), list -> !list.isEmpty(), Duration.ofSeconds(10));
                throw new AssertionError("no committed alerts after 120 s; uncommitted ones: " + uncommitted.size()
                        + "; job status " + job.getJobStatus().get());
            }
            List<DeadLetter> deadLetters = TopicReader.read(KAFKA.bootstrapServers(), topics.dlq(), "read_committed",
                    d -> d.getKey() != null && utf8(d.getKey()).endsWith(run), list -> list.size() >= 2,
                    Duration.ofSeconds(120));

            List<Alert> availability = alerts.stream().filter(a -> a.getKind() == AlertKind.SLO_AVAILABILITY).toList();
            List<Alert> latency = alerts.stream().filter(a -> a.getKind() == AlertKind.SLO_LATENCY).toList();
            assertThat(alerts).allMatch(a -> a.getApp().getId().equals(checkout.getId()));
            assertThat(availability).extracting(Alert::getStatus, Alert::getSeverity).containsExactly(
                    tuple(AlertStatus.FIRING, Severity.PAGE), tuple(AlertStatus.RESOLVED, Severity.PAGE));
            // Paged on the first failing window, although checkout was first seen 3 minutes before.
            Instant failureStart = T0.plus(WINDOW.multipliedBy(18));
            assertThat(availability.get(0).getStartsAt()).isEqualTo(failureStart.plus(WINDOW));
            assertThat(availability.get(1).getFingerprint()).isEqualTo(availability.get(0).getFingerprint());
            assertThat(availability.get(1).getEndsAt()).isAfter(failureStart.plus(Duration.ofMinutes(5)));
            // Errors are slow requests too (latency_good <= availability_good): the 1 % latency budget
            // burns faster than 14.4x once 4 of 22 windows failed (18.2 % over both the 1 h and the 5 m
            // window, each holding all the history); 3 of 21 (14.29 %) is just short of it.
            assertThat(latency).extracting(Alert::getStatus, Alert::getSeverity).containsExactly(
                    tuple(AlertStatus.FIRING, Severity.PAGE), tuple(AlertStatus.RESOLVED, Severity.PAGE));
            assertThat(latency.get(0).getStartsAt()).isEqualTo(failureStart.plus(WINDOW.multipliedBy(4)));

            assertThat(deadLetters).extracting(DeadLetter::getReason, DeadLetter::getStage, DeadLetter::getSourceTopic)
                    .containsExactlyInAnyOrder(
                            tuple(DeadLetterReason.DESERIALIZATION, "flink/slo/sli-source", sliTopic.name()),
                            tuple(DeadLetterReason.INVARIANT, "flink/slo/sli-source", sliTopic.name()));
            assertThat(deadLetters).filteredOn(d -> d.getReason() == DeadLetterReason.INVARIANT)
                    .singleElement().satisfies(d -> assertThat(d.getReasonMessage()).contains("availability_good 11"));

        } finally {
            job.cancel().get();
        }
    }

    private static ServiceSliWindow sli(AppId app, int index, long total, long bad) {
        return AlertingPipeline.sli(T0, app, index, total, bad);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String utf8(java.nio.ByteBuffer b) {
        java.nio.ByteBuffer d = b.duplicate();
        byte[] bytes = new byte[d.remaining()];
        d.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
