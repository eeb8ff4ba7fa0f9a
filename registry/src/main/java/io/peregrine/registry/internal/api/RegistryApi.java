package io.peregrine.registry.internal.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.registry.internal.schema.AvroSchemas;
import io.peregrine.registry.internal.schema.CompatibilityChecker;
import io.peregrine.registry.internal.schema.CompatibilityLevel;
import io.peregrine.registry.internal.state.Mode;
import io.peregrine.registry.internal.state.RegistryState;
import io.peregrine.registry.internal.state.SchemaVersion;
import io.peregrine.registry.internal.state.SharedState;
import io.peregrine.registry.internal.store.StoreCodec;
import io.peregrine.registry.internal.store.StoreException;
import io.peregrine.registry.internal.store.StoreTimeoutException;
import io.peregrine.registry.internal.store.WritePlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.avro.Schema;

/**
 * The registry's operations, one method per REST endpoint, with Confluent's semantics
 * ({@code core/.../rest/resources/*Resource.java} and {@code KafkaSchemaRegistry}). Reads are served
 * from the replayed state; writes go through {@link Writer} (the store's serialized write path).
 * Failures are {@link RestError}s carrying Confluent's status, code and message.
 */
public final class RegistryApi {

  /** Runs one write against the caught-up state (the store's {@code write}). */
  @FunctionalInterface
  public interface Writer {
    <T> T write(Function<RegistryState, WritePlan<T>> planner);
  }

  /** A body to send verbatim (the {@code .../schema} endpoints return the schema text itself). */
  public record RawJson(String text) {}

  private static final int PARSED_CACHE_LIMIT = 10_000;

  private final SharedState state;
  private final Writer writer;
  private final CompatibilityLevel defaultCompatibility;
  private final Map<String, Schema> parsedCache = new ConcurrentHashMap<>();

  public RegistryApi(SharedState state, Writer writer, CompatibilityLevel defaultCompatibility) {
    this.state = state;
    this.writer = writer;
    this.defaultCompatibility = defaultCompatibility;
  }

  // ------------------------------------------------------------------------------ root, types

  public JsonNode root() {
    return Json.object();
  }

  public JsonNode schemaTypes() {
    return Json.array().add("AVRO");
  }

  public JsonNode contexts() {
    return Json.array().add(".");
  }

  // ------------------------------------------------------------------------------ /schemas/ids

  public JsonNode schemaById(int id, boolean fetchMaxId) {
    return state.read(s -> {
      SchemaVersion v = s.schemaById(id).orElseThrow(() -> RestError.schemaIdNotFound(id));
      ObjectNode out = Json.object();
      if (v.schemaType() != null) {
        out.put("schemaType", v.schemaType());
      }
      out.put("schema", v.schema());
      if (v.references() != null) {
        out.set("references", v.references());
      }
      if (fetchMaxId) {
        out.put("maxId", s.maxId());
      }
      return out;
    });
  }

  public RawJson schemaTextById(int id) {
    return state.read(s -> new RawJson(
        s.schemaById(id).orElseThrow(() -> RestError.schemaIdNotFound(id)).schema()));
  }

  public JsonNode subjectVersionsById(int id, boolean deleted) {
    return state.read(s -> {
      if (s.schemaById(id).isEmpty()) {
        throw RestError.schemaIdNotFound(id);
      }
      ArrayNode out = Json.array();
      for (SchemaVersion v : s.versionsWithId(id, deleted)) {
        out.addObject().put("subject", v.subject()).put("version", v.version());
      }
      return out;
    });
  }

  public JsonNode subjectsById(int id, boolean deleted) {
    return state.read(s -> {
      if (s.schemaById(id).isEmpty()) {
        throw RestError.schemaIdNotFound(id);
      }
      ArrayNode out = Json.array();
      s.versionsWithId(id, deleted).stream().map(SchemaVersion::subject).distinct().forEach(out::add);
      return out;
    });
  }

