package io.peregrine.schema.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that are not a complete, valid Confluent-framed Avro datum. Never accompanied by a
 * half-decoded record: decoding either yields the whole value or throws this.
 *
 * <p>Names the topic always, and the partition and offset when the caller knows them: a Kafka
 * consumer using our deserializer wraps this in a {@code RecordDeserializationException} that
 * carries them; code holding the {@code ConsumerRecord} uses
 * {@link AvroDeserializer#deserialize(org.apache.kafka.clients.consumer.ConsumerRecord, boolean)},
 * which fills them in.
 */
public final class MalformedRecordException extends SerializationException {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the bytes; stable, for counters and the dead-letter topic. */
    public enum Reason {
        /** Fewer than the 5 bytes of framing. */
        TRUNCATED_HEADER,
        /** First byte is not 0: not the Confluent wire format (or a newer, unsupported framing). */
        BAD_MAGIC_BYTE,
        /** The registry does not know the schema id. */
        UNKNOWN_SCHEMA_ID,
        /** The writer schema cannot be read with the reader's (another record type on the topic). */
        INCOMPATIBLE_SCHEMA,
        /** The Avro body ends early or holds impossible values (negative lengths, bad enum index...). */
        CORRUPT_BODY,
        /** The body decoded but bytes remain after it: the datum was not written with that schema. */
        TRAILING_BYTES
    }

    private final Reason reason;
    private final String topic;
    private final int partition;
    private final long offset;
    private final int schemaId;
    private final String detail;

    public MalformedRecordException(Reason reason, String topic, int schemaId, String detail, Throwable cause) {
        this(reason, topic, -1, -1L, schemaId, detail, cause);
    }

    private MalformedRecordException(Reason reason, String topic, int partition, long offset, int schemaId,
                                     String detail, Throwable cause) {
        super(message(reason, topic, partition, offset, schemaId, detail), cause);
        this.reason = reason;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.schemaId = schemaId;
        this.detail = detail;
    }

    /** The same error, positioned at a partition and offset. */
    public MalformedRecordException at(int partition, long offset) {
        MalformedRecordException positioned =
                new MalformedRecordException(reason, topic, partition, offset, schemaId, detail, getCause());
        positioned.setStackTrace(getStackTrace());
        return positioned;
    }

    public Reason reason() {
        return reason;
    }

    public String topic() {
        return topic;
    }

    /** -1 when unknown. */
    public int partition() {
        return partition;
    }

    /** -1 when unknown. */
    public long offset() {
        return offset;
    }

    /** The schema id from the framing, or -1 when the framing itself was bad. */
    public int schemaId() {
        return schemaId;
    }

    private static String message(Reason reason, String topic, int partition, long offset, int schemaId, String detail) {
        StringBuilder sb = new StringBuilder("malformed record in topic ").append(topic);
        if (partition >= 0) {
            sb.append(" partition ").append(partition);
        }
        if (offset >= 0) {
            sb.append(" offset ").append(offset);
        }
        if (schemaId >= 0) {
            sb.append(" (schema id ").append(schemaId).append(')');
        }
        return sb.append(": ").append(reason).append(": ").append(detail).toString();
    }
}
