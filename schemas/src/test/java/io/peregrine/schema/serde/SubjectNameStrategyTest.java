package io.peregrine.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SubjectNameStrategyTest {

    private final Schema schema = SchemaBuilder.record("Thing").namespace("io.example").fields().endRecord();

    @Test
    void shouldNameSubjectsAsConfluentDoes() {
        assertThat(SubjectNameStrategy.TOPIC_NAME.subject("t", false, schema)).isEqualTo("t-value");
        assertThat(SubjectNameStrategy.TOPIC_NAME.subject("t", true, schema)).isEqualTo("t-key");
        assertThat(SubjectNameStrategy.RECORD_NAME.subject("t", false, schema)).isEqualTo("io.example.Thing");
        assertThat(SubjectNameStrategy.TOPIC_RECORD_NAME.subject("t", false, schema)).isEqualTo("t-io.example.Thing");
    }

    @Test
    void shouldAcceptConfluentClassNames() {
        assertThat(SubjectNameStrategy.parse("k", "io.confluent.kafka.serializers.subject.RecordNameStrategy"))
                .isEqualTo(SubjectNameStrategy.RECORD_NAME);
        assertThat(SubjectNameStrategy.parse("k", "topic_record_name")).isEqualTo(SubjectNameStrategy.TOPIC_RECORD_NAME);
        assertThat(SubjectNameStrategy.parse("k", null)).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
        assertThatThrownBy(() -> SubjectNameStrategy.parse("value.subject.name.strategy", "Nope"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("value.subject.name.strategy");
    }
}
