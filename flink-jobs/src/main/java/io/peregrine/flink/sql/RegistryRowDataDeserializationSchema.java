package io.peregrine.flink.sql;

import io.peregrine.schema.serde.MalformedRecordException.Reason;
import java.io.EOFException;
import java.io.IOException;
import org.apache.avro.AvroRuntimeException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.AvroRowDataDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.table.data.RowData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code avro-confluent} decoder: flink-avro's {@link AvroRowDataDeserializationSchema} over a
 * registry-aware Avro decoder, with every way a record's bytes can be bad turned into an
 * {@link UnreadableRecordException} that says which (bad magic byte, truncated header, unknown
 * schema id, corrupt body), and skipped instead when {@code ignore-parse-errors} is set. Skipped
 * records are counted ({@code avroConfluentSkippedRecords}) and logged once at WARN, then at
 * DEBUG. A registry that cannot be reached is never skipped: the records are fine.
 */
final class RegistryRowDataDeserializationSchema implements DeserializationSchema<RowData> {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(RegistryRowDataDeserializationSchema.class);

    private final AvroRowDataDeserializationSchema avro;
    private final boolean ignoreParseErrors;

    private transient Counter skipped;
    private transient boolean warned;

    RegistryRowDataDeserializationSchema(AvroRowDataDeserializationSchema avro, boolean ignoreParseErrors) {
        this.avro = avro;
        this.ignoreParseErrors = ignoreParseErrors;
    }

    @Override
    public void open(InitializationContext context) throws Exception {
        avro.open(context);
        skipped = context.getMetricGroup().counter("avroConfluentSkippedRecords");
    }

    @Override
    public RowData deserialize(byte[] message) throws IOException {
        UnreadableRecordException bad;
        try {
            return avro.deserialize(message);
        } catch (IOException | RuntimeException e) {
            // flink-avro wraps whatever went wrong in IOException("Failed to deserialize Avro record.").
            Throwable cause = e.getMessage() != null && e.getMessage().startsWith("Failed to deserialize")
                    && e.getCause() != null ? e.getCause() : e;
            bad = classify(cause);
            if (bad == null) {
                throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
            }
        }
        if (!ignoreParseErrors) {
            throw bad;
        }
        if (skipped != null) {
            skipped.inc();
        }
        if (!warned) {
            warned = true;
            log.warn("skipping unreadable records ('ignore-parse-errors' = 'true'); first: {}", bad.getMessage());
        } else {
            log.debug("skipped unreadable record: {}", bad.getMessage());
        }
        return null;
    }

    /** The record-level problem {@code e} reports, or null when it is not the record's fault. */
    private static UnreadableRecordException classify(Throwable e) {
        if (e instanceof UnreadableRecordException u) {
            return u;
        }
        if (e instanceof EOFException) {
            return new UnreadableRecordException(Reason.CORRUPT_BODY, "the Avro body ends early (truncated record)", e);
        }
        if (e instanceof AvroRuntimeException || e instanceof IndexOutOfBoundsException
                || e instanceof NegativeArraySizeException || e instanceof ClassCastException
                || e instanceof IllegalArgumentException || e instanceof UnsupportedOperationException) {
            return new UnreadableRecordException(Reason.CORRUPT_BODY, "the Avro body does not decode: " + e, e);
        }
        return null;
    }

    @Override
    public boolean isEndOfStream(RowData nextElement) {
        return false;
    }

    @Override
    public TypeInformation<RowData> getProducedType() {
        return avro.getProducedType();
    }
}
