package io.peregrine.agent.publish;

import io.peregrine.schema.serde.WireFormat;
import java.util.Arrays;
import java.util.Objects;

/**
 * A record waiting for Kafka, as it is kept in memory and on disk: the value is the plain Avro
 * binary datum, not yet framed with a registry id (the registry may be as unreachable as Kafka),
 * with the fingerprint of the schema it was written with so that it is framed with the right one.
 *
 * <p>In memory the datum sits behind {@link WireFormat#HEADER_SIZE} bytes of room ({@code framed}):
 * the sender writes the wire-format header there and hands the array to the producer as it is,
 * without a copy per record. The spool stores the datum alone.
 *
 * @param framed {@link WireFormat#HEADER_SIZE} bytes of room, then the Avro binary datum
 * @param schemaFingerprint Avro parsing fingerprint (CRC-64-AVRO) of the value's writer schema
 */
record SpooledRecord(String topic, String key, byte[] framed, long schemaFingerprint, long timestamp) {

    SpooledRecord {
        if (framed.length < WireFormat.HEADER_SIZE) {
            throw new IllegalArgumentException("no room for the wire-format header: " + framed.length + " bytes");
        }
    }

    /** A record of the datum {@code value} (copied behind the header's room). */
    static SpooledRecord of(String topic, String key, byte[] value, long schemaFingerprint, long timestamp) {
        byte[] framed = new byte[WireFormat.HEADER_SIZE + value.length];
        System.arraycopy(value, 0, framed, WireFormat.HEADER_SIZE, value.length);
        return new SpooledRecord(topic, key, framed, schemaFingerprint, timestamp);
    }

    /** Length of the Avro datum. */
    int valueLength() {
        return framed.length - WireFormat.HEADER_SIZE;
    }

    /** A copy of the Avro datum. */
    byte[] value() {
        return Arrays.copyOfRange(framed, WireFormat.HEADER_SIZE, framed.length);
    }

    /**
     * The value in the Confluent wire format with schema {@code id}: the header written into this
     * record's room, so the array returned is this record's own (valid until it is framed again).
     */
    byte[] frame(int id) {
        framed[0] = WireFormat.MAGIC_BYTE;
        framed[1] = (byte) (id >>> 24);
        framed[2] = (byte) (id >>> 16);
        framed[3] = (byte) (id >>> 8);
        framed[4] = (byte) id;
        return framed;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpooledRecord r && topic.equals(r.topic) && Objects.equals(key, r.key)
                && Arrays.equals(framed, WireFormat.HEADER_SIZE, framed.length, r.framed, WireFormat.HEADER_SIZE,
                        r.framed.length)
                && schemaFingerprint == r.schemaFingerprint && timestamp == r.timestamp;
    }

    @Override
    public int hashCode() {
        int value = 1;
        for (int i = WireFormat.HEADER_SIZE; i < framed.length; i++) {
            value = 31 * value + framed[i];
        }
        return Objects.hash(topic, key, value, schemaFingerprint, timestamp);
    }

    @Override
    public String toString() {
        return "SpooledRecord[" + topic + ", key=" + key + ", " + valueLength() + " bytes, ts=" + timestamp + "]";
    }

    /** Bytes it takes in a spool segment, header included. */
    int encodedSize() {
        return DiskSpool.RECORD_HEADER + 2 + utf8Length(topic) + 4 + (key == null ? 0 : utf8Length(key)) + 4
                + valueLength() + 8 + 8;
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
