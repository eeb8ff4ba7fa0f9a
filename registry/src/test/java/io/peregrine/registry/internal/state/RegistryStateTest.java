package io.peregrine.registry.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RegistryStateTest {

  private static SchemaVersion v(String subject, int version, int id, String text, boolean deleted) {
    return new SchemaVersion(subject, version, id, text, null, null, deleted, SchemaVersion.lookupKey(null, text));
  }

  @Test
  void shouldIndexIdsAcrossSubjectsAndKeepMaxIdAfterTombstones() {
    RegistryState state = new RegistryState();
    state.putSchema(v("a", 1, 1, "\"int\"", false));
    state.putSchema(v("b", 1, 1, "\"int\"", false));
    state.putSchema(v("a", 2, 2, "\"long\"", false));

    assertThat(state.versionsWithId(1, false)).extracting(SchemaVersion::subject).containsExactly("a", "b");
    assertThat(state.idFor(SchemaVersion.lookupKey(null, "\"long\""))).contains(2);

    state.putSchema(v("a", 2, 2, "\"long\"", true));
    state.removeSchema("a", 2);

    assertThat(state.schemaById(2)).isEmpty();
    assertThat(state.idFor(SchemaVersion.lookupKey(null, "\"long\""))).isEmpty();
    assertThat(state.maxId()).isEqualTo(2);
    assertThat(state.maxVersion("a")).isEqualTo(1);
  }

  @Test
  void shouldServeSoftDeletedSchemasByIdButNotAsLive() {
    RegistryState state = new RegistryState();
    state.putSchema(v("a", 1, 1, "\"int\"", false));
    state.putSchema(v("a", 2, 2, "\"long\"", false));
    state.softDeleteSubject("a", 2);

    assertThat(state.hasSubject("a", false)).isFalse();
    assertThat(state.hasSubject("a", true)).isTrue();
    assertThat(state.subjects(false, null)).isEmpty();
    assertThat(state.subjects(true, null)).containsExactly("a");
    assertThat(state.schemaById(1)).isPresent();
    assertThat(state.latestLive("a")).isEmpty();
    assertThat(state.maxVersion("a")).isEqualTo(2);
  }

  @Test
  void shouldMarkOnlyVersionsUpToTheDeleteWatermark() {
    RegistryState state = new RegistryState();
    state.putSchema(v("a", 1, 1, "\"int\"", false));
    state.putSchema(v("a", 2, 2, "\"long\"", false));
    state.softDeleteSubject("a", 1);

    assertThat(state.versions("a", false)).extracting(SchemaVersion::version).containsExactly(2);
  }

  @Test
  void shouldFilterSubjectsByPrefixInOrder() {
    RegistryState state = new RegistryState();
    state.putSchema(v("orders-value", 1, 1, "\"int\"", false));
    state.putSchema(v("orders-key", 1, 2, "\"long\"", false));
    state.putSchema(v("payments-value", 1, 1, "\"int\"", false));

    assertThat(state.subjects(false, "orders")).containsExactly("orders-key", "orders-value");
    assertThat(state.subjects(false, null)).containsExactly("orders-key", "orders-value", "payments-value");
  }
}
