package io.peregrine.streams.dlq;

import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.serde.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Builds {@code peregrine.dlq} records: the {@link DeadLetter} value with the original bytes, and
 * the reason repeated in headers so that tools can route and count without decoding Avro.
 */
public final class DeadLetters {

    /** Header names on every DLQ record. */
    public static final String HEADER_REASON = "peregrine.dlq.reason";
    public static final String HEADER_STAGE = "peregrine.dlq.stage";
    public static final String HEADER_MESSAGE = "peregrine.dlq.message";
    public static final String HEADER_SOURCE = "peregrine.dlq.source";

    /** Values above this are not copied into the DLQ (the offset still points at them). */
    static final int MAX_VALUE_BYTES = 512 * 1024;
    private static final int MAX_HEADER_MESSAGE = 1024;

    private DeadLetters() {
    }

    /** The DLQ reason of a serde failure. */
    public static DeadLetterReason reasonOf(MalformedRecordException e) {
        return switch (e.reason()) {
            case UNKNOWN_SCHEMA_ID, INCOMPATIBLE_SCHEMA -> DeadLetterReason.UNKNOWN_SCHEMA;
            default -> DeadLetterReason.DESERIALIZATION;
        };
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
        Integer schemaId = value != null && value.length >= WireFormat.HEADER_SIZE && value[0] == WireFormat.MAGIC_BYTE
                ? WireFormat.schemaId(value) : null;
        DeadLetter letter = DeadLetter.newBuilder()
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
        Headers headers = new RecordHeaders()
                .add(HEADER_REASON, utf8(reason.name()))
                .add(HEADER_STAGE, utf8(stage))
                .add(HEADER_MESSAGE, utf8(message.length() > MAX_HEADER_MESSAGE
                        ? message.substring(0, MAX_HEADER_MESSAGE) : message))
                .add(HEADER_SOURCE, utf8(topic + "/" + partition + "/" + offset));
        return new Record<>(key, letter, Math.max(0, recordTimestamp), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
