package io.peregrine.schema.serde;

import java.util.Locale;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;

/** How a topic and a schema map to a registry subject; the same three rules as Confluent's. */
public enum SubjectNameStrategy {
    /** {@code <topic>-key} / {@code <topic>-value}: one schema lineage per topic (the default). */
    TOPIC_NAME,
    /** The record's full name: one lineage per record type, across topics. */
    RECORD_NAME,
    /** {@code <topic>-<record full name>}: several record types on one topic. */
    TOPIC_RECORD_NAME;

    public String subject(String topic, boolean isKey, Schema schema) {
        return switch (this) {
            case TOPIC_NAME -> topic + (isKey ? "-key" : "-value");
            case RECORD_NAME -> schema.getFullName();
            case TOPIC_RECORD_NAME -> topic + "-" + schema.getFullName();
        };
    }

    /**
     * Accepts our names and Confluent's class names
     * ({@code io.confluent.kafka.serializers.subject.TopicNameStrategy}), so existing configs work.
     */
    public static SubjectNameStrategy parse(String key, Object value) {
        if (value == null) {
            return TOPIC_NAME;
        }
        String s = value instanceof Class<?> c ? c.getName() : value.toString().trim();
        String simple = s.substring(s.lastIndexOf('.') + 1);
        switch (simple) {
            case "TopicNameStrategy": return TOPIC_NAME;
            case "RecordNameStrategy": return RECORD_NAME;
            case "TopicRecordNameStrategy": return TOPIC_RECORD_NAME;
            default:
                try {
                    return valueOf(s.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(key, value,
                            "must be TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy");
                }
        }
    }
}
