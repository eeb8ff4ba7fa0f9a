package io.peregrine.schema.serde;

/** The Confluent wire format, version 0: magic byte 0, 4-byte big-endian schema id, Avro binary. */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0x0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** The schema id framed in {@code data}; the caller has checked the length and magic byte. */
    public static int schemaId(byte[] data) {
        return ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
    }
}
