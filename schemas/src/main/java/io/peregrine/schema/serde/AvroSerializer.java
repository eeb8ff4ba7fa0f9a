package io.peregrine.schema.serde;

import io.peregrine.schema.registry.RegistryException;
import io.peregrine.schema.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serializer in the Confluent wire format: byte 0, the schema's registry id as a 4-byte
 * big-endian int, then the Avro binary datum. Works for generated (specific) records, generic
 * records and primitives; interoperable with Confluent's {@code KafkaAvroDeserializer}.
 *
 * <p>Hot path: one identity comparison finds the (topic, schema) of the previous call, so a
 * stream of one record type costs no map lookup and no registry call; the encoder and its buffer
 * are reused per thread. {@code null} is written as {@code null} (a tombstone) with no registry call.
 */
public class AvroSerializer<T> implements Serializer<T> {

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private SchemaRegistryClient client;
    private SerdeConfig serdeConfig;
    private boolean isKey;
    private final Map<TopicSchema, Target> targets = new ConcurrentHashMap<>();
    private volatile Target last;

    /** For Kafka's reflective instantiation; {@link #configure} must follow. */
    public AvroSerializer() {
    }

    /** Ready to use, sharing a client (and its caches) with other serdes. */
    public AvroSerializer(SchemaRegistryClient client, SerdeConfig serdeConfig, boolean isKey) {
        this.client = client;
        this.serdeConfig = serdeConfig;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (client == null) {
            this.client = SchemaRegistryClient.create(configs);
            this.serdeConfig = SerdeConfig.from(configs);
        }
        this.isKey = isKey;
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroSerializer used before configure()");
        }
        Schema schema = AvroSchemas.of(data);
        Target t = last;
        if (t == null || t.schema != schema || !t.topic.equals(topic)) {
            t = target(topic, schema);
            last = t;
        }
        Buffers b = BUFFERS.get();
        b.out.reset();
        b.out.writeHeader(t.id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(b.out, b.encoder);
            b.encoder = encoder;
            t.writer.write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot serialize " + schema.getFullName() + " for topic " + topic
                    + ": " + e.getMessage(), e);
        }
        return b.out.toByteArray();
    }

    private Target target(String topic, Schema schema) {
        TopicSchema key = new TopicSchema(topic, schema);
        Target t = targets.get(key);
        if (t == null) {
            String subject = serdeConfig.strategy(isKey).subject(topic, isKey, schema);
            int id;
            try {
                if (serdeConfig.autoRegister()) {
                    id = client.register(subject, schema);
                } else if (serdeConfig.useLatestVersion()) {
                    id = client.latest(subject).id();
                } else {
                    id = client.idOf(subject, schema);
                }
            } catch (RegistryException e) {
                throw new SerializationException("cannot get a schema id for subject " + subject + " (topic " + topic
                        + ", " + schema.getFullName() + "): " + e.getMessage(), e);
            }
            t = new Target(topic, schema, id, writerFor(schema));
            targets.putIfAbsent(key, t);
        }
        return t;
    }

    @SuppressWarnings("unchecked")
    private static <T> DatumWriter<T> writerFor(Schema schema) {
        Class<?> generated = SpecificData.get().getClass(schema);
        if (generated != null && SpecificRecord.class.isAssignableFrom(generated)) {
            return new SpecificDatumWriter<>(schema);
        }
        return (DatumWriter<T>) new GenericDatumWriter<>(schema);
    }

    private record TopicSchema(String topic, Schema schema) {
    }

    private record Target(String topic, Schema schema, int id, DatumWriter<Object> writer) {
    }

    private static final class Buffers {
        final FramedOutput out = new FramedOutput();
        BinaryEncoder encoder;
    }

    /** A growable byte array that is reused across calls and can write the 5-byte framing. */
    static final class FramedOutput extends java.io.OutputStream {
        private byte[] buf = new byte[512];
        private int count;

        void reset() {
            count = 0;
        }

        void writeHeader(int id) {
            ensure(5);
            buf[0] = WireFormat.MAGIC_BYTE;
            buf[1] = (byte) (id >>> 24);
            buf[2] = (byte) (id >>> 16);
            buf[3] = (byte) (id >>> 8);
            buf[4] = (byte) id;
            count = 5;
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        private void ensure(int more) {
            if (count + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, count);
        }
    }
}