  // ------------------------------------------------------------------------------ /subjects

  public JsonNode subjects(boolean deleted, String prefix) {
    return state.read(s -> {
      ArrayNode out = Json.array();
      s.subjects(deleted, prefix).forEach(out::add);
      return out;
    });
  }

  public JsonNode versions(String subject, boolean deleted) {
    return state.read(s -> {
      List<SchemaVersion> versions = s.versions(subject, deleted);
      if (versions.isEmpty()) {
        throw RestError.subjectNotFound(subject);
      }
      ArrayNode out = Json.array();
      versions.forEach(v -> out.add(v.version()));
      return out;
    });
  }

  public JsonNode version(String subject, String version, boolean deleted) {
    return schemaEntity(resolveForRead(subject, VersionId.parse(version), deleted));
  }

  public RawJson versionSchemaText(String subject, String version, boolean deleted) {
    return new RawJson(resolveForRead(subject, VersionId.parse(version), deleted).schema());
  }

  public JsonNode referencedBy(String subject, String version) {
    resolveForRead(subject, VersionId.parse(version), true);
    return Json.array();
  }

  /** {@code GET /subjects/{s}/versions/{v}}: {@code latest} is the newest live version. */
  private SchemaVersion resolveForRead(String subject, VersionId version, boolean deleted) {
    return state.read(s -> {
      Optional<SchemaVersion> found = version.isLatest()
          ? s.latestLive(subject)
          : s.version(subject, version.value()).filter(v -> deleted || !v.deleted());
      return found.orElseThrow(() -> s.hasSubject(subject, deleted)
          ? RestError.versionNotFound(version.value())
          : RestError.subjectNotFound(subject));
    });
  }

  private static ObjectNode schemaEntity(SchemaVersion v) {
    ObjectNode out = Json.object();
    out.put("subject", v.subject());
    out.put("version", v.version());
    out.put("id", v.id());
    if (v.schemaType() != null) {
      out.put("schemaType", v.schemaType());
    }
    if (v.references() != null) {
      out.set("references", v.references());
    }
    out.put("schema", v.schema());
    return out;
  }

  /** {@code POST /subjects/{s}}: is this schema registered under the subject? */
  public JsonNode lookup(String subject, JsonNode body, boolean deleted) {
    RegisterRequest request = RegisterRequest.from(body);
    boolean exists = state.read(s -> s.hasSubject(subject, deleted));
    if (!exists) {
      throw RestError.subjectNotFound(subject);
    }
    AvroSchemas.Parsed parsed = parse(request.schema(), false);
    String key = SchemaVersion.lookupKey(null, parsed.canonical());
    SchemaVersion found = state.read(s -> s.findInSubject(subject, key, deleted))
        .orElseThrow(RestError::schemaNotFound);
    ObjectNode out = Json.object();
    out.put("subject", subject);
    out.put("version", found.version());
    out.put("id", found.id());
    out.put("schema", parsed.canonical());
    return out;
  }

  // ------------------------------------------------------------------------------ register

