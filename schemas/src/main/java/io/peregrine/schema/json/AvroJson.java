package io.peregrine.schema.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro values as plain JSON for people and {@code jq}: unions are written as their value (not
 * Avro-JSON's {"type": value} wrapping), enums as their symbol, bytes as base64, and timestamps as
 * ISO-8601 UTC strings. One-way: for reading, use the Avro serde.
 */
public final class AvroJson {

    private static final JsonFactory FACTORY = new JsonFactory();

    private AvroJson() {
    }

    /** One JSON document for a record, enum, fixed or primitive, no trailing newline. */
    public static String toJson(Object value) {
        return toJson(value, value instanceof GenericContainer c ? c.getSchema() : GenericData.get().induce(value));
    }

    /** One JSON document, no trailing newline. */
    public static String toJson(Object value, Schema schema) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value, schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Writes {@code value} of {@code schema} to an open generator. */
    public static void write(JsonGenerator g, Object value, Schema schema) throws IOException {
        if (value == null) {
            g.writeNull();
            return;
        }
        switch (schema.getType()) {
            case RECORD -> {
                IndexedRecord r = (IndexedRecord) value;
                g.writeStartObject();
                for (Schema.Field f : schema.getFields()) {
                    g.writeFieldName(f.name());
                    write(g, r.get(f.pos()), f.schema());
                }
                g.writeEndObject();
            }
            case UNION -> write(g, value, schema.getTypes().get(GenericData.get().resolveUnion(schema, value)));
            case ARRAY -> {
                g.writeStartArray();
                for (Object item : (Collection<?>) value) {
                    write(g, item, schema.getElementType());
                }
                g.writeEndArray();
            }
            case MAP -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    g.writeFieldName(e.getKey().toString());
                    write(g, e.getValue(), schema.getValueType());
                }
                g.writeEndObject();
            }
            case ENUM, STRING -> g.writeString(value.toString());
            case BYTES -> g.writeString(Base64.getEncoder().encodeToString(bytes(value)));
            case FIXED -> g.writeString(Base64.getEncoder().encodeToString(((GenericFixed) value).bytes()));
            case INT -> writeInt(g, value, schema.getLogicalType());
            case LONG -> writeLong(g, value, schema.getLogicalType());
            case FLOAT, DOUBLE -> {
                double d = ((Number) value).doubleValue();
                if (Double.isFinite(d)) {
                    g.writeNumber(d);
                } else {
                    g.writeString(Double.toString(d)); // JSON has no NaN or Infinity
                }
            }
            case BOOLEAN -> g.writeBoolean((Boolean) value);
            case NULL -> g.writeNull();
        }
    }

    private static void writeInt(JsonGenerator g, Object value, LogicalType logical) throws IOException {
        if (value instanceof LocalDate d) {
            g.writeString(d.toString());
        } else if (logical != null && "date".equals(logical.getName())) {
            g.writeString(LocalDate.ofEpochDay(((Number) value).intValue()).toString());
        } else {
            g.writeNumber(((Number) value).intValue());
        }
    }

    private static void writeLong(JsonGenerator g, Object value, LogicalType logical) throws IOException {
        if (value instanceof Instant i) {
            g.writeString(i.toString());
            return;
        }
        long v = ((Number) value).longValue();
        String name = logical == null ? "" : logical.getName();
        switch (name) {
            case "timestamp-millis", "local-timestamp-millis" -> g.writeString(Instant.ofEpochMilli(v).toString());
            case "timestamp-micros", "local-timestamp-micros" ->
                    g.writeString(Instant.ofEpochSecond(Math.floorDiv(v, 1_000_000L), Math.floorMod(v, 1_000_000L) * 1000).toString());
            case "timestamp-nanos", "local-timestamp-nanos" ->
                    g.writeString(Instant.ofEpochSecond(Math.floorDiv(v, 1_000_000_000L), Math.floorMod(v, 1_000_000_000L)).toString());
            default -> g.writeNumber(v);
        }
    }

    private static byte[] bytes(Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        ByteBuffer buf = ((ByteBuffer) value).duplicate();
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        return out;
    }
}
