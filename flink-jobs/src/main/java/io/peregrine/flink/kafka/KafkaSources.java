package io.peregrine.flink.kafka;

import io.peregrine.schema.Incident;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Silence;
import io.peregrine.schema.topic.Topics;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Kafka sources for Peregrine's input topics, decoding with our registry client into
 * {@link Decoded} envelopes (bad records become dead letters, never failures).
 *
 * <p>Every source reads {@code read_committed}: the Streams stage writes with exactly-once
 * transactions, and reading uncommitted data would evaluate SLI windows that an aborted
 * transaction retracts. A job starts from the offsets its consumer group committed (Flink commits
 * them on checkpoints; its own restarts use the offsets in the checkpoint), else from the earliest.
 */
public final class KafkaSources {

    private KafkaSources() {
    }

    /** {@code peregrine.sli}: one record per application and SLI window. */
    public static KafkaSource<Decoded<ServiceSliWindow>> sli(KafkaEndpoints endpoints, String groupId, String stage,
                                                             RecordValidator<ServiceSliWindow> validator) {
        return source(endpoints, groupId, new AvroRecordDeserializer<>(endpoints, Topics::sli, ServiceSliWindow.class,
                stage, validator), Topics::sli);
    }

    /** {@code peregrine.incidents}: every version of every incident (key: incident id). */
    public static KafkaSource<Decoded<Incident>> incidents(KafkaEndpoints endpoints, String groupId, String stage) {
        return source(endpoints, groupId, new AvroRecordDeserializer<>(endpoints, Topics::incidents, Incident.class,
                stage, RecordValidator.none()), Topics::incidents);
    }

    /** {@code peregrine.topology}: compacted current service map; tombstones delete an edge. */
    public static KafkaSource<Decoded<ServiceEdge>> topology(KafkaEndpoints endpoints, String groupId, String stage) {
        return source(endpoints, groupId, new AvroRecordDeserializer<>(endpoints, Topics::topology, ServiceEdge.class,
                stage, RecordValidator.none()), Topics::topology);
    }

    /** {@code peregrine.silences}: compacted, user-managed; tombstones delete a silence. */
    public static KafkaSource<Decoded<Silence>> silences(KafkaEndpoints endpoints, String groupId, String stage) {
        return source(endpoints, groupId, new AvroRecordDeserializer<>(endpoints, Topics::silences, Silence.class,
                stage, silence -> silence.getEndsAt().isBefore(silence.getStartsAt())
                        ? "ends_at " + silence.getEndsAt() + " is before starts_at " + silence.getStartsAt() : null),
                Topics::silences);
    }

    // OffsetResetStrategy is deprecated in kafka-clients 4.x, but it is what the connector's
    // OffsetsInitializer.committedOffsets takes.
    @SuppressWarnings("deprecation")
    private static <V extends SpecificRecordBase> KafkaSource<Decoded<V>> source(
            KafkaEndpoints endpoints, String groupId, AvroRecordDeserializer<V> deserializer, TopicSelector<String, V> topic) {
        Properties consumer = endpoints.clientProperties();
        consumer.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return KafkaSource.<Decoded<V>>builder()
                .setBootstrapServers(endpoints.bootstrapServers())
                .setTopics(topic.select(endpoints.topics()).name())
                .setGroupId(groupId)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setProperties(consumer)
                .setDeserializer(deserializer)
                .build();
    }
}
