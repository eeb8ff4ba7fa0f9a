package io.peregrine.flink.kafka;

import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.dlq.DeadLetterRecords;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Builds {@link DeadLetter}s for records a Flink stage rejects, as {@link DeadLetterRecords}
 * defines them for every stage.
 */
public final class DeadLetters {

    private DeadLetters() {
    }

    /** A dead letter for {@code record}, which {@code stage} rejected at {@code nowMs}. */
    public static DeadLetter of(ConsumerRecord<byte[], byte[]> record, String stage, DeadLetterReason reason,
                                String message, Throwable cause, long nowMs) {
        return DeadLetterRecords.letter(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.key(), record.value(), stage, reason, message, cause, nowMs);
    }
}
