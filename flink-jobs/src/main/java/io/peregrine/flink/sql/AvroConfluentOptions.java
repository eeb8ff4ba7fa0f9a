package io.peregrine.flink.sql;

import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Options of the {@code avro-confluent} table format, under the same keys as Flink's own
 * ({@code org.apache.flink.formats.avro.registry.confluent.AvroConfluentFormatOptions}, 2.2.0), so a
 * DDL written for Flink's format runs unchanged on ours. In a table they carry the format prefix:
 * {@code 'value.avro-confluent.url' = 'http://registry:8081'}.
 *
 * <p>{@code url}, {@code subject} and {@code schema} keep their old {@code schema-registry.*}
 * names as fallback keys: the Kafka connector fills in {@code schema-registry.subject}
 * ({@code <topic>-value} / {@code <topic>-key}) for single-topic tables, and option validation
 * would reject that key if it were not declared.
 */
public final class AvroConfluentOptions {

    public static final ConfigOption<String> URL = ConfigOptions.key("url")
            .stringType()
            .noDefaultValue()
            .withFallbackKeys("schema-registry.url")
            .withDescription("URL(s) of the Confluent-compatible Schema Registry, comma-separated for failover.");

    public static final ConfigOption<String> SUBJECT = ConfigOptions.key("subject")
            .stringType()
            .noDefaultValue()
            .withFallbackKeys("schema-registry.subject")
            .withDescription("Subject the sink registers its schema under; required for a sink (the Kafka "
                    + "connector sets <topic>-value for single-topic tables).");

    public static final ConfigOption<String> SCHEMA = ConfigOptions.key("schema")
            .stringType()
            .noDefaultValue()
            .withFallbackKeys("schema-registry.schema")
            .withDescription("Avro schema (JSON) to read as and to write with; it must convert to exactly the "
                    + "table's row type. Default: derived from the table. Needed for enums and record names.");

    public static final ConfigOption<String> SSL_KEYSTORE_LOCATION = ConfigOptions.key("ssl.keystore.location")
            .stringType().noDefaultValue().withDescription("Key store for TLS client authentication to the registry.");

    public static final ConfigOption<String> SSL_KEYSTORE_PASSWORD = ConfigOptions.key("ssl.keystore.password")
            .stringType().noDefaultValue().withDescription("Password of the key store.");

    public static final ConfigOption<String> SSL_TRUSTSTORE_LOCATION = ConfigOptions.key("ssl.truststore.location")
            .stringType().noDefaultValue().withDescription("Trust store for the registry's certificate.");

    public static final ConfigOption<String> SSL_TRUSTSTORE_PASSWORD = ConfigOptions.key("ssl.truststore.password")
            .stringType().noDefaultValue().withDescription("Password of the trust store.");

    public static final ConfigOption<String> BASIC_AUTH_CREDENTIALS_SOURCE =
            ConfigOptions.key("basic-auth.credentials-source")
                    .stringType().noDefaultValue()
                    .withDescription("Where basic-auth credentials come from: USER_INFO or URL.");

    public static final ConfigOption<String> BASIC_AUTH_USER_INFO = ConfigOptions.key("basic-auth.user-info")
            .stringType().noDefaultValue().withDescription("'user:password' for basic authentication.");

    public static final ConfigOption<String> BEARER_AUTH_CREDENTIALS_SOURCE =
            ConfigOptions.key("bearer-auth.credentials-source")
                    .stringType().noDefaultValue()
                    .withDescription("Accepted for compatibility; Peregrine's registry client has no bearer "
                            + "authentication, so setting it is an error.");

    public static final ConfigOption<String> BEARER_AUTH_TOKEN = ConfigOptions.key("bearer-auth.token")
            .stringType().noDefaultValue()
            .withDescription("Accepted for compatibility; setting it is an error (no bearer authentication).");

    public static final ConfigOption<Map<String, String>> PROPERTIES = ConfigOptions.key("properties")
            .mapType()
            .noDefaultValue()
            .withDescription("Registry client settings under Confluent's names ('properties.max.retries', "
                    + "'properties.auto.register.schemas', ...); the options above win over them.");

    public static final ConfigOption<Boolean> IGNORE_PARSE_ERRORS = ConfigOptions.key("ignore-parse-errors")
            .booleanType()
            .defaultValue(false)
            .withDescription("Skip records whose bytes are not Confluent-framed Avro of a known schema instead of "
                    + "failing the query (Peregrine's addition; Flink's format always fails).");

    private AvroConfluentOptions() {
    }
}