  /** {@code POST /subjects/{s}/versions}. */
  public JsonNode register(String subject, JsonNode body) {
    validateSubject(subject);
    RegisterRequest request = RegisterRequest.from(body);
    AvroSchemas.Parsed parsed = parse(request.schema(), true);
    String key = SchemaVersion.lookupKey(null, parsed.canonical());
    return write("Register", "Register schema", s -> {
      Optional<SchemaVersion> existing = s.findInSubject(subject, key, false);
      if (existing.isPresent()) {
        // Idempotent: the same schema in the same subject keeps its id and version. Confluent
        // answers this before the mode check, so auto-registering serializers keep working
        // against a READONLY registry for schemas it already has.
        return WritePlan.answer(idResponse(existing.get().id()));
      }
      checkWritable(s, subject);
      List<String> problems = CompatibilityChecker.check(
          effectiveCompatibility(s, subject), parsed.schema(), previous(s.versions(subject, false)));
      if (!problems.isEmpty()) {
        throw RestError.incompatible(subject, problems);
      }
      // The same schema under another subject keeps its global id; otherwise max id + 1.
      int id = s.idFor(key).orElse(s.maxId() + 1);
      int version = s.maxVersion(subject) + 1;
      List<WritePlan.Record> records = new ArrayList<>();
      // Like Confluent: soft-deleted versions of this very schema in the subject are dropped, so
      // a subject holds each schema once.
      for (SchemaVersion v : s.versions(subject, true)) {
        if (v.deleted() && v.lookupKey().equals(key)) {
          records.add(new WritePlan.Record(StoreCodec.schemaKey(subject, v.version()), null));
        }
      }
      SchemaVersion created = new SchemaVersion(subject, version, id, parsed.canonical(), null, null, false, key);
      records.add(new WritePlan.Record(StoreCodec.schemaKey(subject, version), StoreCodec.schemaValue(created)));
      return new WritePlan<>(records, idResponse(id));
    });
  }

  private static JsonNode idResponse(int id) {
    return Json.object().put("id", id);
  }

  // ------------------------------------------------------------------------------ delete

  /** {@code DELETE /subjects/{s}}: soft by default; {@code permanent=true} after a soft delete. */
  public JsonNode deleteSubject(String subject, boolean permanent) {
    return write("Delete subject", "Delete subject", s -> {
      checkWritable(s, subject);
      if (!s.hasSubject(subject, true)) {
        throw RestError.subjectNotFound(subject);
      }
      if (!permanent && !s.hasSubject(subject, false)) {
        throw RestError.subjectSoftDeleted(subject);
      }
      List<WritePlan.Record> records = new ArrayList<>();
      ArrayNode deleted = Json.array();
      if (permanent) {
        List<SchemaVersion> all = s.versions(subject, true);
        if (all.stream().anyMatch(v -> !v.deleted())) {
          throw RestError.subjectNotSoftDeleted(subject);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
          records.add(new WritePlan.Record(StoreCodec.schemaKey(subject, all.get(i).version()), null));
        }
        all.forEach(v -> deleted.add(v.version()));
      } else {
        List<SchemaVersion> live = s.versions(subject, false);
        for (SchemaVersion v : live) {
          records.add(new WritePlan.Record(StoreCodec.schemaKey(subject, v.version()),
              StoreCodec.schemaValue(v.withDeleted(true))));
          deleted.add(v.version());
        }
        records.add(new WritePlan.Record(StoreCodec.deleteSubjectKey(subject),
            StoreCodec.deleteSubjectValue(subject, live.get(live.size() - 1).version())));
      }
      dropSubjectSettings(s, subject, records);
      return new WritePlan<>(records, deleted);
    });
  }

  /** {@code DELETE /subjects/{s}/versions/{v}}. */
  public JsonNode deleteVersion(String subject, String versionText, boolean permanent) {
    VersionId version = VersionId.parse(versionText);
    return write("Delete Schema Version", "Delete Schema Version", s -> {
      checkWritable(s, subject);
      SchemaVersion target;
      if (version.isLatest()) {
        target = s.latestLive(subject).orElse(null);
      } else {
        target = s.version(subject, version.value()).orElse(null);
        if (target != null && target.deleted() && !permanent) {
          throw RestError.versionSoftDeleted(subject, versionText);
        }
      }
      if (target == null) {
        throw s.hasSubject(subject, true)
            ? RestError.versionNotFound(version.value())
            : RestError.subjectNotFound(subject);
      }
      if (permanent && !target.deleted()) {
        throw RestError.versionNotSoftDeleted(subject, versionText);
      }
      List<WritePlan.Record> records = new ArrayList<>();
      byte[] key = StoreCodec.schemaKey(subject, target.version());
      if (permanent) {
        records.add(new WritePlan.Record(key, null));
      } else {
        records.add(new WritePlan.Record(key, StoreCodec.schemaValue(target.withDeleted(true))));
        int finalVersion = target.version();
        boolean lastLive = s.versions(subject, false).stream().allMatch(v -> v.version() == finalVersion);
        if (lastLive) {
          // Deleting the last live version drops the subject's config and mode, as Confluent does.
          dropSubjectSettings(s, subject, records);
        }
      }
      return new WritePlan<>(records, IntNode.valueOf(target.version()));
    });
  }

