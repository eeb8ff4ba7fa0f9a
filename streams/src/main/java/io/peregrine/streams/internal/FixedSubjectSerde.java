package io.peregrine.streams.internal;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A registry-backed serde whose records are always (de)serialized as if for one output topic, so
 * that a state store holding a topic's records (and its changelog) reuses that topic's subject and
 * schema ids instead of registering a subject per changelog topic. Schema evolution of the store
 * then follows the topic's, checked by the registry.
 */
public final class FixedSubjectSerde {

    private FixedSubjectSerde() {
    }

    public static <T> Serde<T> of(String topic, Serde<T> inner) {
        Serializer<T> ser = inner.serializer();
        Deserializer<T> de = inner.deserializer();
        return Serdes.serdeFrom((t, v) -> ser.serialize(topic, v), (t, b) -> de.deserialize(topic, b));
    }
}
