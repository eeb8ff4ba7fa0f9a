package io.peregrine.agent.l7.http2;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** HTTP/2 frames and HPACK representations built by hand, for tests and benchmarks. */
public final class Http2Frames {

    public static final int DATA = 0;
    public static final int HEADERS = 1;
    public static final int RST_STREAM = 3;
    public static final int SETTINGS = 4;
    public static final int GOAWAY = 7;
    public static final int CONTINUATION = 9;
    public static final int END_STREAM = 0x1;
    public static final int END_HEADERS = 0x4;

    private Http2Frames() {
    }

    public static byte[] preface() {
        return Http2Decoder.PREFACE.clone();
    }

    public static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >> 16);
        f[1] = (byte) (payload.length >> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (stream >>> 24);
        f[6] = (byte) (stream >>> 16);
        f[7] = (byte) (stream >>> 8);
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    public static byte[] block(byte[]... fields) {
        return concat(fields);
    }

    public static byte[] indexed(int index) {
        return integer(0x80, 7, index);
    }

    /** Literal with incremental indexing, name from the table. */
    public static byte[] literalIndexing(int nameIndex, String value) {
        return concat(integer(0x40, 6, nameIndex), string(value));
    }

    /** Literal with incremental indexing, new name. */
    public static byte[] literalIndexingNew(String name, String value) {
        return concat(new byte[] {0x40}, string(name), string(value));
    }

    /** Literal without indexing, new name. */
    public static byte[] literalNew(String name, String value) {
        return concat(new byte[] {0}, string(name), string(value));
    }

    private static byte[] string(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return concat(integer(0, 7, b.length), b);
    }

    private static byte[] integer(int high, int bits, int value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int max = (1 << bits) - 1;
        if (value < max) {
            out.write(high | value);
        } else {
            out.write(high | max);
            value -= max;
            while (value >= 128) {
                out.write((value & 0x7f) | 0x80);
                value >>= 7;
            }
            out.write(value);
        }
        return out.toByteArray();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
