package io.peregrine.flink.kafka;

import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.serde.WireFormat;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Builds {@link DeadLetter}s for records a Flink stage rejects. The header names match the Streams
 * stage's ({@code io.peregrine.streams.dlq.DeadLetters}), so tools route DLQ records from either
 * stage alike.
 */
public final class DeadLetters {

    public static final String HEADER_REASON = "peregrine.dlq.reason";
    public static final String HEADER_STAGE = "peregrine.dlq.stage";
    public static final String HEADER_MESSAGE = "peregrine.dlq.message";
    public static final String HEADER_SOURCE = "peregrine.dlq.source";

    /** Values above this are not copied into the DLQ (the offset still points at them). */
    static final int MAX_VALUE_BYTES = 512 * 1024;

    private DeadLetters() {
    }

    /** The DLQ reason of a serde failure. */
    public static DeadLetterReason reasonOf(MalformedRecordException e) {
        return switch (e.reason()) {
            case UNKNOWN_SCHEMA_ID, INCOMPATIBLE_SCHEMA -> DeadLetterReason.UNKNOWN_SCHEMA;
            default -> DeadLetterReason.DESERIALIZATION;
        };
    }

    /** A dead letter for {@code record}, which {@code stage} rejected at {@code nowMs}. */
    public static DeadLetter of(ConsumerRecord<byte[], byte[]> record, String stage, DeadLetterReason reason,
                                String message, Throwable cause, long nowMs) {
        byte[] value = record.value();
        Integer schemaId = value != null && value.length >= WireFormat.HEADER_SIZE && value[0] == WireFormat.MAGIC_BYTE
                ? WireFormat.schemaId(value) : null;
        return DeadLetter.newBuilder()
                .setSourceTopic(record.topic())
                .setPartition(record.partition())
                .setOffset(record.offset())
                .setRecordTimestamp(record.timestamp() >= 0 ? Instant.ofEpochMilli(record.timestamp()) : null)
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setValue(value == null || value.length > MAX_VALUE_BYTES ? null : ByteBuffer.wrap(value))
                .setSchemaId(schemaId)
                .setReason(reason)
                .setReasonMessage(message)
                .setExceptionClass(cause == null ? null : cause.getClass().getName())
                .setStage(stage)
                .setFailedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }
}
