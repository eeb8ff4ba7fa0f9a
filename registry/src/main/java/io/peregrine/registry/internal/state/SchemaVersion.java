package io.peregrine.registry.internal.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One version of a subject, as stored under a SCHEMA key.
 *
 * @param schemaType {@code null} for AVRO (Confluent omits it for Avro), else the stored type
 * @param references the stored {@code references} array, passed through untouched; {@code null}
 *     when absent or empty
 * @param lookupKey what identifies "the same schema": the schema type and its canonical string
 */
public record SchemaVersion(
    String subject,
    int version,
    int id,
    String schema,
    String schemaType,
    JsonNode references,
    boolean deleted,
    String lookupKey) {

  public SchemaVersion {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(lookupKey, "lookupKey");
  }

  public SchemaVersion withDeleted(boolean value) {
    return new SchemaVersion(subject, version, id, schema, schemaType, references, value, lookupKey);
  }

  /** The lookup key for a schema of the given type ({@code null} = AVRO) and canonical text. */
  public static String lookupKey(String schemaType, String canonical) {
    return (schemaType == null ? "AVRO" : schemaType) + '\n' + canonical;
  }
}
