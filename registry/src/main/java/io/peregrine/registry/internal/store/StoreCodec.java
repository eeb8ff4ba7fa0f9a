package io.peregrine.registry.internal.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.registry.internal.schema.AvroSchemas;
import io.peregrine.registry.internal.schema.CompatibilityLevel;
import io.peregrine.registry.internal.state.Mode;
import io.peregrine.registry.internal.state.RegistryState;
import io.peregrine.registry.internal.state.SchemaVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Confluent's {@code _schemas} record layout: UTF-8 JSON keys and values
 * ({@code storage/serialization/SchemaRegistrySerializer.java}), so a Confluent registry can read
 * a topic written by Peregrine and the other way round.
 *
 * <pre>
 * SCHEMA          {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}
 *                 {"subject":"s","version":1,"id":1,"schema":"...","deleted":false}   null = permanent delete
 * CONFIG          {"keytype":"CONFIG","subject":"s","magic":0}   (global: no subject)
 *                 {"compatibilityLevel":"FULL"}                                       null = delete
 * MODE            {"keytype":"MODE","magic":0}                  {"mode":"READONLY"}
 * DELETE_SUBJECT  {"keytype":"DELETE_SUBJECT","subject":"s","magic":0}   {"subject":"s","version":3}
 * NOOP            {"keytype":"NOOP","magic":0}                  null
 * </pre>
 *
 * <p>Decoding never throws: a record this registry cannot use becomes a {@link Decoded.Skip} with a
 * cause, so one foreign or corrupt record cannot stop the reader.
 */
public final class StoreCodec {

  private static final ObjectMapper JSON = new ObjectMapper();

  private StoreCodec() {}

  // ------------------------------------------------------------------------------- encoding

  public static byte[] schemaKey(String subject, int version) {
    ObjectNode key = JSON.createObjectNode();
    key.put("keytype", "SCHEMA");
    key.put("subject", subject);
    key.put("version", version);
    key.put("magic", 1);
    return bytes(key);
  }

  public static byte[] schemaValue(SchemaVersion v) {
    ObjectNode value = JSON.createObjectNode();
    value.put("subject", v.subject());
    value.put("version", v.version());
    value.put("id", v.id());
    if (v.schemaType() != null) {
      value.put("schemaType", v.schemaType());
    }
    if (v.references() != null && !v.references().isEmpty()) {
      value.set("references", v.references());
    }
    value.put("schema", v.schema());
    value.put("deleted", v.deleted());
    return bytes(value);
  }

  /** {@code subject == null} is the global config key, which carries no subject. */
  public static byte[] configKey(String subject) {
    return subjectKey("CONFIG", subject);
  }

  public static byte[] configValue(CompatibilityLevel level) {
    ObjectNode value = JSON.createObjectNode();
    value.put("compatibilityLevel", level.name());
    return bytes(value);
  }

  public static byte[] modeKey(String subject) {
    return subjectKey("MODE", subject);
  }

  public static byte[] modeValue(Mode mode) {
    ObjectNode value = JSON.createObjectNode();
    value.put("mode", mode.name());
    return bytes(value);
  }

  public static byte[] deleteSubjectKey(String subject) {
    return subjectKey("DELETE_SUBJECT", subject);
  }

  public static byte[] deleteSubjectValue(String subject, int upToVersion) {
    ObjectNode value = JSON.createObjectNode();
    value.put("subject", subject);
    value.put("version", upToVersion);
    return bytes(value);
  }

