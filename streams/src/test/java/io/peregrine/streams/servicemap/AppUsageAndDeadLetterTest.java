package io.peregrine.streams.servicemap;

import io.peregrine.schema.dlq.DeadLetterRecords;
import static io.peregrine.streams.RawEvents.APP_NODE;
import static io.peregrine.streams.RawEvents.CHECKOUT;
import static io.peregrine.streams.RawEvents.DB_NODE;
import static io.peregrine.streams.RawEvents.FRONTEND;
import static io.peregrine.streams.RawEvents.POSTGRES;
import static io.peregrine.streams.RawEvents.T0;
import static io.peregrine.streams.RawEvents.instance;
import static io.peregrine.streams.RawEvents.listen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.AppUsageWindow;
import io.peregrine.schema.CloudLifecycle;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.RawEvents;
import io.peregrine.streams.TestRegistry;
import io.peregrine.streams.TopologyDriver;
import io.peregrine.streams.TopologySettings;
import io.peregrine.streams.dlq.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** App usage and bad input through the production topology under TopologyTestDriver. */
class AppUsageAndDeadLetterTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String CHECKOUT_IP = "10.42.3.18";
    static final String DB_IP = "10.0.2.31";
    static final long MS = 1_000_000L;
    static final long GB = 1_000_000_000L;

    static Topics topics;
    TopologyDriver t;
    RawEvents events;

    @BeforeAll
    static void registry() {
        topics = TestRegistry.topics(KAFKA);
    }

    @BeforeEach
    void start() {
        t = new TopologyDriver(topics, TestRegistry.client(KAFKA), TopologySettings.defaults());
        events = new RawEvents();
        t.pipe(listen(DB_NODE, "0.0.0.0", 5432, instance(POSTGRES), T0.minus(Duration.ofHours(1))));
        t.pipe(RawEvents.nodeSample(DB_NODE, T0.minusSeconds(30), "eu-west-1b", List.of(DB_IP)));
        t.pipe(RawEvents.nodeSample(APP_NODE, T0.minusSeconds(30), "eu-west-1a", List.of("10.0.1.17")));
    }

    @AfterEach
    void stop() {
        t.close();
    }

    @Test
    void shouldTurnCumulativeCountersIntoPerWindowUsageAndHandleRestarts() {
        AppInstance pod = instance(CHECKOUT, "pod-1");
        Instant started = T0.minus(Duration.ofDays(1));
        t.pipe(events.appSample(APP_NODE, pod, T0.plusSeconds(1), started, 1_000.0, GB));
        t.pipe(events.appSample(APP_NODE, pod, T0.plusSeconds(11), started, 1_002.5, 2 * GB));
        Instant restarted = T0.plusSeconds(15);
        t.pipe(events.appSample(APP_NODE, pod, T0.plusSeconds(21), restarted, 0.5, GB));
        t.advanceEventTime(events, T0.plusSeconds(60));

        List<AppUsageWindow> usage = t.usageRecords(CHECKOUT.getId());
        assertThat(usage).hasSize(3);
        AppUsageWindow first = usage.get(0);
        assertThat(first.getCpuSeconds()).as("found mid-life: its past CPU is not this window's").isZero();
        assertThat(first.getMemoryByteSeconds()).isCloseTo(10.0 * GB, within(1.0));
        assertThat(first.getInstances()).isEqualTo(1);
        assertThat(first.getNodes()).isEqualTo(1);
        assertThat(first.getLifecycle()).isEqualTo(CloudLifecycle.ON_DEMAND);
        assertThat(usage.get(1).getCpuSeconds()).isCloseTo(2.5, within(1e-9));
        assertThat(usage.get(1).getMemoryByteSeconds()).isCloseTo(20.0 * GB, within(1.0));
        assertThat(usage.get(2).getCpuSeconds()).as("after a restart, the new counter is the delta").isCloseTo(0.5,
                within(1e-9));
        assertThat(usage.get(2).getMemoryByteSeconds()).as("6 s since the restart").isCloseTo(6.0 * GB, within(1.0));
    }

    @Test
    void shouldSplitTrafficIntoCrossZoneAndInternet() {
        Instant ts = T0.plusSeconds(2);
        t.pipe(events.stats(APP_NODE, CHECKOUT, ConnectionDirection.OUTBOUND, CHECKOUT_IP, DB_IP, 5432, ts, 1_000, 2_000));
        t.pipe(events.stats(APP_NODE, CHECKOUT, ConnectionDirection.OUTBOUND, CHECKOUT_IP, "203.0.113.45", 443, ts, 10, 20));
        t.pipe(events.stats(APP_NODE, CHECKOUT, ConnectionDirection.OUTBOUND, CHECKOUT_IP, "10.99.0.1", 443, ts, 5, 6));
        t.advanceEventTime(events, T0.plusSeconds(60));

        AppUsageWindow u = t.usageRecords(CHECKOUT.getId()).get(0);
        assertThat(u.getBytesSent()).isEqualTo(1_015);
        assertThat(u.getBytesReceived()).isEqualTo(2_026);
        assertThat(u.getCrossZoneBytesSent()).isEqualTo(1_000);
        assertThat(u.getCrossZoneBytesReceived()).isEqualTo(2_000);
        assertThat(u.getInternetBytesSent()).isEqualTo(10);
        assertThat(u.getInternetBytesReceived()).isEqualTo(20);
    }

    private L7Event call(Instant ts) {
        return events.clientCall(APP_NODE, FRONTEND, "10.42.1.77", CHECKOUT_IP, 8080, Protocol.HTTP, ts, MS, false);
    }

    @Test
    void shouldSendBadRecordsToTheDeadLetterTopicWithTheReasonAndKeepGoing() {
        byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
        t.rawL7Bytes.pipeInput("app-1".getBytes(StandardCharsets.UTF_8), garbage, T0);
        byte[] unknownSchema = new byte[] {0, 0x7f, 0x7f, 0x7f, 0x7f, 2, 4};
        t.rawL7Bytes.pipeInput("app-1".getBytes(StandardCharsets.UTF_8), unknownSchema, T0);
        t.pipe(L7Event.newBuilder(call(T0.plusSeconds(1))).setLatencyNs(-42).build());
        t.pipe(L7Event.newBuilder(call(T0.plusSeconds(1))).setSide(Side.UNKNOWN).build());
        t.pipe(L7Event.newBuilder(call(T0.plusSeconds(1))).setTimestamp(T0.plus(Duration.ofHours(1))).build());
        t.pipe(call(T0.plusSeconds(2)));
        t.advanceEventTime(events, T0.plusSeconds(30));

        List<TestRecord<byte[], DeadLetter>> dead = t.dlq.readRecordsToList();
        assertThat(dead).extracting(r -> r.value().getReason()).containsExactly(
                DeadLetterReason.DESERIALIZATION, DeadLetterReason.UNKNOWN_SCHEMA, DeadLetterReason.INVARIANT,
                DeadLetterReason.INVARIANT, DeadLetterReason.INVARIANT);
        DeadLetter negative = dead.get(2).value();
        assertThat(negative.getReasonMessage()).isEqualTo("latency_ns is negative: -42");
        assertThat(negative.getStage()).isEqualTo("streams/ingest/l7");
        assertThat(negative.getSourceTopic()).isEqualTo(topics.rawL7().name());
        assertThat(negative.getValue()).isNotNull();
        assertThat(dead.get(3).value().getReasonMessage()).contains("side is UNKNOWN");
        assertThat(dead.get(4).value().getReasonMessage()).contains("ahead of the wall clock");
        assertThat(dead.get(0).key()).isEqualTo("app-1".getBytes(StandardCharsets.UTF_8));
        assertThat(dead.get(0).value().getValue().array()).isEqualTo(garbage);
        Headers h = dead.get(2).headers();
        assertThat(new String(h.lastHeader(DeadLetterRecords.HEADER_REASON).value(), StandardCharsets.UTF_8))
                .isEqualTo("INVARIANT");
        assertThat(new String(h.lastHeader(DeadLetterRecords.HEADER_MESSAGE).value(), StandardCharsets.UTF_8))
                .isEqualTo("latency_ns is negative: -42");
        assertThat(new String(h.lastHeader(DeadLetterRecords.HEADER_STAGE).value(), StandardCharsets.UTF_8))
                .isEqualTo("streams/ingest/l7");
        assertThat(t.counters.sum("dlq.")).isEqualTo(5);
        assertThat(t.counters.get("dlq.streams/ingest/l7.INVARIANT")).isEqualTo(3);

        // The good record after all of them was aggregated.
        assertThat(t.counters.get(PipelineCounters.INGESTED)).isEqualTo(2); // the call and the clock
    }

    @Test
    void shouldRejectBadListensWithoutTouchingTheEndpointIndex() {
        t.rawListenBytes.pipeInput("db-1|0.0.0.0|5432".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}, T0);
        t.pipe(io.peregrine.schema.ListenEvent.newBuilder(listen(DB_NODE, "0.0.0.0", 5432, instance(POSTGRES),
                T0.minus(Duration.ofHours(1)))).setPort(0).build());
        assertThat(t.tableRejects).hasSize(2);
        DeadLetter first = (DeadLetter) t.tableRejects.get(0).value();
        assertThat(first.getReason()).isEqualTo(DeadLetterReason.DESERIALIZATION);
        assertThat(first.getStage()).isEqualTo("streams/endpoints/listens");
        assertThat(((DeadLetter) t.tableRejects.get(1).value()).getReasonMessage()).contains("port out of 1..65535: 0");
        assertThat(t.index.resolve(DB_IP, 5432, RawEvents.key(APP_NODE), T0.toEpochMilli()))
                .as("the valid listen is still in force").isNotNull();
    }
}
