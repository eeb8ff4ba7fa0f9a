package io.peregrine.schema.serde;

import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.common.errors.SerializationException;

/** The schema of a value handed to a serializer: a record's own, or the primitive it is. */
final class AvroSchemas {

    private static final Schema NULL = Schema.create(Schema.Type.NULL);
    private static final Schema BOOLEAN = Schema.create(Schema.Type.BOOLEAN);
    private static final Schema INT = Schema.create(Schema.Type.INT);
    private static final Schema LONG = Schema.create(Schema.Type.LONG);
    private static final Schema FLOAT = Schema.create(Schema.Type.FLOAT);
    private static final Schema DOUBLE = Schema.create(Schema.Type.DOUBLE);
    private static final Schema STRING = Schema.create(Schema.Type.STRING);
    private static final Schema BYTES = Schema.create(Schema.Type.BYTES);

    private AvroSchemas() {
    }

    static Schema of(Object value) {
        if (value instanceof GenericContainer c) {
            return c.getSchema();
        }
        if (value == null) {
            return NULL;
        }
        if (value instanceof CharSequence) {
            return STRING;
        }
        if (value instanceof Long) {
            return LONG;
        }
        if (value instanceof Integer) {
            return INT;
        }
        if (value instanceof Boolean) {
            return BOOLEAN;
        }
        if (value instanceof Double) {
            return DOUBLE;
        }
        if (value instanceof Float) {
            return FLOAT;
        }
        if (value instanceof byte[] || value instanceof ByteBuffer) {
            return BYTES;
        }
        throw new SerializationException("cannot serialize a " + value.getClass().getName()
                + " as Avro: not a record, enum, fixed or primitive");
    }
}
