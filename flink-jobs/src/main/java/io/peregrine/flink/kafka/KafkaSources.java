package io.peregrine.flink.kafka;

import io.peregrine.schema.LatencySketch;
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
 * them on checkpoints; its own restarts use the offsets in the checkpoint), else from the earliest;
 * compacted topics always from the earliest.
 */
public final class KafkaSources {

    private KafkaSources() {
    }

    /** {@code peregrine.sli}: one record per application and SLI window. */
    // OffsetResetStrategy is deprecated in kafka-clients 4.x, but it is what the connector's
    // OffsetsInitializer.committedOffsets takes.
    @SuppressWarnings("deprecation")
    public static KafkaSource<Decoded<ServiceSliWindow>> sli(KafkaEndpoints endpoints, String groupId, String stage,
                                                             RecordValidator<ServiceSliWindow> validator) {
        return source(endpoints, groupId, sliDeserializer(endpoints, stage, validator), Topics::sli,
                OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST));
    }

    /**
     * How the alerting job reads {@code peregrine.sli}: every field but the bins of the latency
     * sketch, which no detector reads (burn rates take the good/total counts, anomaly detection the
     * decoded p99). Decoding them was over half of the source task's CPU samples (JFR), a boxed
     * {@code Long} for each of a few hundred bins per window; they are skipped in the bytes and decoded windows hold an empty
     * {@code bin_counts} (the sketch's other fields, count, sum, min and max, are read).
     */
    public static AvroRecordDeserializer<ServiceSliWindow> sliDeserializer(KafkaEndpoints endpoints, String stage,
                                                                           RecordValidator<ServiceSliWindow> validator) {
        return new AvroRecordDeserializer<>(endpoints, Topics::sli, ServiceSliWindow.class, stage, validator)
                .projected(SLI_WITHOUT_BINS);
    }

    private static final org.apache.avro.Schema SLI_WITHOUT_BINS = ReaderSchemas.skipping(
            ServiceSliWindow.getClassSchema(), LatencySketch.getClassSchema().getFullName(), "bin_counts");

    /** {@code peregrine.topology}: compacted current service map; tombstones delete an edge. */
    public static KafkaSource<Decoded<ServiceEdge>> topology(KafkaEndpoints endpoints, String groupId, String stage) {
        return source(endpoints, groupId, new AvroRecordDeserializer<>(endpoints, Topics::topology, ServiceEdge.class,
                stage, RecordValidator.none()), Topics::topology, EARLIEST);
    }

    /** {@code peregrine.silences}: compacted, user-managed; tombstones delete a silence. */
    public static KafkaSource<Decoded<Silence>> silences(KafkaEndpoints endpoints, String groupId, String stage) {
        return source(endpoints, groupId, new AvroRecordDeserializer<>(endpoints, Topics::silences, Silence.class,
                stage, silence -> silence.getEndsAt().isBefore(silence.getStartsAt())
                        ? "ends_at " + silence.getEndsAt() + " is before starts_at " + silence.getStartsAt() : null),
                Topics::silences, EARLIEST);
    }

    /**
     * Where a compacted topic is read from when the job starts without state: its beginning, always.
     * Its latest values are the whole map (or silence list); starting from a group's committed
     * offsets would leave out everything written before them. A restore reads on from the offsets
     * in the checkpoint, whose state already holds the rest.
     */
    private static final OffsetsInitializer EARLIEST = OffsetsInitializer.earliest();

    private static <V extends SpecificRecordBase> KafkaSource<Decoded<V>> source(
            KafkaEndpoints endpoints, String groupId, AvroRecordDeserializer<V> deserializer, TopicSelector<String, V> topic,
            OffsetsInitializer start) {
        Properties consumer = endpoints.clientProperties();
        consumer.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return KafkaSource.<Decoded<V>>builder()
                .setBootstrapServers(endpoints.bootstrapServers())
                .setTopics(topic.select(endpoints.topics()).name())
                .setGroupId(groupId)
                .setStartingOffsets(start)
                .setProperties(consumer)
                .setDeserializer(deserializer)
                .build();
    }
}
