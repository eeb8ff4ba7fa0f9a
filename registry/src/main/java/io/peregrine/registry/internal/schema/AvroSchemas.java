package io.peregrine.registry.internal.schema;

import org.apache.avro.Schema;

/**
 * Parsing and canonical form of Avro schemas, as Confluent's {@code AvroSchema} does it.
 *
 * <p>Confluent identifies a schema by the md5 of its <em>canonical string</em>, which for Avro is
 * {@code Schema.toString()}: whitespace-normalised JSON that still carries docs, defaults, aliases
 * and custom properties. That is deliberately stronger than Avro's Parsing Canonical Form, which
 * drops defaults and docs: two schemas that differ only in a default are different schemas to the
 * registry (the default changes what readers see), so they get different ids. The canonical string
 * is also what gets stored and served back, so {@code {"type": "string"}} is returned as
 * {@code "string"}, exactly as Confluent does.
 */
public final class AvroSchemas {

  private AvroSchemas() {}

  /** A parsed schema and its canonical string. */
  public record Parsed(Schema schema, String canonical) {}

  /**
   * Parses a schema sent by a client.
   *
   * @param validateDefaults {@code true} for new registrations (a default that does not match
   *     its type is an error), {@code false} for schemas already in the store, which must keep
   *     loading even if an older writer accepted them
   * @throws InvalidSchemaException with the parser's message, mapped to 42201 by the REST layer
   */
  public static Parsed parse(String text, boolean validateDefaults) {
    if (text == null || text.isBlank()) {
      throw new InvalidSchemaException("Empty schema");
    }
    try {
      Schema schema = new Schema.Parser().setValidateDefaults(validateDefaults).parse(text);
      return new Parsed(schema, schema.toString());
    } catch (RuntimeException | StackOverflowError e) {
      // SchemaParseException, AvroTypeException, and Jackson's exceptions for broken JSON all
      // end up here; a pathological nesting depth may overflow the parser's recursion.
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new InvalidSchemaException("Invalid schema " + abbreviate(text) + ", details: " + message);
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  /** A schema the registry cannot accept, with a message for the client. */
  public static final class InvalidSchemaException extends RuntimeException {
    public InvalidSchemaException(String message) {
      super(message);
    }
  }
}
