package io.peregrine.schema.serde;

import io.peregrine.schema.registry.RegistryException;
import io.peregrine.schema.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.Utf8;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Avro deserializer for the Confluent wire format. The writer schema comes from the registry by
 * the id in the framing (cached per id); the reader schema is the target class's for
 * {@link #specific(SchemaRegistryClient, Class) specific} use, else the writer's (generic records).
 *
 * <p>Either the whole value is decoded or a {@link MalformedRecordException} says why not: bytes
 * left over after the datum are an error too, because they mean the datum was not written with
 * the schema its id names. A registry that cannot be reached is a different, retriable failure
 * ({@link SerializationException} caused by a retriable {@link RegistryException}): the record is
 * fine, the lookup failed.
 */
public class AvroDeserializer<T> implements Deserializer<T> {

    private static final ThreadLocal<BinaryDecoder[]> DECODER = ThreadLocal.withInitial(() -> new BinaryDecoder[1]);

    private SchemaRegistryClient client;
    private Class<? extends SpecificRecord> type;
    /** The reader schema of {@link #projected}; null: the target class's. */
    private Schema projection;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    private volatile CachedReader last;

    /** For Kafka's reflective instantiation: generic records unless {@code specific.avro.reader=true}. */
    public AvroDeserializer() {
    }

    private AvroDeserializer(SchemaRegistryClient client, Class<? extends SpecificRecord> type) {
        this.client = client;
        this.type = type;
    }

    /** Decodes into the generated class {@code type}. */
    public static <T extends SpecificRecord> AvroDeserializer<T> specific(SchemaRegistryClient client, Class<T> type) {
        return new AvroDeserializer<>(client, type);
    }

    /**
     * Decodes into the generated class {@code type} with {@code readerSchema} as the reader schema:
     * a projection of the class's schema for readers that need only part of a record. It must keep
     * the class's full name and every field at the class's position (Avro sets fields by position);
     * a field renamed to a name the writer does not have is skipped in the bytes, without decoding
     * it, and takes its default. Validity checks are unchanged: a corrupt or truncated body still
     * fails, as do bytes left over.
     */
    public static <T extends SpecificRecord> AvroDeserializer<T> projected(SchemaRegistryClient client, Class<T> type,
                                                                           Schema readerSchema) {
        Schema own = SpecificData.get().getSchema(type);
        if (!own.getFullName().equals(readerSchema.getFullName())
                || own.getFields().size() != readerSchema.getFields().size()) {
            throw new IllegalArgumentException("reader schema " + readerSchema.getFullName() + " with "
                    + readerSchema.getFields().size() + " fields does not project " + own.getFullName());
        }
        AvroDeserializer<T> d = new AvroDeserializer<>(client, type);
        d.projection = readerSchema;
        return d;
    }

    /** Decodes into generic records (or primitives), with the writer's schema. */
    public static <T> AvroDeserializer<T> generic(SchemaRegistryClient client) {
        return new AvroDeserializer<>(client, null);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (client == null) {
            this.client = SchemaRegistryClient.create(configs);
            if (SerdeConfig.from(configs).specificReader()) {
                this.type = SpecificRecord.class; // resolved per writer schema by its full name
            }
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return decode(topic, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        return decode(topic, data);
    }

    /**
     * Decodes a record's key or value; a malformed one raises {@link MalformedRecordException}
     * naming its topic, partition and offset.
     */
    public T deserialize(ConsumerRecord<byte[], byte[]> record, boolean key) {
        try {
            return decode(record.topic(), key ? record.key() : record.value());
        } catch (MalformedRecordException e) {
            throw e.at(record.partition(), record.offset());
        }
    }

    @SuppressWarnings("unchecked")
    private T decode(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < WireFormat.HEADER_SIZE) {
            throw new MalformedRecordException(MalformedRecordException.Reason.TRUNCATED_HEADER, topic, -1,
                    data.length + " bytes, fewer than the 5 bytes of the wire-format header", null);
        }
        if (data[0] != WireFormat.MAGIC_BYTE) {
            throw new MalformedRecordException(MalformedRecordException.Reason.BAD_MAGIC_BYTE, topic, -1,
                    String.format("first byte 0x%02x, expected 0x00: not Confluent-framed Avro", data[0] & 0xff), null);
        }
        int id = WireFormat.schemaId(data);
        CachedReader c = last;
        DatumReader<Object> reader = c != null && c.id == id ? c.reader : reader(topic, id);
        BinaryDecoder[] holder = DECODER.get();
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(
                data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, holder[0]);
        holder[0] = decoder;
        Object value;
        try {
            value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new MalformedRecordException(MalformedRecordException.Reason.TRAILING_BYTES, topic, id,
                        "bytes remain after the datum: it was not written with schema " + id, null);
            }
        } catch (MalformedRecordException e) {
            throw e;
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException
                 | ClassCastException | IllegalArgumentException | UnsupportedOperationException e) {
            throw new MalformedRecordException(MalformedRecordException.Reason.CORRUPT_BODY, topic, id,
                    "Avro body does not decode: " + e, e);
        } catch (OutOfMemoryError e) {
            // A corrupt length field can ask for a gigantic array; the record is bad, the JVM is fine.
            throw new MalformedRecordException(MalformedRecordException.Reason.CORRUPT_BODY, topic, id,
                    "Avro body declares a length too large to allocate", null);
        }
        if (value instanceof Utf8 u) {
            value = u.toString();
        }
        return (T) value;
    }

    private DatumReader<Object> reader(String topic, int id) {
        DatumReader<Object> reader = readers.get(id);
        if (reader == null) {
            Schema writer;
            try {
                writer = client.schemaById(id);
            } catch (RegistryException e) {
                if (e.errorCode() == RegistryException.SCHEMA_NOT_FOUND || e.httpStatus() == 404) {
                    throw new MalformedRecordException(MalformedRecordException.Reason.UNKNOWN_SCHEMA_ID, topic, id,
                            "the schema registry does not know schema id " + id, e);
                }
                throw new SerializationException("cannot fetch schema " + id + " for topic " + topic + ": "
                        + e.getMessage(), e);
            }
            reader = newReader(topic, id, writer);
            readers.putIfAbsent(id, reader);
        }
        last = new CachedReader(id, reader);
        return reader;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private DatumReader<Object> newReader(String topic, int id, Schema writer) {
        if (type == null) {
            return new GenericDatumReader<>(writer, writer);
        }
        Class<?> target = type == SpecificRecord.class ? SpecificData.get().getClass(writer) : type;
        if (target == null || !SpecificRecord.class.isAssignableFrom(target)) {
            return new GenericDatumReader<>(writer, writer);
        }
        Schema readerSchema = projection != null ? projection : SpecificData.get().getSchema(target);
        if (type != SpecificRecord.class && !readerSchema.getFullName().equals(writer.getFullName())) {
            throw new MalformedRecordException(MalformedRecordException.Reason.INCOMPATIBLE_SCHEMA, topic, id,
                    "written as " + writer.getFullName() + ", cannot be read as " + readerSchema.getFullName(), null);
        }
        return new SpecificDatumReader(writer, readerSchema);
    }

    private record CachedReader(int id, DatumReader<Object> reader) {
    }
}
