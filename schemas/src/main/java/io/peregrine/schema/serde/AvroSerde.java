package io.peregrine.schema.serde;

import io.peregrine.schema.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Serializer and deserializer of one type over a shared registry client. */
public final class AvroSerde<T> implements Serde<T> {

    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    private AvroSerde(AvroSerializer<T> serializer, AvroDeserializer<T> deserializer) {
        this.serializer = serializer;
        this.deserializer = deserializer;
    }

    /** For generated record classes. */
    public static <T extends SpecificRecord> AvroSerde<T> specific(SchemaRegistryClient client, SerdeConfig config,
                                                                   Class<T> type, boolean isKey) {
        return new AvroSerde<>(new AvroSerializer<>(client, config, isKey), AvroDeserializer.specific(client, type));
    }

    /** For generic records and primitives. */
    public static <T> AvroSerde<T> generic(SchemaRegistryClient client, SerdeConfig config, boolean isKey) {
        return new AvroSerde<>(new AvroSerializer<>(client, config, isKey), AvroDeserializer.generic(client));
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Built configured: the client and settings were given at construction.
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public AvroDeserializer<T> deserializer() {
        return deserializer;
    }
}
