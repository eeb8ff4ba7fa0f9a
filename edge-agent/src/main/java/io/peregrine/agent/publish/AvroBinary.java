package io.peregrine.agent.publish;

import io.peregrine.schema.L7Event;
import io.peregrine.schema.serde.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro binary of a generated record, behind room for the wire-format header (not written: the
 * registry id is the sender's to know), and its schema's fingerprint. L7 events, the agent's
 * volume, go through {@link L7EventEncoder}.
 */
final class AvroBinary {

    private static final Map<Schema, DatumWriter<SpecificRecord>> WRITERS = new ConcurrentHashMap<>();
    private static final Map<Schema, Long> FINGERPRINTS = new ConcurrentHashMap<>();
    private static final ThreadLocal<Buffer> BUFFER = ThreadLocal.withInitial(Buffer::new);
    private static final byte[] ROOM = new byte[WireFormat.HEADER_SIZE];

    private AvroBinary() {
    }

    /** {@link WireFormat#HEADER_SIZE} zero bytes, then the Avro binary datum of {@code record}. */
    static byte[] encode(SpecificRecord record) {
        Buffer b = BUFFER.get();
        if (record instanceof L7Event e && L7EventEncoder.handles(e)) {
            return b.l7.encode(e);
        }
        b.out.reset();
        b.out.write(ROOM, 0, WireFormat.HEADER_SIZE);
        try {
            b.encoder = EncoderFactory.get().binaryEncoder(b.out, b.encoder);
            WRITERS.computeIfAbsent(record.getSchema(), SpecificDatumWriter::new).write(record, b.encoder);
            b.encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.out.toByteArray();
    }

    static long fingerprint(Schema schema) {
        Long f = FINGERPRINTS.get(schema);  // get first: computeIfAbsent locks its bin on every call
        return f != null ? f : FINGERPRINTS.computeIfAbsent(schema, SchemaNormalization::parsingFingerprint64);
    }

    private static final class Buffer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        BinaryEncoder encoder;
        final L7EventEncoder l7 = new L7EventEncoder();
    }
}