  private static void dropSubjectSettings(RegistryState s, String subject, List<WritePlan.Record> records) {
    if (s.subjectCompatibility(subject).isPresent()) {
      records.add(new WritePlan.Record(StoreCodec.configKey(subject), null));
    }
    if (s.subjectMode(subject).isPresent()) {
      records.add(new WritePlan.Record(StoreCodec.modeKey(subject), null));
    }
  }

  // ------------------------------------------------------------------------------ compatibility

  /**
   * {@code POST /compatibility/subjects/{s}/versions[/{v}]}. With a version, check against that one
   * ({@code latest} of a subject without versions is compatible); without, against the versions
   * the level requires.
   */
  public JsonNode checkCompatibility(String subject, String versionText, JsonNode body, boolean verbose) {
    VersionId version = versionText == null ? null : VersionId.parse(versionText);
    RegisterRequest request = RegisterRequest.from(body);
    record Target(CompatibilityLevel level, List<SchemaVersion> previous) {}
    Target target = state.read(s -> {
      List<SchemaVersion> previous;
      if (version == null) {
        previous = s.versions(subject, false);
      } else if (version.isLatest()) {
        previous = s.latestLive(subject).map(List::of).orElse(List.of());
      } else {
        SchemaVersion v = s.version(subject, version.value()).filter(x -> !x.deleted())
            .orElseThrow(() -> s.hasSubject(subject, false)
                ? RestError.versionNotFound(version.value())
                : RestError.subjectNotFound(subject));
        previous = List.of(v);
      }
      return new Target(effectiveCompatibility(s, subject), previous);
    });
    List<String> messages;
    try {
      AvroSchemas.Parsed parsed = parse(request.schema(), true);
      messages = CompatibilityChecker.check(target.level(), parsed.schema(), previous(target.previous()));
    } catch (RestError e) {
      if (!verbose || e.errorCode() != 42201) {
        throw e;
      }
      messages = List.of(e.getMessage());
    }
    ObjectNode out = Json.object().put("is_compatible", messages.isEmpty());
    if (verbose) {
      ArrayNode list = out.putArray("messages");
      messages.forEach(list::add);
    }
    return out;
  }

  private List<CompatibilityChecker.Previous> previous(List<SchemaVersion> versions) {
    List<CompatibilityChecker.Previous> out = new ArrayList<>(versions.size());
    for (SchemaVersion v : versions) {
      if (v.schemaType() != null) {
        continue; // a foreign non-Avro version (from a Confluent-written topic) cannot be compared
      }
      Schema schema = parsedCache.get(v.schema());
      if (schema == null) {
        try {
          schema = AvroSchemas.parse(v.schema(), false).schema();
        } catch (AvroSchemas.InvalidSchemaException e) {
          continue; // unparsable stored schema: it cannot constrain anything
        }
        if (parsedCache.size() >= PARSED_CACHE_LIMIT) {
          parsedCache.clear();
        }
        parsedCache.put(v.schema(), schema);
      }
      out.add(new CompatibilityChecker.Previous(v.version(), schema, v.schema()));
    }
    return out;
  }

  // ------------------------------------------------------------------------------ /config

  public JsonNode globalConfig() {
    return state.read(s -> compatibilityLevel(s.globalCompatibility().orElse(defaultCompatibility)));
  }

