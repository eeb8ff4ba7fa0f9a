package io.peregrine.flink.kafka;

import io.peregrine.schema.dlq.DeadLetterRecords;
import io.peregrine.schema.Alert;
import io.peregrine.schema.Anomaly;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.Incident;
import io.peregrine.schema.topic.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Kafka sinks for Peregrine's output topics. With {@link DeliveryGuarantee#EXACTLY_ONCE} each
 * checkpoint commits a Kafka transaction: records become visible to {@code read_committed}
 * consumers when the checkpoint that covers them completes, and a restart from a checkpoint aborts
 * whatever was written after it, so every alert appears exactly once. Needs checkpointing enabled.
 */
public final class KafkaSinks {

    /**
     * Longest a transaction may stay open: above the checkpoint interval plus the time a checkpoint
     * can take, and at most the broker's {@code transaction.max.timeout.ms} (15 min by default; the
     * producer's own default of 1 h, which Flink's sink would otherwise use, is refused by a stock broker).
     */
    public static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    private KafkaSinks() {
    }

    /**
     * Alerts to {@code peregrine.alerts}, keyed by fingerprint.
     *
     * @param transactionalIdPrefix unique per job and sink on the cluster (two jobs sharing one fence each other off)
     */
    public static KafkaSink<Alert> alerts(KafkaEndpoints endpoints, DeliveryGuarantee guarantee,
                                          String transactionalIdPrefix) {
        return sink(endpoints, guarantee, transactionalIdPrefix,
                new AvroRecordSerializer<>(endpoints, Topics::alerts, Alert::getFingerprint, null));
    }

    /** Incidents to {@code peregrine.incidents}, keyed by incident id. */
    public static KafkaSink<Incident> incidents(KafkaEndpoints endpoints, DeliveryGuarantee guarantee,
                                                String transactionalIdPrefix) {
        return sink(endpoints, guarantee, transactionalIdPrefix,
                new AvroRecordSerializer<>(endpoints, Topics::incidents, Incident::getId, null));
    }

    /** Anomalies to {@code peregrine.anomalies}, keyed by app id. */
    public static KafkaSink<Anomaly> anomalies(KafkaEndpoints endpoints, DeliveryGuarantee guarantee,
                                               String transactionalIdPrefix) {
        return sink(endpoints, guarantee, transactionalIdPrefix,
                new AvroRecordSerializer<>(endpoints, Topics::anomalies, a -> a.getApp().getId(), null));
    }

    /** Dead letters to {@code peregrine.dlq}, keyed by the rejected record's key bytes, reason in headers. */
    public static KafkaSink<DeadLetter> deadLetters(KafkaEndpoints endpoints, DeliveryGuarantee guarantee,
                                                    String transactionalIdPrefix) {
        return sink(endpoints, guarantee, transactionalIdPrefix,
                new AvroRecordSerializer<>(endpoints, Topics::dlq, KafkaSinks::keyBytes, DeadLetterRecords::addHeaders));
    }

    private static <V> KafkaSink<V> sink(KafkaEndpoints endpoints, DeliveryGuarantee guarantee, String prefix,
                                         AvroRecordSerializer<?, V> serializer) {
        Properties producer = endpoints.clientProperties();
        producer.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(TRANSACTION_TIMEOUT.toMillis()));
        producer.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        producer.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        var builder = KafkaSink.<V>builder()
                .setBootstrapServers(endpoints.bootstrapServers())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(guarantee);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            builder.setTransactionalIdPrefix(prefix);
        }
        return builder.build();
    }

    private static byte[] keyBytes(DeadLetter letter) {
        ByteBuffer key = letter.getKey();
        if (key == null) {
            return null;
        }
        ByteBuffer b = key.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
