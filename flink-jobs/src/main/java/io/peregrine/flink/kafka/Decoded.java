package io.peregrine.flink.kafka;

import io.peregrine.schema.DeadLetter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * One record read from a Peregrine topic: exactly one of a decoded value, a tombstone (compacted
 * topics only: the key was deleted), or a dead letter saying why the bytes were rejected. Sources
 * emit this envelope because a Kafka deserialization schema has a single output; the first
 * operator after the source splits dead letters off to a side output.
 *
 * <p>A Flink POJO (public fields, no-arg constructor) with explicit type information
 * ({@link #typeInfo}), so the value and the dead letter travel with Avro's serializer, not Kryo.
 */
public final class Decoded<V> {

    /** Record key as UTF-8 (every Peregrine key is a string); null for a null key. */
    public String key;
    /** The decoded value; null for a tombstone or a dead letter. */
    public V value;
    /** Why the record was rejected; null when it was not. */
    public DeadLetter deadLetter;
    /** Kafka timestamp of the record (ms). */
    public long timestamp;

    public Decoded() {
    }

    static <V> Decoded<V> value(String key, V value, long timestamp) {
        Decoded<V> d = new Decoded<>();
        d.key = key;
        d.value = Objects.requireNonNull(value, "value");
        d.timestamp = timestamp;
        return d;
    }

    static <V> Decoded<V> tombstone(String key, long timestamp) {
        Decoded<V> d = new Decoded<>();
        d.key = key;
        d.timestamp = timestamp;
        return d;
    }

    static <V> Decoded<V> rejected(String key, DeadLetter deadLetter, long timestamp) {
        Decoded<V> d = new Decoded<>();
        d.key = key;
        d.deadLetter = Objects.requireNonNull(deadLetter, "deadLetter");
        d.timestamp = timestamp;
        return d;
    }

    public boolean isDeadLetter() {
        return deadLetter != null;
    }

    public boolean isTombstone() {
        return value == null && deadLetter == null;
    }

    /** Type information of {@code Decoded<V>} for a generated Avro class. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <V extends SpecificRecordBase> TypeInformation<Decoded<V>> typeInfo(Class<V> valueType) {
        Map<String, TypeInformation<?>> fields = new HashMap<>();
        fields.put("key", Types.STRING);
        fields.put("value", new SharedAvroTypeInfo<>(valueType));
        fields.put("deadLetter", new AvroTypeInfo<>(DeadLetter.class));
        fields.put("timestamp", Types.LONG);
        return (TypeInformation) Types.POJO(Decoded.class, fields);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Decoded<?> d && timestamp == d.timestamp && Objects.equals(key, d.key)
                && Objects.equals(value, d.value) && Objects.equals(deadLetter, d.deadLetter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, value, deadLetter, timestamp);
    }

    @Override
    public String toString() {
        return "Decoded{key=" + key + ", " + (deadLetter != null ? "deadLetter=" + deadLetter.getReason()
                : value == null ? "tombstone" : "value=" + value) + ", timestamp=" + timestamp + '}';
    }
}
