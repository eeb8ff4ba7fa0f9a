package io.peregrine.schema.dlq;

import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.serde.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;

/**
 * What every stage writes to {@code peregrine.dlq}: the {@link DeadLetter} value with the
 * rejected record's bytes, and the reason repeated in headers so that tools can route and count
 * dead letters without decoding Avro. One definition for Streams and Flink alike.
 */
public final class DeadLetterRecords {

    /** Header names on every DLQ record. */
    public static final String HEADER_REASON = "peregrine.dlq.reason";
    public static final String HEADER_STAGE = "peregrine.dlq.stage";
    public static final String HEADER_MESSAGE = "peregrine.dlq.message";
    public static final String HEADER_SOURCE = "peregrine.dlq.source";

    /** Values above this are not copied into the DLQ (the offset still points at them). */
    public static final int MAX_VALUE_BYTES = 512 * 1024;
    private static final int MAX_HEADER_MESSAGE = 1024;

    private DeadLetterRecords() {
    }

    /** The DLQ reason of a serde failure. */
    public static DeadLetterReason reasonOf(MalformedRecordException e) {
        return switch (e.reason()) {
            case UNKNOWN_SCHEMA_ID, INCOMPATIBLE_SCHEMA -> DeadLetterReason.UNKNOWN_SCHEMA;
            default -> DeadLetterReason.DESERIALIZATION;
        };
    }

    /**
     * The dead letter for a record read at {@code topic}/{@code partition}/{@code offset} that
     * {@code stage} rejected at {@code nowMs}.
     *
     * @param recordTimestamp Kafka timestamp of the original record, negative when it had none
     */
    public static DeadLetter letter(String topic, int partition, long offset, long recordTimestamp, byte[] key,
                                    byte[] value, String stage, DeadLetterReason reason, String message,
                                    Throwable cause, long nowMs) {
        Integer schemaId = value != null && value.length >= WireFormat.HEADER_SIZE && value[0] == WireFormat.MAGIC_BYTE
                ? WireFormat.schemaId(value) : null;
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setRecordTimestamp(recordTimestamp >= 0 ? Instant.ofEpochMilli(recordTimestamp) : null)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null || value.length > MAX_VALUE_BYTES ? null : ByteBuffer.wrap(value))
                .setSchemaId(schemaId)
                .setReason(reason)
                .setReasonMessage(message)
                .setExceptionClass(cause == null ? null : cause.getClass().getName())
                .setStage(stage)
                .setFailedAt(Instant.ofEpochMilli(nowMs))
                .build();
    }

    /** Adds the DLQ headers for {@code letter} to {@code headers}. */
    public static Headers addHeaders(DeadLetter letter, Headers headers) {
        String message = letter.getReasonMessage();
        return headers.add(HEADER_REASON, utf8(letter.getReason().name()))
                .add(HEADER_STAGE, utf8(letter.getStage()))
                .add(HEADER_MESSAGE, utf8(message.length() > MAX_HEADER_MESSAGE
                        ? message.substring(0, MAX_HEADER_MESSAGE) : message))
                .add(HEADER_SOURCE, utf8(letter.getSourceTopic() + "/" + letter.getPartition() + "/" + letter.getOffset()));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
