package io.peregrine.flink.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.flink.slo.functions.SliWindowValidator;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Silence;
import io.peregrine.schema.serde.WireFormat;
import io.peregrine.schema.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The source's deserialization schema against the real registry: values, tombstones, dead letters. */
class AvroRecordDeserializerIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static SchemaRegistryServer registry;
    static KafkaEndpoints endpoints;

    @BeforeAll
    static void start() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(KAFKA.bootstrapServers()).host("127.0.0.1").port(0).build());
        endpoints = KafkaEndpoints.of(KAFKA.bootstrapServers(), registry.url());
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static AvroRecordDeserializer<ServiceSliWindow> sli(KafkaEndpoints e) {
        return new AvroRecordDeserializer<>(e, Topics::sli, ServiceSliWindow.class, "flink/test", new SliWindowValidator());
    }

    private static <V> List<Decoded<V>> decode(AvroRecordDeserializer<?> d, String topic, byte[] key, byte[] value) {
        List<Decoded<V>> out = new ArrayList<>();
        @SuppressWarnings({"unchecked", "rawtypes"})
        AvroRecordDeserializer<org.apache.avro.specific.SpecificRecordBase> raw = (AvroRecordDeserializer) d;
        raw.deserialize(new ConsumerRecord<>(topic, 1, 42L, key, value), new Collector<>() {
            @Override
            @SuppressWarnings("unchecked")
            public void collect(Decoded<org.apache.avro.specific.SpecificRecordBase> record) {
                out.add((Decoded<V>) record);
            }

            @Override
            public void close() {
            }
        });
        return out;
    }

    private static byte[] serialize(ServiceSliWindow w) {
        return endpoints.topics().sli().valueSerde().serializer().serialize("peregrine.sli", w);
    }

    @Test
    void shouldDecodeAValidRecord() {
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        List<Decoded<ServiceSliWindow>> out = decode(sli(endpoints), "peregrine.sli", utf8("k8s/shop/checkout"), serialize(w));
        assertThat(out).singleElement().satisfies(d -> {
            assertThat(d.value).isEqualTo(w);
            assertThat(d.key).isEqualTo("k8s/shop/checkout");
            assertThat(d.isDeadLetter()).isFalse();
        });
    }

    @Test
    void shouldReadSliWindowsForTheAlertingJobWithoutTheSketchBinsAndStillRejectBadBytes() {
        AvroRecordDeserializer<ServiceSliWindow> d = KafkaSources.sliDeserializer(endpoints, "flink/test",
                new SliWindowValidator());
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        assertThat(w.getLatency().getBinCounts()).hasSizeGreaterThan(100);
        byte[] good = serialize(w);
        ServiceSliWindow expected = ServiceSliWindow.newBuilder(w).setLatency(
                io.peregrine.schema.LatencySketch.newBuilder(w.getLatency()).setBinCounts(List.of()).build()).build();
        assertThat(decode(d, "peregrine.sli", utf8("k"), good)).singleElement()
                .satisfies(x -> assertThat(x.value).isEqualTo(expected));
        // Every field after the skipped bins is still read: a changed count or p99 shows.
        ServiceSliWindow later = ServiceSliWindow.newBuilder(w).setP99Ns(7L).setLatencyGood(3L).build();
        assertThat(AvroRecordDeserializerIT.<ServiceSliWindow>decode(d, "peregrine.sli", utf8("k"), serialize(later)))
                .singleElement().satisfies(x -> {
            assertThat(x.value.getP99Ns()).isEqualTo(7L);
            assertThat(x.value.getLatencyGood()).isEqualTo(3L);
            assertThat(x.value.getLatency().getCount()).isEqualTo(w.getLatency().getCount());
        });
        // Cut inside the bins, cut at the end, and a byte too many: rejected as before, never a short window.
        for (byte[] bad : List.of(java.util.Arrays.copyOf(good, good.length / 2), java.util.Arrays.copyOf(good,
                good.length - 3), java.util.Arrays.copyOf(good, good.length + 1))) {
            assertThat(decode(d, "peregrine.sli", utf8("k"), bad)).singleElement()
                    .satisfies(x -> assertThat(x.deadLetter.getReason()).isEqualTo(DeadLetterReason.DESERIALIZATION));
        }
        assertThat(decode(d, "peregrine.sli", utf8("k"), utf8("plain text"))).singleElement()
                .satisfies(x -> assertThat(x.deadLetter.getReasonMessage()).contains("BAD_MAGIC_BYTE"));
    }

    @Test
    void shouldTurnBadBytesAndBrokenRulesIntoDeadLettersWithTheReason() {
        AvroRecordDeserializer<ServiceSliWindow> d = sli(endpoints);
        byte[] good = serialize(SampleRecords.serviceSliWindow());

        assertThat(decode(d, "peregrine.sli", utf8("k"), utf8("plain text")))
                .singleElement().satisfies(x -> {
                    assertThat(x.deadLetter.getReason()).isEqualTo(DeadLetterReason.DESERIALIZATION);
                    assertThat(x.deadLetter.getReasonMessage()).contains("BAD_MAGIC_BYTE").contains("offset 42");
                    assertThat(x.deadLetter.getOffset()).isEqualTo(42L);
                    assertThat(x.deadLetter.getStage()).isEqualTo("flink/test");
                    assertThat(x.deadLetter.getValue()).isNotNull();
                });
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 3);
        assertThat(decode(d, "peregrine.sli", utf8("k"), truncated)).singleElement()
                .satisfies(x -> assertThat(x.deadLetter.getReason()).isEqualTo(DeadLetterReason.DESERIALIZATION));
        byte[] unknownId = WireFormat.frame(987_654, java.util.Arrays.copyOfRange(good, 5, good.length));
        assertThat(decode(d, "peregrine.sli", utf8("k"), unknownId)).singleElement().satisfies(x -> {
            assertThat(x.deadLetter.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA);
            assertThat(x.deadLetter.getSchemaId()).isEqualTo(987_654);
        });
        ServiceSliWindow backwards = SampleRecords.serviceSliWindow();
        backwards.setWindowEnd(backwards.getWindowStart());
        assertThat(decode(d, "peregrine.sli", utf8("k"), serialize(backwards))).singleElement().satisfies(x -> {
            assertThat(x.deadLetter.getReason()).isEqualTo(DeadLetterReason.INVARIANT);
            assertThat(x.deadLetter.getReasonMessage()).contains("window_end");
        });
        // Another record type on the topic (a Silence written where SLI windows belong).
        byte[] silence = endpoints.topics().silences().valueSerde().serializer()
                .serialize("peregrine.silences", SampleRecords.silence());
        assertThat(decode(d, "peregrine.sli", utf8("k"), silence)).singleElement()
                .satisfies(x -> assertThat(x.deadLetter.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA));
    }

    @Test
    void shouldPassTombstonesOfCompactedTopicsAndRejectOthers() {
        AvroRecordDeserializer<Silence> silences = new AvroRecordDeserializer<>(endpoints, Topics::silences,
                Silence.class, "flink/test", RecordValidator.none());
        assertThat(decode(silences, "peregrine.silences", utf8("id-1"), null)).singleElement()
                .satisfies(x -> assertThat(x.isTombstone()).isTrue());
        assertThat(decode(sli(endpoints), "peregrine.sli", utf8("k"), null)).singleElement()
                .satisfies(x -> assertThat(x.deadLetter.getReason()).isEqualTo(DeadLetterReason.INVARIANT));
    }

    @Test
    void shouldFailRatherThanDeadLetterWhenTheRegistryIsUnreachable() {
        byte[] good = serialize(SampleRecords.serviceSliWindow());
        KafkaEndpoints down = KafkaEndpoints.of(KAFKA.bootstrapServers(),
                Map.of("schema.registry.url", "http://127.0.0.1:1", "max.retries", "0"), Map.of());
        assertThatThrownBy(() -> decode(sli(down), "peregrine.sli", utf8("k"), good))
                .isInstanceOf(SerializationException.class)
                .isNotInstanceOf(io.peregrine.schema.serde.MalformedRecordException.class);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
