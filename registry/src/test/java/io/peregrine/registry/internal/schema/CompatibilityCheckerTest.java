package io.peregrine.registry.internal.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class CompatibilityCheckerTest {

  private static final String V1 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}";
  /** Adds a field without default: not BACKWARD (old data lacks it), but FORWARD. */
  private static final String V2_REQUIRED = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
      + "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\"}]}";
  /** Adds a field with default: FULL. */
  private static final String V2_DEFAULT = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
      + "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}";
  /** Drops the field without default: BACKWARD but not FORWARD. */
  private static final String V2_DROPPED = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}";

  private static Schema schema(String s) {
    return AvroSchemas.parse(s, true).schema();
  }

  private static List<CompatibilityChecker.Previous> previous(String... texts) {
    CompatibilityChecker.Previous[] out = new CompatibilityChecker.Previous[texts.length];
    for (int i = 0; i < texts.length; i++) {
      out[i] = new CompatibilityChecker.Previous(i + 1, schema(texts[i]), AvroSchemas.parse(texts[i], true).canonical());
    }
    return List.of(out);
  }

  @Test
  void shouldRejectAddedRequiredFieldUnderBackwardWithConfluentMessages() {
    List<String> messages = CompatibilityChecker.check(CompatibilityLevel.BACKWARD, schema(V2_REQUIRED), previous(V1));

    assertThat(messages).containsExactly(
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new "
            + "schema has no default value and is missing in the old schema', additionalInfo:'b'}",
        "{oldSchemaVersion: 1}",
        "{oldSchema: '" + V1 + "'}",
        "{validateFields: 'false', compatibility: 'BACKWARD'}");
  }

  @Test
  void shouldApplyEachLevel() {
    Schema required = schema(V2_REQUIRED);
    Schema withDefault = schema(V2_DEFAULT);
    Schema dropped = schema(V2_DROPPED);

    assertThat(CompatibilityChecker.check(CompatibilityLevel.NONE, required, previous(V1))).isEmpty();
    assertThat(CompatibilityChecker.check(CompatibilityLevel.FORWARD, required, previous(V1))).isEmpty();
    assertThat(CompatibilityChecker.check(CompatibilityLevel.BACKWARD, dropped, previous(V1))).isEmpty();
    assertThat(CompatibilityChecker.check(CompatibilityLevel.FORWARD, dropped, previous(V1))).isNotEmpty()
        .first().asString().contains("in the old schema has no default value and is missing in the new schema");
    assertThat(CompatibilityChecker.check(CompatibilityLevel.FULL, withDefault, previous(V1))).isEmpty();
    assertThat(CompatibilityChecker.check(CompatibilityLevel.FULL, required, previous(V1))).isNotEmpty();
  }

  @Test
  void shouldCheckOnlyTheLatestUnlessTransitive() {
    // v1 {a}, v2 {} (a dropped), candidate {a:int}: compatible with v2 backward, not with v1 (string vs int).
    String candidate = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":0}]}";

    assertThat(CompatibilityChecker.check(CompatibilityLevel.BACKWARD, schema(candidate), previous(V1, V2_DROPPED))).isEmpty();
    List<String> transitive =
        CompatibilityChecker.check(CompatibilityLevel.BACKWARD_TRANSITIVE, schema(candidate), previous(V1, V2_DROPPED));
    assertThat(transitive).first().asString().startsWith("{errorType:'TYPE_MISMATCH'");
    assertThat(transitive).contains("{oldSchemaVersion: 1}");
  }

  @Test
  void shouldBeCompatibleWithNothing() {
    assertThat(CompatibilityChecker.check(CompatibilityLevel.FULL_TRANSITIVE, schema(V1), List.of())).isEmpty();
  }
}
