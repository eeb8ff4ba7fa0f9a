package io.peregrine.streams.internal;

import org.apache.avro.Schema;

/**
 * Reads Avro binary data in place from a byte array: primitives, the position and length of
 * strings (so callers can look them up without building a {@code String}), and skipping any value
 * of a given writer schema. It accepts exactly what Avro 1.12's {@code BinaryDecoder} accepts for
 * these operations (varints of at most 5 / 10 bytes with the same bit dropping, booleans true only
 * for byte 1, lengths that are not negative and fit the remaining bytes, block-encoded arrays and
 * maps with negative counts followed by a byte size), so that a record skipped or read here is one
 * the full decoder would read too. Anything else throws {@link CorruptException}.
 *
 * <p>Not thread-safe; meant to be reused for every record of one task.
 */
public final class AvroCursor {

    private byte[] buf;
    private int pos;
    private int limit;

    /** Bytes that are not a valid Avro encoding at the cursor's position. */
    public static final class CorruptException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CorruptException(String message) {
            super(message, null, false, false);
        }
    }

    /** Positions the cursor on {@code len} bytes of {@code data} from {@code offset}. */
    public AvroCursor reset(byte[] data, int offset, int len) {
        if (offset < 0 || len < 0 || offset + len > data.length) {
            throw new IllegalArgumentException("range " + offset + "+" + len + " outside " + data.length + " bytes");
        }
        this.buf = data;
        this.pos = offset;
        this.limit = offset + len;
        return this;
    }

    public byte[] buffer() {
        return buf;
    }

    public int position() {
        return pos;
    }

    /** Bytes left to read. */
    public int remaining() {
        return limit - pos;
    }

    private int next() {
        if (pos >= limit) {
            throw new CorruptException("data ends inside a value (at byte " + pos + ")");
        }
        return buf[pos++] & 0xff;
    }

    /** A zig-zag varint int: at most 5 bytes; bits beyond 32 in the fifth byte are dropped, as Avro does. */
    public int readInt() {
        int n = 0;
        for (int shift = 0; ; shift += 7) {
            int b = next();
            n ^= (b & 0x7f) << shift;
            if (b <= 0x7f) {
                break;
            }
            if (shift == 28) {
                throw new CorruptException("invalid int encoding (more than 5 bytes)");
            }
        }
        return (n >>> 1) ^ -(n & 1);
    }

    /** A zig-zag varint long: at most 10 bytes. */
    public long readLong() {
        long n = 0;
        for (int shift = 0; ; shift += 7) {
            int b = next();
            n ^= (b & 0x7fL) << shift;
            if (b <= 0x7f) {
                break;
            }
            if (shift == 63) {
                throw new CorruptException("invalid long encoding (more than 10 bytes)");
            }
        }
        return (n >>> 1) ^ -(n & 1);
    }

    /** A boolean byte: Avro reads 1 as true and any other value as false. */
    public boolean readBoolean() {
        return next() == 1;
    }

    /** A union branch index, checked against the number of branches. */
    public int readIndex(int branches) {
        int i = readInt();
        if (i < 0 || i >= branches) {
            throw new CorruptException("union branch " + i + " of a union of " + branches);
        }
        return i;
    }

    /**
     * The length of a string or bytes value, leaving the cursor on its first byte: the caller reads
     * {@link #buffer()} from {@link #position()} and then {@link #skip(int) skips} the length.
     */
    public int readLength() {
        long len = readLong();
        if (len < 0) {
            throw new CorruptException("negative length " + len);
        }
        if (len > limit - pos) {
            throw new CorruptException("length " + len + " beyond the " + (limit - pos) + " bytes left");
        }
        return (int) len;
    }

    /** Moves past {@code n} bytes. */
    public void skip(int n) {
        if (n < 0 || n > limit - pos) {
            throw new CorruptException("cannot skip " + n + " bytes, " + (limit - pos) + " left");
        }
        pos += n;
    }

    /** Moves past one value written with {@code schema}. */
    public void skip(Schema schema) {
        switch (schema.getType()) {
            case NULL -> { }
            case BOOLEAN -> next();
            case INT, ENUM -> readInt();
            case LONG -> readLong();
            case FLOAT -> skip(4);
            case DOUBLE -> skip(8);
            case STRING, BYTES -> skip(readLength());
            case FIXED -> skip(schema.getFixedSize());
            case RECORD -> {
                for (Schema.Field f : schema.getFields()) {
                    skip(f.schema());
                }
            }
            case UNION -> skip(schema.getTypes().get(readIndex(schema.getTypes().size())));
            case ARRAY -> skipBlocks(schema.getElementType(), null);
            case MAP -> skipBlocks(schema.getValueType(), schema);
            default -> throw new IllegalArgumentException("unsupported schema type " + schema.getType());
        }
    }

    /** Array or map blocks: a count, negative when followed by the block's size in bytes; 0 ends. */
    private void skipBlocks(Schema items, Schema map) {
        for (long count = readLong(); count != 0; count = readLong()) {
            if (count < 0) {
                long size = readLong();
                if (size < 0 || size > limit - pos) {
                    throw new CorruptException("block size " + size + " with " + (limit - pos) + " bytes left");
                }
                pos += (int) size;
                continue;
            }
            for (long i = 0; i < count; i++) {
                if (map != null) {
                    skip(readLength());
                }
                skip(items);
            }
        }
    }
}
