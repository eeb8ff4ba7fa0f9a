package io.peregrine.flink.kafka;

import io.peregrine.schema.topic.Topic;
import java.io.Serializable;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes values to a catalog topic with the catalog's serdes: the key as the topic's key serde
 * makes it (UTF-8 for string keys), the value in the Confluent wire format through our registry
 * client. Failing to serialize (the registry unreachable, a schema it refuses) fails the task, so
 * the job restarts from its checkpoint and nothing is silently lost.
 */
public final class AvroRecordSerializer<K, V> implements KafkaRecordSerializationSchema<V> {
    private static final long serialVersionUID = 1L;

    /** The record key of a value. */
    @FunctionalInterface
    public interface KeyOf<K, V> extends Serializable {
        K key(V value);
    }

    /** Headers to add to a value's record. */
    @FunctionalInterface
    public interface HeadersOf<V> extends Serializable {
        void add(V value, Headers headers);
    }

    private final KafkaEndpoints endpoints;
    private final TopicSelector<K, V> topicSelector;
    private final KeyOf<K, V> keyOf;
    private final HeadersOf<V> headersOf;

    private transient Topic<K, V> topic;

    public AvroRecordSerializer(KafkaEndpoints endpoints, TopicSelector<K, V> topic, KeyOf<K, V> keyOf,
                                HeadersOf<V> headersOf) {
        this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
        this.topicSelector = Objects.requireNonNull(topic, "topic");
        this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
        this.headersOf = headersOf;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        topic = topicSelector.select(endpoints.topics());
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(V value, KafkaSinkContext context, Long timestamp) {
        if (topic == null) {
            topic = topicSelector.select(endpoints.topics());
        }
        String name = topic.name();
        byte[] key = topic.keySerde().serializer().serialize(name, keyOf.key(value));
        byte[] bytes = topic.valueSerde().serializer().serialize(name, value);
        Headers headers = new RecordHeaders();
        if (headersOf != null) {
            headersOf.add(value, headers);
        }
        return new ProducerRecord<>(name, null, timestamp, key, bytes, headers);
    }

    /** The topic name, for tests and logs. */
    public String topicName() {
        return topicSelector.select(endpoints.topics()).name();
    }
}
