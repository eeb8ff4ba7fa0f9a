package io.peregrine.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The serde through a real broker and a real registry. */
class AvroSerdeIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static SchemaRegistryServer registry;
    static SchemaRegistryClient client;
    static Topics topics;

    @BeforeAll
    static void start() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(KAFKA.bootstrapServers()).host("127.0.0.1").port(0).build());
        client = SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url()));
        topics = Topics.create(client, SerdeConfig.from(Map.of()), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void shouldRoundTripEveryRecordTypeThroughTheBroker() {
        Map<Class<?>, SpecificRecord> samples = new java.util.HashMap<>();
        for (SpecificRecord r : SampleRecords.all()) {
            samples.put(r.getClass(), r);
        }
        for (Topic<?, ?> topic : topics.all()) {
            SpecificRecord sample = samples.get(topic.valueType());
            assertThat(sample).as("a sample record for " + topic).isNotNull();
            assertThat(roundTrip(topic, sample)).as(topic.name()).isEqualTo(sample);
        }
        assertThat(client.subjects()).contains("peregrine.raw.l7-value", "peregrine.sli-value", "peregrine.dlq-value");
    }

    @SuppressWarnings("unchecked")
    private static <K, V> Object roundTrip(Topic<K, V> topic, Object value) {
        byte[] key = topic.keySerde().serializer().serialize(topic.name(),
                (K) (topic.name().equals(topics.dlq().name()) ? (Object) new byte[] {1, 2} : (Object) "k"));
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), (V) value);
        ConsumerRecord<byte[], byte[]> read = produceAndRead(topic.name(), key, bytes);
        return topic.valueSerde().deserializer().deserialize(topic.name(), read.value());
    }

    @Test
    void shouldInteroperateBetweenGenericAndSpecificRecords() {
        L7Event event = SampleRecords.l7Event();
        AvroSerde<GenericRecord> generic = AvroSerde.generic(client, SerdeConfig.from(Map.of()), false);
        byte[] specificBytes = topics.rawL7().valueSerde().serializer().serialize("peregrine.raw.l7", event);
        GenericRecord asGeneric = generic.deserializer().deserialize("peregrine.raw.l7", specificBytes);
        assertThat(asGeneric.get("pid")).isEqualTo(event.getPid());
        byte[] genericBytes = generic.serializer().serialize("peregrine.raw.l7", asGeneric);
        assertThat(genericBytes).isEqualTo(specificBytes);
        assertThat(topics.rawL7().valueSerde().deserializer().deserialize("peregrine.raw.l7", genericBytes)).isEqualTo(event);
    }

    @Test
    void shouldWriteTombstonesWithoutRegistryCalls() {
        assertThat(topics.rawListens().valueSerde().serializer().serialize("peregrine.raw.listens", null)).isNull();
    }

    @Test
    void shouldRaiseTypedErrorsForCorruptBytesAndLoseNothingAfterThem() {
        String t = topics.rawL7().name();
        byte[] good = topics.rawL7().valueSerde().serializer().serialize(t, SampleRecords.l7Event());
        int id = WireFormat.schemaId(good);
        byte[] unknownId = Arrays.copyOf(good, good.length);
        unknownId[1] = 0x7f;
        byte[] truncated = Arrays.copyOf(good, good.length / 2);
        byte[] trailing = Arrays.copyOf(good, good.length + 3);
        byte[] hugeLength = frame(id, new byte[] {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f});
        var deserializer = topics.rawL7().valueSerde().deserializer();
        assertReason(() -> deserializer.deserialize(t, unknownId), MalformedRecordException.Reason.UNKNOWN_SCHEMA_ID);
        assertReason(() -> deserializer.deserialize(t, truncated), MalformedRecordException.Reason.CORRUPT_BODY);
        assertReason(() -> deserializer.deserialize(t, trailing), MalformedRecordException.Reason.TRAILING_BYTES);
        assertReason(() -> deserializer.deserialize(t, hugeLength), MalformedRecordException.Reason.CORRUPT_BODY);

        // Through a real consumer: the error names partition and offset, and the next record is still read.
        String topic = "serde-corrupt";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        produceAndRead(topic, null, truncated);
        produceAndRead(topic, null, good);
        try (KafkaConsumer<String, L7Event> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
                new StringDeserializer(), AvroDeserializer.specific(client, L7Event.class))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            RecordDeserializationException error = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (error == null && System.nanoTime() < deadline) {
                try {
                    consumer.poll(Duration.ofMillis(200));
                } catch (RecordDeserializationException e) {
                    error = e;
                }
            }
            assertThat(error).isNotNull();
            assertThat(error.topicPartition()).isEqualTo(tp);
            assertThat(error.offset()).isEqualTo(0L);
            assertThat(error.getCause()).isInstanceOf(MalformedRecordException.class);
            consumer.seek(tp, error.offset() + 1);
            List<L7Event> after = new ArrayList<>();
            while (after.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> after.add(r.value()));
            }
            assertThat(after).containsExactly(SampleRecords.l7Event());
        }
    }

    @Test
    void shouldDecodeWithTheWriterSchemaWhenTheReaderIsNewer() throws Exception {
        // A producer still on an older L7Event (fewer fields) writes; today's class reads with defaults.
        Schema current = L7Event.getClassSchema();
        Schema older = olderWithout(current, "traceparent");
        GenericRecord oldRecord = new GenericData.Record(older);
        GenericRecord full = (GenericRecord) GenericData.get().deepCopy(current, SampleRecords.l7Event());
        for (Schema.Field f : older.getFields()) {
            oldRecord.put(f.name(), full.get(f.name()));
        }
        AvroSerde<GenericRecord> generic = AvroSerde.generic(client, SerdeConfig.from(Map.of()), false);
        byte[] bytes = generic.serializer().serialize("serde-evolution", oldRecord);
        L7Event read = AvroDeserializer.specific(client, L7Event.class).deserialize("serde-evolution", bytes);
        assertThat(read.getTraceparent()).isNull();
        assertThat(read.getPid()).isEqualTo(SampleRecords.l7Event().getPid());
    }

    private static Schema olderWithout(Schema schema, String field) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            if (!f.name().equals(field)) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static void assertReason(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
                                     MalformedRecordException.Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(MalformedRecordException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    private static byte[] frame(int id, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static ConsumerRecord<byte[], byte[]> produceAndRead(String topic, byte[] key, byte[] value) {
        long offset;
        int partition;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            var meta = producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
            offset = meta.offset();
            partition = meta.partition();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(Set.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() == offset) {
                        return r;
                    }
                }
            }
        }
        throw new AssertionError("record not read back from " + topic);
    }
}
