package io.peregrine.agent.publish;

/**
 * A record waiting for Kafka, as it is kept in memory and on disk: the value is the plain Avro
 * binary datum, not yet framed with a registry id (the registry may be as unreachable as Kafka),
 * with the fingerprint of the schema it was written with so that it is framed with the right one.
 *
 * @param schemaFingerprint Avro parsing fingerprint (CRC-64-AVRO) of the value's writer schema
 */
record SpooledRecord(String topic, String key, byte[] value, long schemaFingerprint, long timestamp) {

    @Override
    public boolean equals(Object o) {
        return o instanceof SpooledRecord r && topic.equals(r.topic) && java.util.Objects.equals(key, r.key)
                && java.util.Arrays.equals(value, r.value) && schemaFingerprint == r.schemaFingerprint
                && timestamp == r.timestamp;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(topic, key, java.util.Arrays.hashCode(value), schemaFingerprint, timestamp);
    }

    @Override
    public String toString() {
        return "SpooledRecord[" + topic + ", key=" + key + ", " + value.length + " bytes, ts=" + timestamp + "]";
    }

    /** Bytes it takes in a spool segment, header included. */
    int encodedSize() {
        return DiskSpool.RECORD_HEADER + 2 + utf8Length(topic) + 4 + (key == null ? 0 : utf8Length(key)) + 4
                + value.length + 8 + 8;
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
