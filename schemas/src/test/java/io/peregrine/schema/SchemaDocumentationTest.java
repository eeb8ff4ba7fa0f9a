package io.peregrine.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The schemas are the public contract of every topic, read by people through the registry and
 * Flink SQL: every type and field says what it means, and the conventions that keep evolution
 * safe (enum defaults, optional = {@code ["null", T]} with a null default) hold everywhere.
 */
class SchemaDocumentationTest {

  private static final String NAMESPACE = "io.peregrine.schema";

  private static Map<String, Schema> schemas;

  @BeforeAll
  static void load() {
    schemas = AvscFiles.parseDir(AvscFiles.sourceDir());
  }

  @Test
  void shouldDefineExactlyOneNamedTypePerFileNamedAfterIt() {
    List<String> problems = new ArrayList<>();
    for (AvscFiles.FileDefinition def : AvscFiles.definitionsByFile(AvscFiles.sourceDir())) {
      String expected = NAMESPACE + "." + def.file().getFileName().toString().replace(".avsc", "");
      if (!def.definedNames().equals(List.of(expected))) {
        problems.add(def.file().getFileName() + " defines " + def.definedNames()
            + ", expected exactly " + expected + " (shared types go in their own file)");
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void shouldDocumentEveryNamedTypeAndField() {
    List<String> undocumented = new ArrayList<>();
    for (Schema schema : schemas.values()) {
      if (isBlank(schema.getDoc())) {
        undocumented.add(schema.getFullName());
      }
      if (schema.getType() == Schema.Type.RECORD) {
        for (Schema.Field field : schema.getFields()) {
          if (isBlank(field.doc())) {
            undocumented.add(schema.getFullName() + "." + field.name());
          }
        }
      }
    }
    assertThat(schemas).isNotEmpty();
    assertThat(undocumented).as("types and fields without a doc").isEmpty();
  }

  @Test
  void shouldGiveEveryEnumADefaultSymbol() {
    List<String> withoutDefault = schemas.values().stream()
        .filter(s -> s.getType() == Schema.Type.ENUM)
        .filter(s -> s.getEnumDefault() == null || !s.getEnumSymbols().contains(s.getEnumDefault()))
        .map(Schema::getFullName)
        .toList();
    assertThat(schemas.values()).anyMatch(s -> s.getType() == Schema.Type.ENUM);
    assertThat(withoutDefault)
        .as("enums without a default symbol: old readers could not read symbols added later")
        .isEmpty();
  }

  @Test
  void shouldPutEveryNamedTypeInThePeregrineNamespace() {
    assertThat(schemas.values())
        .allSatisfy(s -> assertThat(s.getNamespace()).as(s.getFullName()).isEqualTo(NAMESPACE));
  }

  @Test
  void shouldWriteOptionalFieldsAsNullFirstUnionsDefaultingToNull() {
    List<String> problems = new ArrayList<>();
    forEachField((record, field) -> {
      Schema type = field.schema();
      if (type.getType() != Schema.Type.UNION) {
        return;
      }
      List<Schema> branches = type.getTypes();
      boolean nullFirstPair = branches.size() == 2 && branches.get(0).getType() == Schema.Type.NULL;
      boolean nullDefault = field.hasDefaultValue() && field.defaultVal() == JsonProperties.NULL_VALUE;
      if (!nullFirstPair || !nullDefault) {
        problems.add(record.getName() + "." + field.name() + ": " + type);
      }
    });
    assertThat(problems).as("unions must be [\"null\", T] with \"default\": null").isEmpty();
  }

  @Test
  void shouldUseTimestampMillisForPointsInTimeAndLongNanosForLatencies() {
    List<String> problems = new ArrayList<>();
    forEachField((record, field) -> {
      String name = field.name();
      Schema type = nonNull(field.schema());
      boolean pointInTime = name.equals("timestamp") || name.endsWith("_timestamp") || name.endsWith("_at")
          || name.equals("window_start") || name.equals("window_end")
          || name.equals("first_seen") || name.equals("last_seen") || name.equals("at");
      if (pointInTime && !(type.getLogicalType() instanceof LogicalTypes.TimestampMillis)) {
        problems.add(record.getName() + "." + name + " must be timestamp-millis, is " + type);
      }
      if (name.endsWith("_ns") && type.getType() != Schema.Type.LONG) {
        problems.add(record.getName() + "." + name + " must be a long of nanoseconds, is " + type);
      }
    });
    assertThat(problems).isEmpty();
  }

  private interface FieldVisitor {
    void visit(Schema record, Schema.Field field);
  }

  private static void forEachField(FieldVisitor visitor) {
    for (Schema schema : schemas.values()) {
      if (schema.getType() == Schema.Type.RECORD) {
        for (Schema.Field field : schema.getFields()) {
          visitor.visit(schema, field);
        }
      }
    }
  }

  private static Schema nonNull(Schema schema) {
    if (schema.getType() != Schema.Type.UNION) {
      return schema;
    }
    return schema.getTypes().stream()
        .filter(t -> t.getType() != Schema.Type.NULL)
        .findFirst()
        .orElse(schema);
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
