package io.peregrine.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.junit.jupiter.api.Test;

/** The shipped DDL against the schemas it is generated from. */
class TopicTablesTest {

    private static final Path SHIPPED = Path.of("src/main/resources", TopicTables.RESOURCE);

    private static Topics topics() {
        Map<String, String> config = Map.of("schema.registry.url", "http://127.0.0.1:1");
        return Topics.create(SchemaRegistryClient.create(config), SerdeConfig.from(config));
    }

    /**
     * Fails when a schema (or the catalog) changed and the shipped file was not regenerated; run
     * {@code mvn -pl flink-jobs test -Dtest=TopicTablesTest -Dperegrine.regenerate=true} to write it.
     */
    @Test
    void shippedDdlShouldBeWhatTheCurrentSchemasGenerate() throws IOException {
        String generated = TopicTables.generate(topics());
        if (Boolean.getBoolean("peregrine.regenerate")) {
            Files.createDirectories(SHIPPED.getParent());
            Files.writeString(SHIPPED, generated, StandardCharsets.UTF_8);
        }
        assertThat(TopicTables.shipped())
                .as("%s is stale: regenerate it with -Dperegrine.regenerate=true", SHIPPED)
                .isEqualTo(generated);
    }

    @Test
    void everyTopicShouldHaveATableWhoseValueColumnsAreItsSchemasRowType() {
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inBatchMode());
        List<String> statements = TopicTables.statements("127.0.0.1:9092", "http://127.0.0.1:8081");
        statements.forEach(tEnv::executeSql);
        assertThat(statements).hasSize(topics().all().size());
        for (Topic<?, ?> topic : topics().all()) {
            ResolvedSchema table = tEnv.from(TopicTables.tableName(topic)).getResolvedSchema();
            RowType expected = (RowType) AvroSchemaConverter.convertToDataType(
                    SpecificData.get().getSchema(topic.valueType()).toString()).getLogicalType();
            List<Column> columns = table.getColumns();
            assertThat(columns.get(0).getName()).isEqualTo(TopicTables.KEY_COLUMN);
            List<String> names = columns.subList(1, columns.size()).stream().map(Column::getName).toList();
            List<LogicalType> types = columns.subList(1, columns.size()).stream()
                    .map(c -> c.getDataType().getLogicalType()).toList();
            assertThat(names).as(topic.name()).isEqualTo(expected.getFieldNames());
            assertThat(types).as(topic.name()).isEqualTo(expected.getChildren());
        }
    }

    @Test
    void shouldGiveEveryRecordWithATimeAWatermarkOnIt() {
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inBatchMode());
        TopicTables.statements("k:9092", "http://r:8081").forEach(tEnv::executeSql);
        Map<String, String> expected = Map.ofEntries(
                Map.entry("raw_node_metrics", "timestamp"), Map.entry("raw_app_metrics", "timestamp"),
                Map.entry("raw_listens", "timestamp"), Map.entry("raw_connections", "timestamp"),
                Map.entry("raw_l7", "timestamp"), Map.entry("raw_lifecycle", "timestamp"),
                Map.entry("service_map", "window_start"), Map.entry("topology", "last_seen"),
                Map.entry("sli", "window_start"), Map.entry("app_usage", "window_start"),
                Map.entry("anomalies", "window_start"), Map.entry("alerts", "updated_at"),
                Map.entry("incidents", "updated_at"), Map.entry("silences", "created_at"),
                Map.entry("dlq", "failed_at"));
        for (Topic<?, ?> topic : topics().all()) {
            String table = TopicTables.tableName(topic);
            ResolvedSchema schema = tEnv.from(table).getResolvedSchema();
            assertThat(schema.getWatermarkSpecs()).as(table).singleElement()
                    .satisfies(w -> assertThat(w.getRowtimeAttribute()).isEqualTo(expected.get(table)));
        }
    }

    @Test
    void shouldKeepOpaqueKeysAsBytesAndEveryOtherKeyAsAString() {
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inBatchMode());
        TopicTables.statements("k:9092", "http://r:8081").forEach(tEnv::executeSql);
        assertThat(tEnv.from("dlq").getResolvedSchema().getColumn(0).orElseThrow().getDataType().toString())
                .isEqualTo("BYTES");
        assertThat(tEnv.from("sli").getResolvedSchema().getColumn(0).orElseThrow().getDataType().toString())
                .isEqualTo("STRING");
    }

    @Test
    void shouldEscapeAddressesThatHoldQuotes() {
        List<String> statements = TopicTables.statements("a'b:9092", "http://r:8081");
        assertThat(statements.get(0)).contains("'a''b:9092'").doesNotContain(TopicTables.BOOTSTRAP_SERVERS);
    }
}