  public JsonNode subjectConfig(String subject, boolean defaultToGlobal) {
    return state.read(s -> {
      Optional<CompatibilityLevel> level = s.subjectCompatibility(subject);
      if (level.isEmpty() && defaultToGlobal) {
        level = Optional.of(s.globalCompatibility().orElse(defaultCompatibility));
      }
      return compatibilityLevel(level.orElseThrow(() -> RestError.subjectCompatibilityNotConfigured(subject)));
    });
  }

  /** {@code PUT /config[/{s}]}: takes {@code compatibility}, echoes the request. */
  public JsonNode updateConfig(String subject, JsonNode body) {
    if (subject != null) {
      validateSubject(subject);
    }
    JsonNode node = requireObject(body);
    JsonNode given = node.hasNonNull("compatibility") ? node.get("compatibility") : node.get("compatibilityLevel");
    if (given == null || !given.isTextual()) {
      throw RestError.invalidCompatibility();
    }
    CompatibilityLevel level = CompatibilityLevel.forName(given.asText()).orElseThrow(RestError::invalidCompatibility);
    return write("Update compatibility level", "Update compatibility level", s -> {
      checkWritable(s, subject);
      return new WritePlan<>(
          List.of(new WritePlan.Record(StoreCodec.configKey(subject), StoreCodec.configValue(level))),
          Json.object().put("compatibility", given.asText()));
    });
  }

  /** {@code DELETE /config[/{s}]}: returns the level that was set. */
  public JsonNode deleteConfig(String subject) {
    return write("Delete compatibility level", "Delete compatibility level", s -> {
      checkWritable(s, subject);
      CompatibilityLevel previous;
      if (subject == null) {
        previous = s.globalCompatibility().orElse(defaultCompatibility);
        if (s.globalCompatibility().isEmpty()) {
          return WritePlan.answer(compatibilityLevel(previous));
        }
      } else {
        previous = s.subjectCompatibility(subject).orElseThrow(() -> RestError.subjectNotFound(subject));
      }
      return new WritePlan<>(List.of(new WritePlan.Record(StoreCodec.configKey(subject), null)),
          compatibilityLevel(previous));
    });
  }

  private static JsonNode compatibilityLevel(CompatibilityLevel level) {
    return Json.object().put("compatibilityLevel", level.name());
  }

  private CompatibilityLevel effectiveCompatibility(RegistryState s, String subject) {
    return s.subjectCompatibility(subject)
        .or(s::globalCompatibility)
        .orElse(defaultCompatibility);
  }

  // ------------------------------------------------------------------------------ /mode

  public JsonNode globalMode() {
    return state.read(s -> mode(s.globalMode().orElse(Mode.READWRITE)));
  }

  public JsonNode subjectMode(String subject, boolean defaultToGlobal) {
    return state.read(s -> {
      Optional<Mode> mode = s.subjectMode(subject);
      if (mode.isEmpty() && defaultToGlobal) {
        mode = Optional.of(s.globalMode().orElse(Mode.READWRITE));
      }
      return mode(mode.orElseThrow(() -> RestError.subjectModeNotConfigured(subject)));
    });
  }

  /** {@code PUT /mode[/{s}]}: always allowed (it is how one leaves READONLY); echoes the request. */
  public JsonNode updateMode(String subject, JsonNode body) {
    if (subject != null) {
      validateSubject(subject);
    }
    JsonNode given = requireObject(body).get("mode");
    Mode mode = (given != null && given.isTextual() ? Mode.forName(given.asText()) : Optional.<Mode>empty())
        .orElseThrow(() -> RestError.invalidMode(
            "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD."));
    if (!mode.acceptedOverRest()) {
      throw RestError.invalidMode("Mode " + mode + " is not supported by this registry. "
          + "Supported values are READWRITE and READONLY.");
    }
    return write("Update mode", "Update mode", s -> new WritePlan<>(
        List.of(new WritePlan.Record(StoreCodec.modeKey(subject), StoreCodec.modeValue(mode))),
        Json.object().put("mode", given.asText())));
  }

