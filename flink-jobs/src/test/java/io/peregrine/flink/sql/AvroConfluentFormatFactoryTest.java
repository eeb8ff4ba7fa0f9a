package io.peregrine.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertStatus;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.logical.RowType;
import org.junit.jupiter.api.Test;

/** Option handling and schema checks of the format, without a cluster. */
class AvroConfluentFormatFactoryTest {

    @Test
    void shouldMapFlinksOptionsOntoTheRegistryClientsNames() {
        Map<String, String> config = AvroConfluentFormatFactory.registryConfig(Configuration.fromMap(Map.of(
                "schema-registry.url", "http://r:8081",
                "basic-auth.credentials-source", "USER_INFO",
                "basic-auth.user-info", "u:p",
                "ssl.truststore.location", "/etc/trust.jks",
                "properties.max.retries", "1",
                "properties.basic.auth.user.info", "overridden:by-the-option")));
        assertThat(config).containsEntry("schema.registry.url", "http://r:8081")
                .containsEntry("basic.auth.credentials.source", "USER_INFO")
                .containsEntry("basic.auth.user.info", "u:p")
                .containsEntry("schema.registry.ssl.truststore.location", "/etc/trust.jks")
                .containsEntry("max.retries", "1");
    }

    @Test
    void shouldRejectBadRegistrySettingsAndBearerAuthAtValidation() {
        assertThatThrownBy(() -> AvroConfluentFormatFactory.registryConfig(Configuration.fromMap(Map.of(
                "url", "ftp://r"))))
                .isInstanceOf(ValidationException.class).hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> AvroConfluentFormatFactory.registryConfig(Configuration.fromMap(Map.of(
                "url", "http://r:8081", "basic-auth.credentials-source", "USER_INFO"))))
                .isInstanceOf(ValidationException.class).hasMessageContaining("basic.auth.user.info");
        assertThatThrownBy(() -> AvroConfluentFormatFactory.registryConfig(Configuration.fromMap(Map.of(
                "url", "http://r:8081", "bearer-auth.token", "t"))))
                .isInstanceOf(ValidationException.class).hasMessageContaining("bearer-auth.token");
    }

    @Test
    void shouldRejectASchemaThatDoesNotMatchTheTable() {
        Schema alert = Alert.getClassSchema();
        RowType rowType = (RowType) AvroSchemaConverter.convertToDataType(alert.toString()).getLogicalType();
        assertThat(AvroConfluentFormatFactory.checkedSchema(alert.toString(), rowType)).isEqualTo(alert);
        RowType fewer = new RowType(rowType.getFields().subList(0, 3));
        assertThatThrownBy(() -> AvroConfluentFormatFactory.checkedSchema(alert.toString(), fewer))
                .isInstanceOf(ValidationException.class).hasMessageContaining("does not match the table schema");
        assertThatThrownBy(() -> AvroConfluentFormatFactory.checkedSchema("{not json", rowType))
                .isInstanceOf(ValidationException.class).hasMessageContaining("not a valid Avro schema");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldTurnStringsBackIntoEnumSymbolsWhereTheSchemaHasEnums() {
        Schema status = AlertStatus.getClassSchema();
        Schema record = SchemaBuilder.record("R").fields()
                .name("s").type(status).noDefault()
                .name("maybe").type().unionOf().nullType().and().type(status).endUnion().nullDefault()
                .name("list").type().array().items(status).noDefault()
                .name("map").type().map().values(status).noDefault()
                .endRecord();
        GenericRecord r = new GenericData.Record(record);
        r.put("s", new Utf8("FIRING"));
        r.put("maybe", null);
        r.put("list", List.of(new Utf8("RESOLVED")));
        r.put("map", Map.of(new Utf8("k"), new Utf8("FIRING")));
        GenericRecord out = (GenericRecord) EnumSymbols.conform(record, r);
        assertThat(out.get("s")).isEqualTo(new GenericData.EnumSymbol(status, "FIRING"));
        assertThat(out.get("maybe")).isNull();
        assertThat((List<Object>) out.get("list")).containsExactly(new GenericData.EnumSymbol(status, "RESOLVED"));
        assertThat(((Map<Object, Object>) out.get("map")).values()).containsExactly(new GenericData.EnumSymbol(status, "FIRING"));
        r.put("s", new Utf8("ON_FIRE"));
        assertThatThrownBy(() -> EnumSymbols.conform(record, r)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ON_FIRE").hasMessageContaining(status.getFullName());
    }

    @Test
    void shouldRequireASubjectToWriteAndAUrlAlways() {
        AvroConfluentFormatFactory factory = new AvroConfluentFormatFactory();
        assertThatThrownBy(() -> factory.createEncodingFormat(null, Configuration.fromMap(Map.of(
                "url", "http://127.0.0.1:1"))))
                .isInstanceOf(ValidationException.class)
                .hasMessage("Option avro-confluent.subject is required for serialization");
        // The key the Kafka connector sets for single-topic tables.
        assertThat(factory.createEncodingFormat(null, Configuration.fromMap(Map.of(
                "url", "http://127.0.0.1:1", "schema-registry.subject", "t-value")))).isNotNull();
        assertThatThrownBy(() -> factory.createDecodingFormat(null, Configuration.fromMap(Map.of())))
                .isInstanceOf(ValidationException.class).hasMessageContaining("url");
        assertThat(factory.factoryIdentifier()).isEqualTo("avro-confluent");
    }
}
