package io.peregrine.registry.internal.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AvroSchemasTest {

  @Test
  void shouldCanonicalizeLikeConfluent() {
    assertThat(AvroSchemas.parse("{\"type\": \"string\"}", true).canonical()).isEqualTo("\"string\"");
    assertThat(AvroSchemas.parse(" {\"type\":\"record\", \"name\":\"R\",\n \"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}", true)
        .canonical()).isEqualTo("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}");
  }

  @Test
  void shouldKeepDefaultsAndDocsInTheIdentity() {
    String withDefault = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":1}]}";
    String otherDefault = withDefault.replace("\"default\":1", "\"default\":2");

    assertThat(AvroSchemas.parse(withDefault, true).canonical())
        .isNotEqualTo(AvroSchemas.parse(otherDefault, true).canonical());
  }

  @Test
  void shouldRejectInvalidSchemasWithTheParserMessage() {
    assertThatThrownBy(() -> AvroSchemas.parse("{\"type\":\"record\",\"name\":\"R\"}", true))
        .isInstanceOf(AvroSchemas.InvalidSchemaException.class).hasMessageContaining("fields");
    assertThatThrownBy(() -> AvroSchemas.parse("{\"type\":", true))
        .isInstanceOf(AvroSchemas.InvalidSchemaException.class);
    assertThatThrownBy(() -> AvroSchemas.parse("not json", true))
        .isInstanceOf(AvroSchemas.InvalidSchemaException.class);
    assertThatThrownBy(() -> AvroSchemas.parse("", true))
        .isInstanceOf(AvroSchemas.InvalidSchemaException.class).hasMessage("Empty schema");
  }

  @Test
  void shouldValidateDefaultsOnlyForNewSchemas() {
    String badDefault = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}]}";

    assertThatThrownBy(() -> AvroSchemas.parse(badDefault, true)).isInstanceOf(AvroSchemas.InvalidSchemaException.class);
    assertThat(AvroSchemas.parse(badDefault, false).schema().getField("a")).isNotNull();
  }

  @Test
  void shouldSurviveDeeplyNestedInput() {
    String deep = "[".repeat(5000) + "\"int\"" + "]".repeat(5000);

    assertThatThrownBy(() -> AvroSchemas.parse(deep, true)).isInstanceOf(AvroSchemas.InvalidSchemaException.class);
  }
}
