package io.peregrine.streams.dlq;

import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.dlq.DeadLetterRecords;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Builds {@code peregrine.dlq} records in a Streams processor: the {@link DeadLetter} value and the
 * headers defined once in {@link DeadLetterRecords}.
 */
public final class DeadLetters {

    private DeadLetters() {
    }

    /**
     * The DLQ record for a rejected input record.
     *
     * @param source where the record was read (empty metadata gives topic "unknown", -1, -1)
     * @param recordTimestamp Kafka timestamp of the original record
     */
    public static Record<Object, Object> record(String stage, DeadLetterReason reason, String message, Throwable cause,
                                                RecordMetadata source, long recordTimestamp, byte[] key, byte[] value,
                                                long nowMs) {
        String topic = source != null && source.topic() != null ? source.topic() : "unknown";
        int partition = source != null ? source.partition() : -1;
        long offset = source != null ? source.offset() : -1L;
        DeadLetter letter = DeadLetterRecords.letter(topic, partition, offset, recordTimestamp, key, value, stage,
                reason, message, cause, nowMs);
        Headers headers = DeadLetterRecords.addHeaders(letter, new RecordHeaders());
        return new Record<>(key, letter, Math.max(0, recordTimestamp), headers);
    }
}