  private static byte[] subjectKey(String keytype, String subject) {
    ObjectNode key = JSON.createObjectNode();
    key.put("keytype", keytype);
    if (subject != null) {
      key.put("subject", subject);
    }
    key.put("magic", 0);
    return bytes(key);
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + node, e);
    }
  }

  // ------------------------------------------------------------------------------- decoding

  /** What one record means for the state. */
  public sealed interface Decoded {
    /** A change to apply. */
    record Apply(Consumer<RegistryState> mutation) implements Decoded {}

    /** A record with no effect on the state (NOOP). */
    record Ignore() implements Decoded {}

    /**
     * A record this registry cannot use. {@code cause} is stable per kind of problem (one warning
     * per cause); {@code detail} names the record.
     */
    record Skip(String cause, String detail) implements Decoded {}
  }

  public static Decoded decode(byte[] keyBytes, byte[] valueBytes) {
    if (keyBytes == null) {
      return new Decoded.Skip("record without key", "null key");
    }
    JsonNode key;
    try {
      key = JSON.readTree(keyBytes);
    } catch (IOException e) {
      return new Decoded.Skip("unparsable key", text(keyBytes));
    }
    if (key == null || !key.isObject() || !key.path("keytype").isTextual()) {
      return new Decoded.Skip("key without keytype", text(keyBytes));
    }
    String keytype = key.get("keytype").asText();
    String subject = key.hasNonNull("subject") ? key.get("subject").asText() : null;
    JsonNode value;
    try {
      value = valueBytes == null ? null : JSON.readTree(valueBytes);
    } catch (IOException e) {
      return new Decoded.Skip("unparsable " + keytype + " value", text(keyBytes));
    }
    if (value != null && value.isMissingNode()) {
      value = null;
    }
    return switch (keytype) {
      case "SCHEMA" -> decodeSchema(key, subject, value, keyBytes);
      case "CONFIG" -> decodeConfig(subject, value, keyBytes);
      case "MODE" -> decodeMode(subject, value, keyBytes);
      case "DELETE_SUBJECT" -> decodeDeleteSubject(subject, value, keyBytes);
      case "NOOP" -> new Decoded.Ignore();
      default -> new Decoded.Skip("unsupported keytype " + keytype, text(keyBytes));
    };
  }

  private static Decoded decodeSchema(JsonNode key, String subject, JsonNode value, byte[] keyBytes) {
    int magic = key.path("magic").asInt(-1);
    if (magic != 0 && magic != 1) {
      return new Decoded.Skip("Can't deserialize schema for the magic byte " + magic, text(keyBytes));
    }
    if (subject == null || !key.path("version").canConvertToInt()) {
      return new Decoded.Skip("SCHEMA key without subject or version", text(keyBytes));
    }
    int version = key.get("version").asInt();
    if (value == null) {
      return new Decoded.Apply(state -> state.removeSchema(subject, version));
    }
    if (!value.path("id").canConvertToInt() || !value.path("schema").isTextual()) {
      return new Decoded.Skip("SCHEMA value without id or schema", text(keyBytes));
    }
    int id = value.get("id").asInt();
    String schema = value.get("schema").asText();
    String schemaType = value.hasNonNull("schemaType") ? value.get("schemaType").asText() : null;
    if ("AVRO".equals(schemaType)) {
      schemaType = null;
    }
    JsonNode references = value.path("references");
    references = references.isArray() && !references.isEmpty() ? references : null;
    boolean deleted = value.path("deleted").asBoolean(false);
    String canonical = schema;
    if (schemaType == null) {
      try {
        canonical = AvroSchemas.parse(schema, false).canonical();
      } catch (AvroSchemas.InvalidSchemaException e) {
        // Keep serving it by id (a reader may still manage); it just cannot match a new request
        // unless the text is identical.
        canonical = schema;
      }
    }
    SchemaVersion v = new SchemaVersion(
        subject, version, id, schema, schemaType, references, deleted,
        SchemaVersion.lookupKey(schemaType, canonical));
    return new Decoded.Apply(state -> state.putSchema(v));
  }

  private static Decoded decodeConfig(String subject, JsonNode value, byte[] keyBytes) {
    if (value == null) {
      return new Decoded.Apply(state -> state.putCompatibility(subject, null));
    }
    JsonNode level = value.path("compatibilityLevel");
    if (level.isMissingNode() || level.isNull()) {
      // Newer Confluent configs may carry only other settings (normalize, alias...): no level.
      return new Decoded.Apply(state -> state.putCompatibility(subject, null));
    }
    return CompatibilityLevel.forName(level.asText())
        .<Decoded>map(l -> new Decoded.Apply(state -> state.putCompatibility(subject, l)))
        .orElseGet(() -> new Decoded.Skip(
            "unknown compatibility level " + level.asText().toUpperCase(Locale.ROOT), text(keyBytes)));
  }

  private static Decoded decodeMode(String subject, JsonNode value, byte[] keyBytes) {
    if (value == null) {
      return new Decoded.Apply(state -> state.putMode(subject, null));
    }
    String name = value.path("mode").asText(null);
    return Mode.forName(name)
        .<Decoded>map(m -> new Decoded.Apply(state -> state.putMode(subject, m)))
        .orElseGet(() -> new Decoded.Skip("unknown mode " + name, text(keyBytes)));
  }

  private static Decoded decodeDeleteSubject(String subject, JsonNode value, byte[] keyBytes) {
    if (value == null) {
      return new Decoded.Ignore();
    }
    String target = value.hasNonNull("subject") ? value.get("subject").asText() : subject;
    if (target == null || !value.path("version").canConvertToInt()) {
      return new Decoded.Skip("DELETE_SUBJECT value without subject or version", text(keyBytes));
    }
    int upTo = value.get("version").asInt();
    return new Decoded.Apply(state -> state.softDeleteSubject(target, upTo));
  }

  private static String text(byte[] bytes) {
    String s = new String(bytes, StandardCharsets.UTF_8);
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
