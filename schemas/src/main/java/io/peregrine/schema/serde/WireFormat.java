package io.peregrine.schema.serde;

/** The Confluent wire format, version 0: magic byte 0, 4-byte big-endian schema id, Avro binary. */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0x0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** {@code body} (an Avro binary datum) framed with schema {@code id}. */
    public static byte[] frame(int id, byte[] body) {
        byte[] out = new byte[HEADER_SIZE + body.length];
        out[0] = MAGIC_BYTE;
        out[1] = (byte) (id >>> 24);
        out[2] = (byte) (id >>> 16);
        out[3] = (byte) (id >>> 8);
        out[4] = (byte) id;
        System.arraycopy(body, 0, out, HEADER_SIZE, body.length);
        return out;
    }

    /** The schema id framed in {@code data}; the caller has checked the length and magic byte. */
    public static int schemaId(byte[] data) {
        return ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
    }
}
