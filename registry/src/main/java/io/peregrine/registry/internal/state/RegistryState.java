package io.peregrine.registry.internal.state;

import io.peregrine.registry.internal.schema.CompatibilityLevel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registry's in-memory view of the {@code _schemas} log: a pure state machine with no
 * threads, no Kafka and no locks (the store wraps it in {@link SharedState}).
 *
 * <p>Invariants:
 *
 * <ul>
 *   <li>It is a function of the records applied, in order: every instance that replays the same
 *       log holds the same state. Nothing else mutates it.
 *   <li>{@link #maxId()} never decreases, even when the highest id's versions are tombstoned, like
 *       Confluent's {@code IncrementalIdGenerator} (which also only learns ids from records).
 *   <li>Indexes ({@code versionsById}, {@code idsByKey}) always describe exactly the versions in
 *       {@code subjects}, soft-deleted ones included: a deserializer must still resolve an id whose
 *       versions were all soft-deleted.
 * </ul>
 */
public final class RegistryState {

  private final TreeMap<String, TreeMap<Integer, SchemaVersion>> subjects = new TreeMap<>();
  private final Map<Integer, TreeMap<SubjectVersionRefKey, SchemaVersion>> versionsById = new HashMap<>();
  private final Map<String, TreeMap<Integer, Integer>> idsByKey = new HashMap<>();
  private final Map<String, CompatibilityLevel> subjectCompatibility = new HashMap<>();
  private final Map<String, Mode> subjectModes = new HashMap<>();
  private CompatibilityLevel globalCompatibility;
  private Mode globalMode;
  private int maxId;

  // ---------------------------------------------------------------- mutations (store reader only)

  /** Applies a SCHEMA record: a new version, or a rewrite of one (e.g. a soft delete). */
  public void putSchema(SchemaVersion v) {
    TreeMap<Integer, SchemaVersion> versions = subjects.computeIfAbsent(v.subject(), s -> new TreeMap<>());
    SchemaVersion old = versions.put(v.version(), v);
    if (old != null) {
      unindex(old);
    }
    index(v);
    maxId = Math.max(maxId, v.id());
  }

  /** Applies a SCHEMA tombstone (permanent delete of one version). */
  public void removeSchema(String subject, int version) {
    TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
    if (versions == null) {
      return;
    }
    SchemaVersion old = versions.remove(version);
    if (old != null) {
      unindex(old);
    }
    if (versions.isEmpty()) {
      subjects.remove(subject);
    }
  }

  /**
   * Applies a DELETE_SUBJECT record: Confluent's soft subject delete marks every version up to
   * {@code upToVersion} deleted (later versions were registered after the delete).
   */
  public void softDeleteSubject(String subject, int upToVersion) {
    TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
    if (versions == null) {
      return;
    }
    for (SchemaVersion v : new ArrayList<>(versions.headMap(upToVersion, true).values())) {
      if (!v.deleted()) {
        putSchema(v.withDeleted(true));
      }
    }
  }

  /** Applies a CONFIG record; {@code subject == null} is the global config, {@code level == null} a delete. */
  public void putCompatibility(String subject, CompatibilityLevel level) {
    if (subject == null) {
      globalCompatibility = level;
    } else if (level == null) {
      subjectCompatibility.remove(subject);
    } else {
      subjectCompatibility.put(subject, level);
    }
  }

  /** Applies a MODE record; {@code subject == null} is the global mode, {@code mode == null} a delete. */
  public void putMode(String subject, Mode mode) {
    if (subject == null) {
      globalMode = mode;
    } else if (mode == null) {
      subjectModes.remove(subject);
    } else {
      subjectModes.put(subject, mode);
    }
  }

  private void index(SchemaVersion v) {
    versionsById.computeIfAbsent(v.id(), id -> new TreeMap<>()).put(new SubjectVersionRefKey(v.subject(), v.version()), v);
    idsByKey.computeIfAbsent(v.lookupKey(), k -> new TreeMap<>()).merge(v.id(), 1, Integer::sum);
  }

  private void unindex(SchemaVersion v) {
    TreeMap<SubjectVersionRefKey, SchemaVersion> refs = versionsById.get(v.id());
    if (refs != null) {
      refs.remove(new SubjectVersionRefKey(v.subject(), v.version()));
      if (refs.isEmpty()) {
        versionsById.remove(v.id());
      }
    }
    TreeMap<Integer, Integer> ids = idsByKey.get(v.lookupKey());
    if (ids != null) {
      ids.computeIfPresent(v.id(), (id, n) -> n == 1 ? null : n - 1);
      if (ids.isEmpty()) {
        idsByKey.remove(v.lookupKey());
      }
    }
  }

  // ---------------------------------------------------------------------------------- queries

  /** Subjects with at least one live version (or any version if {@code includeDeleted}), sorted. */
  public List<String> subjects(boolean includeDeleted, String prefix) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, TreeMap<Integer, SchemaVersion>> e : subjects.entrySet()) {
      if (prefix != null && !e.getKey().startsWith(prefix)) {
        continue;
      }
      if (includeDeleted || e.getValue().values().stream().anyMatch(v -> !v.deleted())) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  public boolean hasSubject(String subject, boolean includeDeleted) {
    return !versions(subject, includeDeleted).isEmpty();
  }

  /** The subject's versions in ascending order; soft-deleted ones only if {@code includeDeleted}. */
  public List<SchemaVersion> versions(String subject, boolean includeDeleted) {
    TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
    if (versions == null) {
      return List.of();
    }
    List<SchemaVersion> out = new ArrayList<>(versions.size());
    for (SchemaVersion v : versions.values()) {
      if (includeDeleted || !v.deleted()) {
        out.add(v);
      }
    }
    return out;
  }

  /** One version, soft-deleted or not; empty if it does not exist. */
  public Optional<SchemaVersion> version(String subject, int version) {
    TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
    return Optional.ofNullable(versions == null ? null : versions.get(version));
  }

  /** The highest live version. */
  public Optional<SchemaVersion> latestLive(String subject) {
    TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
    if (versions == null) {
      return Optional.empty();
    }
    for (SchemaVersion v : versions.descendingMap().values()) {
      if (!v.deleted()) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  /** The highest version ever seen in the subject, soft-deleted included; 0 if none. */
  public int maxVersion(String subject) {
    TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
    return versions == null || versions.isEmpty() ? 0 : versions.lastKey();
  }

  /** Any version registered with this id (they all carry the same schema); empty if unknown. */
  public Optional<SchemaVersion> schemaById(int id) {
    TreeMap<SubjectVersionRefKey, SchemaVersion> refs = versionsById.get(id);
    return refs == null || refs.isEmpty() ? Optional.empty() : Optional.of(refs.firstEntry().getValue());
  }

  /** The (subject, version) pairs that use this id, sorted by subject then version. */
  public List<SchemaVersion> versionsWithId(int id, boolean includeDeleted) {
    TreeMap<SubjectVersionRefKey, SchemaVersion> refs = versionsById.get(id);
    if (refs == null) {
      return List.of();
    }
    List<SchemaVersion> out = new ArrayList<>();
    for (SchemaVersion v : refs.values()) {
      if (includeDeleted || !v.deleted()) {
        out.add(v);
      }
    }
    return out;
  }

  /** The id already assigned to this schema (the smallest, should a foreign writer have made two). */
  public Optional<Integer> idFor(String lookupKey) {
    TreeMap<Integer, Integer> ids = idsByKey.get(lookupKey);
    return ids == null || ids.isEmpty() ? Optional.empty() : Optional.of(ids.firstKey());
  }

  /** The version of this schema in the subject, highest first if several; empty if absent. */
  public Optional<SchemaVersion> findInSubject(String subject, String lookupKey, boolean includeDeleted) {
    TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
    if (versions == null) {
      return Optional.empty();
    }
    for (SchemaVersion v : versions.descendingMap().values()) {
      if (v.lookupKey().equals(lookupKey) && (includeDeleted || !v.deleted())) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  /** The highest id ever seen; the next id to assign is this plus one. */
  public int maxId() {
    return maxId;
  }

  public Optional<CompatibilityLevel> subjectCompatibility(String subject) {
    return Optional.ofNullable(subjectCompatibility.get(subject));
  }

  public Optional<CompatibilityLevel> globalCompatibility() {
    return Optional.ofNullable(globalCompatibility);
  }

  public Optional<Mode> subjectMode(String subject) {
    return Optional.ofNullable(subjectModes.get(subject));
  }

  public Optional<Mode> globalMode() {
    return Optional.ofNullable(globalMode);
  }

  /** All subjects and versions, soft-deleted included, for tests and diagnostics. */
  public Map<String, List<SchemaVersion>> snapshot() {
    Map<String, List<SchemaVersion>> out = new TreeMap<>();
    subjects.forEach((s, versions) -> out.put(s, List.copyOf(versions.values())));
    return Collections.unmodifiableMap(out);
  }

  /** Sort key for the by-id index: subject, then version. */
  private record SubjectVersionRefKey(String subject, int version) implements Comparable<SubjectVersionRefKey> {
    @Override
    public int compareTo(SubjectVersionRefKey o) {
      int c = subject.compareTo(o.subject);
      return c != 0 ? c : Integer.compare(version, o.version);
    }
  }
}
