package io.peregrine.flink.sql;

import io.peregrine.schema.serde.MalformedRecordException.Reason;
import java.io.IOException;

/**
 * A record's value bytes are not Confluent-framed Avro of a schema the registry knows: the record
 * is bad, not the infrastructure. {@code 'ignore-parse-errors' = 'true'} skips exactly these (and
 * Avro bodies that do not decode); an unreachable registry still fails the query, because the
 * records behind it are fine.
 */
public final class UnreadableRecordException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public UnreadableRecordException(Reason reason, String detail, Throwable cause) {
        super("avro-confluent: " + reason + ": " + detail, cause);
        this.reason = reason;
    }

    /** What is wrong with the bytes (the serde's reasons, so counters and logs agree). */
    public Reason reason() {
        return reason;
    }
}
