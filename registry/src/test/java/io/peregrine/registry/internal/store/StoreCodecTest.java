package io.peregrine.registry.internal.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.registry.internal.schema.CompatibilityLevel;
import io.peregrine.registry.internal.state.Mode;
import io.peregrine.registry.internal.state.RegistryState;
import io.peregrine.registry.internal.state.SchemaVersion;
import org.junit.jupiter.api.Test;

class StoreCodecTest {

  private static final String SCHEMA = "{\"type\":\"record\",\"name\":\"myrecord\",\"fields\":[{\"name\":\"f1\",\"type\":\"string\"}]}";

  private static String s(byte[] b) {
    return new String(b, UTF_8);
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void shouldWriteConfluentKeysAndValues() {
    SchemaVersion v = new SchemaVersion("test", 1, 1, SCHEMA, null, null, false, "k");

    assertThat(s(StoreCodec.schemaKey("test", 1))).isEqualTo("{\"keytype\":\"SCHEMA\",\"subject\":\"test\",\"version\":1,\"magic\":1}");
    assertThat(s(StoreCodec.schemaValue(v))).isEqualTo(
        "{\"subject\":\"test\",\"version\":1,\"id\":1,\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"myrecord\\\","
            + "\\\"fields\\\":[{\\\"name\\\":\\\"f1\\\",\\\"type\\\":\\\"string\\\"}]}\",\"deleted\":false}");
    assertThat(s(StoreCodec.configKey("orders-value"))).isEqualTo("{\"keytype\":\"CONFIG\",\"subject\":\"orders-value\",\"magic\":0}");
    assertThat(s(StoreCodec.configKey(null))).isEqualTo("{\"keytype\":\"CONFIG\",\"magic\":0}");
    assertThat(s(StoreCodec.configValue(CompatibilityLevel.FULL))).isEqualTo("{\"compatibilityLevel\":\"FULL\"}");
    assertThat(s(StoreCodec.modeKey(null))).isEqualTo("{\"keytype\":\"MODE\",\"magic\":0}");
    assertThat(s(StoreCodec.modeValue(Mode.READONLY))).isEqualTo("{\"mode\":\"READONLY\"}");
    assertThat(s(StoreCodec.deleteSubjectKey("x"))).isEqualTo("{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"x\",\"magic\":0}");
    assertThat(s(StoreCodec.deleteSubjectValue("x", 3))).isEqualTo("{\"subject\":\"x\",\"version\":3}");
  }

  @Test
  void shouldReplayARecordedConfluentLog() {
    RegistryState state = new RegistryState();
    String[][] log = {
        {"{\"keytype\":\"NOOP\",\"magic\":0}", null},
        {"{\"keytype\":\"SCHEMA\",\"subject\":\"test\",\"version\":1,\"magic\":1}",
            "{\"subject\":\"test\",\"version\":1,\"id\":1,\"schema\":\"\\\"string\\\"\",\"deleted\":false}"},
        {"{\"keytype\":\"SCHEMA\",\"subject\":\"test\",\"version\":2,\"magic\":0}",
            "{\"subject\":\"test\",\"version\":2,\"id\":7,\"schemaType\":\"AVRO\",\"schema\":\"{\\\"type\\\": \\\"int\\\"}\",\"deleted\":false,\"md5\":\"x\"}"},
        {"{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}", "{\"compatibilityLevel\":\"FULL\"}"},
        {"{\"keytype\":\"CONFIG\",\"subject\":\"test\",\"magic\":0}", "{\"compatibilityLevel\":\"none\"}"},
        {"{\"keytype\":\"MODE\",\"magic\":0}", "{\"mode\":\"READONLY\"}"},
        {"{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"test\",\"magic\":0}", "{\"subject\":\"test\",\"version\":1}"},
    };
    for (String[] record : log) {
      StoreCodec.Decoded d = StoreCodec.decode(b(record[0]), record[1] == null ? null : b(record[1]));
      if (d instanceof StoreCodec.Decoded.Apply a) {
        a.mutation().accept(state);
      } else {
        assertThat(d).isInstanceOf(StoreCodec.Decoded.Ignore.class);
      }
    }

    assertThat(state.versions("test", true)).extracting(SchemaVersion::version, SchemaVersion::id, SchemaVersion::deleted)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 1, true), org.assertj.core.groups.Tuple.tuple(2, 7, false));
    assertThat(state.versions("test", false).get(0).schemaType()).isNull();
    // The stored text is kept; the identity is the canonical form.
    assertThat(state.idFor(SchemaVersion.lookupKey(null, "\"int\""))).contains(7);
    assertThat(state.maxId()).isEqualTo(7);
    assertThat(state.globalCompatibility()).contains(CompatibilityLevel.FULL);
    assertThat(state.subjectCompatibility("test")).contains(CompatibilityLevel.NONE);
    assertThat(state.globalMode()).contains(Mode.READONLY);
  }

  @Test
  void shouldSkipRecordsItCannotUseWithAStableCause() {
    assertThat(StoreCodec.decode(b("not json"), b("{}"))).isEqualTo(new StoreCodec.Decoded.Skip("unparsable key", "not json"));
    assertThat(StoreCodec.decode(b("{\"keytype\":\"CONTEXT\",\"tenant\":\"default\",\"context\":\".a\"}"), b("{}")))
        .isInstanceOfSatisfying(StoreCodec.Decoded.Skip.class, s -> assertThat(s.cause()).isEqualTo("unsupported keytype CONTEXT"));
    assertThat(StoreCodec.decode(b("{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":2}"), b("{}")))
        .isInstanceOfSatisfying(StoreCodec.Decoded.Skip.class,
            s -> assertThat(s.cause()).isEqualTo("Can't deserialize schema for the magic byte 2"));
    assertThat(StoreCodec.decode(b("{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":1}"), b("{\"id\":")))
        .isInstanceOfSatisfying(StoreCodec.Decoded.Skip.class, s -> assertThat(s.cause()).isEqualTo("unparsable SCHEMA value"));
    assertThat(StoreCodec.decode(b("{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":1}"), b("{\"schema\":\"x\"}")))
        .isInstanceOf(StoreCodec.Decoded.Skip.class);
    assertThat(StoreCodec.decode(b("{\"keytype\":\"CONFIG\",\"magic\":0}"), b("{\"compatibilityLevel\":\"SIDEWAYS\"}")))
        .isInstanceOf(StoreCodec.Decoded.Skip.class);
    assertThat(StoreCodec.decode(b("[1,2]"), null)).isInstanceOf(StoreCodec.Decoded.Skip.class);
    assertThat(StoreCodec.decode(null, null)).isInstanceOf(StoreCodec.Decoded.Skip.class);
  }
}