  /** {@code DELETE /mode/{s}}: returns the mode that was set. */
  public JsonNode deleteMode(String subject) {
    return write("Delete mode", "Delete mode", s -> {
      Mode previous = s.subjectMode(subject).orElseThrow(() -> RestError.subjectNotFound(subject));
      return new WritePlan<>(List.of(new WritePlan.Record(StoreCodec.modeKey(subject), null)), mode(previous));
    });
  }

  private static JsonNode mode(Mode mode) {
    return Json.object().put("mode", mode.name());
  }

  // ------------------------------------------------------------------------------ helpers

  private static void checkWritable(RegistryState s, String subject) {
    Mode mode = (subject == null ? Optional.<Mode>empty() : s.subjectMode(subject))
        .or(s::globalMode).orElse(Mode.READWRITE);
    if (mode.blocksWrites()) {
      throw RestError.operationNotPermitted(subject == null
          ? "The registry is in read-only mode"
          : "Subject " + subject + " is in read-only mode");
    }
  }

  private static void validateSubject(String subject) {
    if (subject.chars().anyMatch(Character::isISOControl)) {
      throw new RestError(422, 42208, "Invalid subject " + subject);
    }
  }

  private static AvroSchemas.Parsed parse(String schema, boolean isNew) {
    try {
      return AvroSchemas.parse(schema, isNew);
    } catch (AvroSchemas.InvalidSchemaException e) {
      throw RestError.invalidSchema(e.getMessage());
    }
  }

  private static JsonNode requireObject(JsonNode body) {
    if (body == null) {
      throw RestError.unprocessable("Request body may not be empty");
    }
    if (!body.isObject()) {
      throw RestError.unprocessable("Request body must be a JSON object, not " + body.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    return body;
  }

  /** Runs a write and translates store failures into Confluent's 50001 / 50002. */
  private <T> T write(String operation, String failing, Function<RegistryState, WritePlan<T>> planner) {
    try {
      return writer.write(planner);
    } catch (StoreTimeoutException e) {
      throw RestError.timeout(operation + " operation timed out");
    } catch (StoreException e) {
      throw RestError.storeError(failing + " operation failed while writing to the Kafka store: " + e.getMessage());
    }
  }

  /** The schema fields of a register / lookup / compatibility body. */
  record RegisterRequest(String schema) {
    static RegisterRequest from(JsonNode body) {
      JsonNode node = requireObject(body);
      JsonNode schema = node.get("schema");
      if (schema == null || schema.isNull() || (schema.isTextual() && schema.asText().isEmpty())) {
        throw RestError.unprocessable("schema may not be empty");
      }
      if (!schema.isTextual()) {
        throw RestError.unprocessable("schema must be a string holding the schema's JSON, not "
            + schema.getNodeType().name().toLowerCase(Locale.ROOT));
      }
      JsonNode type = node.get("schemaType");
      if (type != null && !type.isNull() && !"AVRO".equalsIgnoreCase(type.asText())) {
        throw RestError.invalidSchema("Invalid schema type " + type.asText() + ". This registry supports AVRO only.");
      }
      JsonNode references = node.get("references");
      if (references != null && !references.isNull() && !(references.isArray() && references.isEmpty())) {
        throw RestError.invalidSchema("Schema references are not supported by this registry");
      }
      return new RegisterRequest(schema.asText());
    }
  }

  /** A version path segment: 1..2^31-1, or {@code latest} / {@code -1} (Confluent's VersionId). */
  record VersionId(int value) {
    static VersionId parse(String text) {
      String t = text.trim();
      if (t.equalsIgnoreCase("latest")) {
        return new VersionId(-1);
      }
      try {
        int v = Integer.parseInt(t);
        if (v == -1 || v >= 1) {
          return new VersionId(v);
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw RestError.invalidVersion(text);
    }

    boolean isLatest() {
      return value == -1;
    }
  }
}
