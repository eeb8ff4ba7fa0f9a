package io.peregrine.flink.sql;

import static io.peregrine.flink.sql.AvroConfluentOptions.BASIC_AUTH_CREDENTIALS_SOURCE;
import static io.peregrine.flink.sql.AvroConfluentOptions.BASIC_AUTH_USER_INFO;
import static io.peregrine.flink.sql.AvroConfluentOptions.BEARER_AUTH_CREDENTIALS_SOURCE;
import static io.peregrine.flink.sql.AvroConfluentOptions.BEARER_AUTH_TOKEN;
import static io.peregrine.flink.sql.AvroConfluentOptions.IGNORE_PARSE_ERRORS;
import static io.peregrine.flink.sql.AvroConfluentOptions.PROPERTIES;
import static io.peregrine.flink.sql.AvroConfluentOptions.SCHEMA;
import static io.peregrine.flink.sql.AvroConfluentOptions.SSL_KEYSTORE_LOCATION;
import static io.peregrine.flink.sql.AvroConfluentOptions.SSL_KEYSTORE_PASSWORD;
import static io.peregrine.flink.sql.AvroConfluentOptions.SSL_TRUSTSTORE_LOCATION;
import static io.peregrine.flink.sql.AvroConfluentOptions.SSL_TRUSTSTORE_PASSWORD;
import static io.peregrine.flink.sql.AvroConfluentOptions.SUBJECT;
import static io.peregrine.flink.sql.AvroConfluentOptions.URL;

import io.peregrine.schema.registry.RegistryClientConfig;
import io.peregrine.schema.serde.SerdeConfig;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.formats.avro.AvroRowDataDeserializationSchema;
import org.apache.flink.formats.avro.AvroRowDataSerializationSchema;
import org.apache.flink.formats.avro.AvroToRowDataConverters;
import org.apache.flink.formats.avro.RegistryAvroDeserializationSchema;
import org.apache.flink.formats.avro.RegistryAvroSerializationSchema;
import org.apache.flink.formats.avro.RowDataToAvroConverters;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.format.EncodingFormat;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.SerializationFormatFactory;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

/**
 * The {@code avro-confluent} table format on Peregrine's registry client, a drop-in for Flink's
 * own (whose Confluent client is not on Maven Central). Same identifier and options
 * ({@link AvroConfluentOptions}), same behaviour: values are Confluent-framed Avro; the reader and
 * writer schema is the {@code schema} option or else derived from the table's row type; a given
 * schema must convert to exactly that row type; a sink needs a subject (the Kafka connector
 * supplies {@code <topic>-value}) and registers its schema there. Built from flink-avro's public
 * pieces: {@link RegistryAvroDeserializationSchema} / {@link RegistryAvroSerializationSchema} over
 * our {@link RegistrySchemaCoder}, wrapped by {@link AvroRowDataDeserializationSchema} /
 * {@link AvroRowDataSerializationSchema}.
 *
 * <p>Differences, all additions: {@code ignore-parse-errors}; enum fields can be written from
 * {@code STRING} columns when the schema is given ({@link EnumSymbols}); the registry client retries
 * and fails over across comma-separated URLs. Never ship this beside Flink's
 * {@code flink-avro-confluent-registry} jar: two factories with one identifier make every table
 * using it fail.
 */
public final class AvroConfluentFormatFactory implements DeserializationFormatFactory, SerializationFormatFactory {

    public static final String IDENTIFIER = "avro-confluent";

