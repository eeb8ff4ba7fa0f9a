package io.peregrine.registry.internal.schema;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * Checks a new schema against earlier versions the way Confluent's {@code CompatibilityChecker}
 * does: non-transitive levels look at the latest version only, transitive levels at every version
 * from newest to oldest, stopping at the first incompatible one. Messages use Confluent's format
 * ({@code {errorType:'...', description:'...', additionalInfo:'...'}} followed by
 * {@code {oldSchemaVersion: n}}, {@code {oldSchema: '...'}} and the level), so tools that show them
 * to users read the same text.
 */
public final class CompatibilityChecker {

  private CompatibilityChecker() {}

  /** One earlier version to check against. */
  public record Previous(int version, Schema schema, String canonical) {}

  /**
   * @param previous the live (non-deleted) versions, oldest first
   * @return the reasons the new schema is incompatible; empty when it is compatible
   */
  public static List<String> check(CompatibilityLevel level, Schema candidate, List<Previous> previous) {
    if (level == CompatibilityLevel.NONE || previous.isEmpty()) {
      return List.of();
    }
    List<Previous> toCheck =
        level.transitive() ? reversed(previous) : List.of(previous.get(previous.size() - 1));
    for (Previous old : toCheck) {
      List<String> messages = new ArrayList<>();
      if (level.backward()) {
        // BACKWARD: a consumer on the new schema reads data written with the old one.
        describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, old.schema()), "new", "old", messages);
      }
      if (level.forward()) {
        // FORWARD: a consumer still on the old schema reads data written with the new one.
        describe(SchemaCompatibility.checkReaderWriterCompatibility(old.schema(), candidate), "old", "new", messages);
      }
      if (!messages.isEmpty()) {
        messages.add("{oldSchemaVersion: " + old.version() + "}");
        messages.add("{oldSchema: '" + old.canonical() + "'}");
        messages.add("{validateFields: 'false', compatibility: '" + level.name() + "'}");
        return messages;
      }
    }
    return List.of();
  }

  private static List<Previous> reversed(List<Previous> list) {
    List<Previous> copy = new ArrayList<>(list);
    java.util.Collections.reverse(copy);
    return copy;
  }

  private static void describe(
      SchemaCompatibility.SchemaPairCompatibility pair, String reader, String writer, List<String> out) {
    if (pair.getType() == SchemaCompatibilityType.COMPATIBLE) {
      return;
    }
    for (Incompatibility inc : pair.getResult().getIncompatibilities()) {
      String path = inc.getLocation();
      String info = inc.getMessage();
      String description =
          switch (inc.getType()) {
            case NAME_MISMATCH -> "The name of the schema has changed (path '" + path + "')";
            case FIXED_SIZE_MISMATCH -> "The size of FIXED type field at path '" + path + "' in the "
                + reader + " schema does not match with the " + writer + " schema";
            case MISSING_ENUM_SYMBOLS -> "The " + reader + " schema is missing enum symbols '" + info
                + "' at path '" + path + "' in the " + writer + " schema";
            case READER_FIELD_MISSING_DEFAULT_VALUE -> "The field '" + info + "' at path '" + path
                + "' in the " + reader + " schema has no default value and is missing in the "
                + writer + " schema";
            case TYPE_MISMATCH -> "The type (path '" + path + "') of a field in the " + reader
                + " schema does not match with the " + writer + " schema";
            case MISSING_UNION_BRANCH -> "The " + reader + " schema is missing a type inside a union "
                + "field at path '" + path + "' in the " + writer + " schema";
          };
      out.add("{errorType:'" + inc.getType().name() + "', description:'" + description
          + "', additionalInfo:'" + info + "'}");
    }
  }
}
