package io.peregrine.schema.serde;

import static io.peregrine.schema.internal.Configs.bool;

import java.util.Map;

/** Serde settings, under Confluent's names ({@code AbstractKafkaSchemaSerDeConfig}). */
public record SerdeConfig(boolean autoRegister, boolean useLatestVersion, boolean specificReader,
                          SubjectNameStrategy keyStrategy, SubjectNameStrategy valueStrategy) {

    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";

    public static SerdeConfig from(Map<String, ?> configs) {
        return new SerdeConfig(
                bool(configs, AUTO_REGISTER_SCHEMAS, true),
                bool(configs, USE_LATEST_VERSION, false),
                bool(configs, SPECIFIC_AVRO_READER, false),
                SubjectNameStrategy.parse(KEY_SUBJECT_NAME_STRATEGY, configs.get(KEY_SUBJECT_NAME_STRATEGY)),
                SubjectNameStrategy.parse(VALUE_SUBJECT_NAME_STRATEGY, configs.get(VALUE_SUBJECT_NAME_STRATEGY)));
    }

    public SubjectNameStrategy strategy(boolean isKey) {
        return isKey ? keyStrategy : valueStrategy;
    }
}