    /** Flink's own table format keys mapped to the registry client's (Confluent's) names. */
    private static final Map<ConfigOption<String>, String> CLIENT_KEYS = Map.of(
            SSL_KEYSTORE_LOCATION, RegistryClientConfig.SSL_KEYSTORE_LOCATION,
            SSL_KEYSTORE_PASSWORD, RegistryClientConfig.SSL_KEYSTORE_PASSWORD,
            SSL_TRUSTSTORE_LOCATION, RegistryClientConfig.SSL_TRUSTSTORE_LOCATION,
            SSL_TRUSTSTORE_PASSWORD, RegistryClientConfig.SSL_TRUSTSTORE_PASSWORD,
            BASIC_AUTH_CREDENTIALS_SOURCE, RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
            BASIC_AUTH_USER_INFO, RegistryClientConfig.BASIC_AUTH_USER_INFO);

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(URL);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        Set<ConfigOption<?>> options = new LinkedHashSet<>(List.of(SUBJECT, SCHEMA, PROPERTIES, IGNORE_PARSE_ERRORS,
                BEARER_AUTH_CREDENTIALS_SOURCE, BEARER_AUTH_TOKEN));
        options.addAll(CLIENT_KEYS.keySet());
        return options;
    }

    @Override
    public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(DynamicTableFactory.Context context,
                                                                               ReadableConfig formatOptions) {
        FactoryUtil.validateFactoryOptions(this, formatOptions);
        Map<String, String> registry = registryConfig(formatOptions);
        Optional<String> schema = formatOptions.getOptional(SCHEMA);
        boolean ignoreParseErrors = formatOptions.get(IGNORE_PARSE_ERRORS);
        return new DecodingFormat<>() {
            @Override
            public DeserializationSchema<RowData> createRuntimeDecoder(DynamicTableSource.Context ctx,
                                                                       DataType physicalDataType) {
                RowType rowType = (RowType) physicalDataType.getLogicalType();
                Schema reader = schema.map(s -> checkedSchema(s, rowType)).orElseGet(() -> derivedSchema(rowType));
                return decoder(rowType, reader, ctx.createTypeInformation(physicalDataType), registry,
                        ignoreParseErrors);
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }

    @Override
    public EncodingFormat<SerializationSchema<RowData>> createEncodingFormat(DynamicTableFactory.Context context,
                                                                             ReadableConfig formatOptions) {
        FactoryUtil.validateFactoryOptions(this, formatOptions);
        Map<String, String> registry = registryConfig(formatOptions);
        String subject = formatOptions.getOptional(SUBJECT).orElseThrow(() -> new ValidationException(
                "Option " + IDENTIFIER + "." + SUBJECT.key() + " is required for serialization"));
        Optional<String> schema = formatOptions.getOptional(SCHEMA);
        boolean autoRegister = SerdeConfig.from(registry).autoRegister();
        return new EncodingFormat<>() {
            @Override
            public SerializationSchema<RowData> createRuntimeEncoder(DynamicTableSink.Context ctx,
                                                                     DataType physicalDataType) {
                RowType rowType = (RowType) physicalDataType.getLogicalType();
                Schema writer = schema.map(s -> checkedSchema(s, rowType)).orElseGet(() -> derivedSchema(rowType));
                return new AvroRowDataSerializationSchema(rowType,
                        RegistryAvroSerializationSchema.forGeneric(writer,
                                new RegistrySchemaCoder.Provider(subject, registry, autoRegister)),
                        new EnumSymbols(RowDataToAvroConverters.createConverter(rowType, true)));
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }

    /** The runtime decoder of rows of {@code rowType} from values written in any schema {@code reader} can read. */
    static DeserializationSchema<RowData> decoder(RowType rowType, Schema reader, TypeInformation<RowData> typeInfo,
                                                  Map<String, String> registry, boolean ignoreParseErrors) {
        RegistryAvroDeserializationSchema<GenericRecord> avro = new RegistryAvroDeserializationSchema<>(
                GenericRecord.class, reader, new RegistrySchemaCoder.Provider(null, registry, true));
        return new RegistryRowDataDeserializationSchema(new AvroRowDataDeserializationSchema(avro,
                AvroToRowDataConverters.createRowConverter(rowType, true), typeInfo), ignoreParseErrors);
    }

    /**
     * The registry client's settings: {@code properties.*} first, then the format's own options
     * over them, as Flink's format does. Validated here, so a bad URL or credential fails the
     * statement, not a task.
     */
    static Map<String, String> registryConfig(ReadableConfig formatOptions) {
        Map<String, String> config = new HashMap<>(formatOptions.getOptional(PROPERTIES).orElse(Map.of()));
        config.put(RegistryClientConfig.URL, formatOptions.get(URL));
        CLIENT_KEYS.forEach((option, key) -> formatOptions.getOptional(option).ifPresent(v -> config.put(key, v)));
        for (ConfigOption<String> bearer : List.of(BEARER_AUTH_CREDENTIALS_SOURCE, BEARER_AUTH_TOKEN)) {
            if (formatOptions.getOptional(bearer).isPresent()) {
                throw new ValidationException("Option " + IDENTIFIER + "." + bearer.key() + " is not supported: "
                        + "Peregrine's registry client authenticates with basic-auth (basic-auth.user-info) or TLS");
            }
        }
        try {
            RegistryClientConfig.from(config);
            SerdeConfig.from(config);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            throw new ValidationException("Invalid " + IDENTIFIER + " registry settings: " + e.getMessage(), e);
        }
        return Map.copyOf(config);
    }

    /** The schema the table's row type maps to, as Flink's format derives it. */
    static Schema derivedSchema(RowType rowType) {
        return AvroSchemaConverter.convertToSchema(rowType, true);
    }

    /** A given schema, which must convert to exactly the table's row type (top-level nullability aside). */
    static Schema checkedSchema(String text, RowType rowType) {
        Schema schema;
        try {
            schema = new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new ValidationException("Option " + IDENTIFIER + "." + SCHEMA.key() + " is not a valid Avro schema: "
                    + e.getMessage(), e);
        }
        LogicalType converted = AvroSchemaConverter.convertToDataType(text, true).getLogicalType()
                .copy(rowType.isNullable());
        if (!converted.equals(rowType)) {
            throw new ValidationException("Schema provided for '" + IDENTIFIER + "' format does not match the table "
                    + "schema: the schema's row type is " + converted.asSummaryString() + " but the table's is "
                    + rowType.asSummaryString());
        }
        return schema;
    }
}
