package io.peregrine.streams.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Compact binary encoding for Peregrine's internal topics and stores (repartition records,
 * in-flight window state): zig-zag varints and length-prefixed UTF-8, as Avro encodes them, but
 * without a schema lookup per record. Every encoded value starts with a format version byte chosen
 * by its codec, so a changed layout is detected instead of misread.
 */
public final class Bytes {

    private Bytes() {
    }

    /** Growable output buffer. Not thread-safe; reuse one per thread or per call. */
    public static final class Writer {
        private byte[] buf;
        private int pos;

        public Writer() {
            this(128);
        }

        public Writer(int capacity) {
            buf = new byte[capacity];
        }

        public Writer reset() {
            pos = 0;
            return this;
        }

        private void ensure(int more) {
            if (pos + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
            }
        }

        public Writer writeByte(int b) {
            ensure(1);
            buf[pos++] = (byte) b;
            return this;
        }

        public Writer writeBoolean(boolean b) {
            return writeByte(b ? 1 : 0);
        }

        /** Zig-zag varint, 1 to 10 bytes. */
        public Writer writeLong(long v) {
            ensure(10);
            long n = (v << 1) ^ (v >> 63);
            while ((n & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((n & 0x7F) | 0x80);
                n >>>= 7;
            }
            buf[pos++] = (byte) n;
            return this;
        }

        public Writer writeInt(int v) {
            return writeLong(v);
        }

        public Writer writeDouble(double v) {
            long bits = Double.doubleToRawLongBits(v);
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[pos++] = (byte) (bits >>> (8 * i));
            }
            return this;
        }

        /** Big-endian fixed 8 bytes: sorts like the (non-negative) number in byte order. */
        public Writer writeFixedLong(long v) {
            ensure(8);
            for (int i = 7; i >= 0; i--) {
                buf[pos++] = (byte) (v >>> (8 * i));
            }
            return this;
        }

        /** Length-prefixed UTF-8; null is written as length -1. */
        public Writer writeString(String s) {
            if (s == null) {
                return writeInt(-1);
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            writeInt(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        public Writer writeRaw(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        public int size() {
            return pos;
        }

        public byte[] toByteArray() {
            return Arrays.copyOf(buf, pos);
        }
    }

    /** Reader over a byte array; a malformed input raises {@link CorruptDataException}. */
    public static final class Reader {
        private final byte[] buf;
        private int pos;

        public Reader(byte[] buf) {
            this(buf, 0);
        }

        public Reader(byte[] buf, int offset) {
            this.buf = buf;
            this.pos = offset;
        }

        public int readByte() {
            if (pos >= buf.length) {
                throw new CorruptDataException("unexpected end of data at byte " + pos);
            }
            return buf[pos++] & 0xff;
        }

        public boolean readBoolean() {
            return readByte() != 0;
        }

        public long readLong() {
            long n = 0;
            int shift = 0;
            while (true) {
                int b = readByte();
                n |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
                shift += 7;
                if (shift > 63) {
                    throw new CorruptDataException("varint longer than 10 bytes at byte " + pos);
                }
            }
            return (n >>> 1) ^ -(n & 1);
        }

        public int readInt() {
            long v = readLong();
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new CorruptDataException("int out of range: " + v);
            }
            return (int) v;
        }

        public double readDouble() {
            long bits = 0;
            for (int i = 0; i < 8; i++) {
                bits |= (long) readByte() << (8 * i);
            }
            return Double.longBitsToDouble(bits);
        }

        public long readFixedLong() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | readByte();
            }
            return v;
        }

        public String readString() {
            int len = readInt();
            if (len == -1) {
                return null;
            }
            if (len < 0 || len > buf.length - pos) {
                throw new CorruptDataException("string length " + len + " exceeds the " + (buf.length - pos)
                        + " bytes left");
            }
            String s = new String(buf, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        /** A collection size, checked against what is left so corrupt input cannot allocate wildly. */
        public int readSize() {
            int n = readInt();
            if (n < 0 || n > buf.length - pos) {
                throw new CorruptDataException("collection size " + n + " impossible with " + (buf.length - pos)
                        + " bytes left");
            }
            return n;
        }

        public boolean atEnd() {
            return pos == buf.length;
        }

        public int position() {
            return pos;
        }
    }

    /** Internal data that does not decode: a bug or a format change without a version bump. */
    public static final class CorruptDataException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CorruptDataException(String message) {
            super(message);
        }
    }
}
