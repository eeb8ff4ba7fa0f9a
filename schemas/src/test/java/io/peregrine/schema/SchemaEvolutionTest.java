package io.peregrine.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaIncompatibilityType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every schema change must be BACKWARD compatible: a consumer built with the current schemas must
 * read every record written with any released version, which is what lets the Streams and Flink
 * stages be upgraded while old data sits in the topics (the registry enforces the same rule per
 * subject at run time). The released schemas are kept verbatim under
 * {@code src/test/resources/compat/<version>/}; see the README there.
 */
class SchemaEvolutionTest {

  private static Map<String, Schema> current;
  private static Set<String> topLevel;
  private static List<Path> baselineDirs;

  @BeforeAll
  static void load() {
    current = AvscFiles.parseDir(AvscFiles.sourceDir());
    topLevel = AvscFiles.topLevelRecords(current);
    baselineDirs = AvscFiles.baselineDirs();
  }

  @Test
  void shouldHaveAtLeastOneReleasedBaseline() {
    assertThat(baselineDirs).as("baseline folders under compat/").isNotEmpty();
    assertThat(topLevel).as("top-level records in src/main/avro").isNotEmpty();
  }

  @Test
  void shouldReadDataWrittenWithEveryReleasedVersion() {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Path dir : baselineDirs) {
      Map<String, Schema> previous = AvscFiles.parseDir(dir);
      for (String name : topLevel) {
        Schema writer = previous.get(name);
        if (writer == null) {
          continue; // the record did not exist in that release
        }
        checked++;
        failures.addAll(incompatibilities(current.get(name), writer, "compat/" + dir.getFileName()));
      }
    }
    assertThat(checked).as("record/baseline pairs checked").isPositive();
    assertThat(failures)
        .as("current schemas must read data written with every released version (BACKWARD)."
            + " Add new fields with a default, keep removed fields' defaults, never change a type"
            + " except by Avro promotion")
        .isEmpty();
  }

  @Test
  void shouldHaveABaselineInTheNewestReleaseForEveryTopLevelRecord() {
    Path newest = baselineDirs.get(baselineDirs.size() - 1);
    Set<String> released = AvscFiles.parseDir(newest).keySet();
    List<String> missing = topLevel.stream().filter(name -> !released.contains(name)).toList();
    assertThat(missing)
        .as("top-level records without a baseline in compat/%s; when a release is cut, copy all of"
            + " src/main/avro into compat/<release>/ (see compat/README.md)", newest.getFileName())
        .isEmpty();
  }

  @Test
  void shouldDetectAFieldAddedWithoutDefault() {
    Schema baseline = AvscFiles.parseDir(baselineDirs.get(0)).get("io.peregrine.schema.L7Event");
    Schema withRequiredField = withExtraField(baseline,
        new Schema.Field("sampling_rate", Schema.create(Schema.Type.DOUBLE), "Added without default."));

    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(withRequiredField, baseline);

    assertThat(result.getType()).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    assertThat(result.getResult().getIncompatibilities())
        .extracting(Incompatibility::getType)
        .containsExactly(SchemaIncompatibilityType.READER_FIELD_MISSING_DEFAULT_VALUE);
    assertThat(incompatibilities(withRequiredField, baseline, "compat/test"))
        .singleElement()
        .asString()
        .contains("io.peregrine.schema.L7Event", "compat/test", "READER_FIELD_MISSING_DEFAULT_VALUE",
            "sampling_rate");
  }

  @Test
  void shouldDetectAChangedFieldType() {
    Schema baseline = AvscFiles.parseDir(baselineDirs.get(0)).get("io.peregrine.schema.Silence");
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : baseline.getFields()) {
      Schema type = f.name().equals("created_by") ? Schema.create(Schema.Type.LONG) : f.schema();
      fields.add(new Schema.Field(f, type));
    }
    Schema changed = Schema.createRecord(baseline.getName(), baseline.getDoc(),
        baseline.getNamespace(), false, fields);

    assertThat(incompatibilities(changed, baseline, "compat/test"))
        .singleElement()
        .asString()
        .contains("io.peregrine.schema.Silence", "TYPE_MISMATCH", "created_by");
  }

  @Test
  void shouldAcceptAFieldAddedWithDefault() {
    Schema baseline = AvscFiles.parseDir(baselineDirs.get(0)).get("io.peregrine.schema.L7Event");
    Schema optionalField = Schema.createUnion(
        Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.DOUBLE));
    Schema withOptionalField = withExtraField(baseline,
        new Schema.Field("sampling_rate", optionalField, "Added with default.", Schema.Field.NULL_DEFAULT_VALUE));

    assertThat(incompatibilities(withOptionalField, baseline, "compat/test")).isEmpty();
  }

  /**
   * Human-readable incompatibilities of reading data written with {@code writer} using
   * {@code reader}; empty when compatible.
   */
  static List<String> incompatibilities(Schema reader, Schema writer, String writerOrigin) {
    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
      return List.of();
    }
    return result.getResult().getIncompatibilities().stream()
        .map(i -> reader.getFullName() + " cannot read data written with " + writerOrigin + ": "
            + i.getType() + " at " + fieldPath(reader, i.getLocation()) + " (" + i.getMessage() + ")")
        .toList();
  }

  /**
   * Turns a compatibility location such as {@code /fields/4/type/fields/1/type} into field names
   * ({@code created_by.hostname}), keeping the raw location for anything it cannot follow.
   */
  static String fieldPath(Schema reader, String location) {
    String[] tokens = location.replaceFirst("^/", "").split("/");
    List<String> names = new ArrayList<>();
    Schema current = reader;
    try {
      for (int i = 0; i < tokens.length; i++) {
        switch (tokens[i]) {
          case "fields" -> {
            Schema.Field field = current.getFields().get(Integer.parseInt(tokens[++i]));
            names.add(field.name());
            current = field.schema();
          }
          case "items" -> current = current.getElementType();
          case "values" -> current = current.getValueType();
          case "type", "" -> { }
          default -> {
            if (current.getType() == Schema.Type.UNION && tokens[i].matches("\\d+")) {
              current = current.getTypes().get(Integer.parseInt(tokens[i]));
            } else {
              names.add(tokens[i]);
            }
          }
        }
      }
    } catch (RuntimeException e) {
      return location;
    }
    return names.isEmpty() ? location : String.join(".", names) + " (" + location + ")";
  }

  private static Schema withExtraField(Schema record, Schema.Field extra) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : record.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(extra);
    return Schema.createRecord(record.getName(), record.getDoc(), record.getNamespace(), false, fields);
  }
}
