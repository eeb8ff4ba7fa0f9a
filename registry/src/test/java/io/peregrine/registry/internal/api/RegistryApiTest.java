package io.peregrine.registry.internal.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.registry.internal.schema.CompatibilityLevel;
import io.peregrine.registry.internal.state.SharedState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Confluent semantics of every operation, against the state machine and codec (no Kafka, no HTTP). */
class RegistryApiTest {

  private static final String V1 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}";
  private static final String V2 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
      + "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}";
  private static final String INCOMPATIBLE = "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
      + "{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"c\",\"type\":\"int\"}]}";

  private SharedState state;
  private InMemoryWriter writer;
  private RegistryApi api;

  @BeforeEach
  void setUp() {
    state = new SharedState();
    writer = new InMemoryWriter(state);
    api = new RegistryApi(state, writer, CompatibilityLevel.BACKWARD);
  }

  private static JsonNode body(String schema) {
    return Json.object().put("schema", schema);
  }

  private static JsonNode json(String text) {
    return Json.parseBody(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static void assertError(Runnable call, int status, int code, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(RestError.class, e -> {
      assertThat(e.status()).isEqualTo(status);
      assertThat(e.errorCode()).isEqualTo(code);
      if (message != null) {
        assertThat(e.getMessage()).isEqualTo(message);
      }
    });
  }

  @Test
  void shouldAssignGlobalIdsAndPerSubjectVersions() {
    assertThat(api.register("a", body(V1))).isEqualTo(json("{\"id\":1}"));
    assertThat(api.register("a", body(V2))).isEqualTo(json("{\"id\":2}"));
    assertThat(api.register("b", body(V2))).isEqualTo(json("{\"id\":2}"));

    assertThat(api.versions("a", false)).isEqualTo(json("[1,2]"));
    assertThat(api.version("b", "latest", false)).isEqualTo(json(
        "{\"subject\":\"b\",\"version\":1,\"id\":2,\"schema\":" + Json.object().put("x", V2).get("x") + "}"));
    assertThat(api.subjectVersionsById(2, false)).isEqualTo(json(
        "[{\"subject\":\"a\",\"version\":2},{\"subject\":\"b\",\"version\":1}]"));
  }

  @Test
  void shouldReturnTheExistingIdForTheSameSchemaInAnyFormatting() {
    api.register("a", body(V1));
    int before = writer.log().size();

    assertThat(api.register("a", body(V1.replace(",", ", ")))).isEqualTo(json("{\"id\":1}"));
    assertThat(writer.log()).hasSize(before);
    assertThat(api.versions("a", false)).isEqualTo(json("[1]"));
  }

  @Test
  void shouldRejectIncompatibleSchemasWith409() {
    api.register("a", body(V1));

    assertThatThrownBy(() -> api.register("a", body(INCOMPATIBLE))).isInstanceOfSatisfying(RestError.class, e -> {
      assertThat(e.status()).isEqualTo(409);
      assertThat(e.errorCode()).isEqualTo(409);
      assertThat(e.getMessage()).startsWith(
          "Schema being registered is incompatible with an earlier schema for subject \"a\", details: "
              + "[{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'");
    });

    api.updateConfig("a", json("{\"compatibility\":\"NONE\"}"));
    assertThat(api.register("a", body(INCOMPATIBLE))).isEqualTo(json("{\"id\":2}"));
  }

  @Test
  void shouldCountVersionsPastSoftDeletedOnes() {
    api.register("a", body(V1));
    api.register("a", body(V2));
    api.deleteVersion("a", "2", false);

    api.updateConfig("a", json("{\"compatibility\":\"NONE\"}"));
    api.register("a", body(INCOMPATIBLE));

    assertThat(api.versions("a", false)).isEqualTo(json("[1,3]"));
    assertThat(api.versions("a", true)).isEqualTo(json("[1,2,3]"));
  }

  @Test
  void shouldReRegisterASoftDeletedSchemaAsANewVersionWithItsId() {
    api.register("a", body(V1));
    api.deleteSubject("a", false);

    assertThat(api.register("a", body(V1))).isEqualTo(json("{\"id\":1}"));
    assertThat(api.versions("a", true)).isEqualTo(json("[2]"));
  }

  @Test
  void shouldEnforceSoftThenPermanentDeleteForSubjects() {
    api.register("a", body(V1));
    api.register("a", body(V2));

    assertError(() -> api.deleteSubject("a", true), 404, 40405,
        "Subject 'a' was not deleted first before being permanently deleted");
    assertThat(api.deleteSubject("a", false)).isEqualTo(json("[1,2]"));
    assertError(() -> api.deleteSubject("a", false), 404, 40404,
        "Subject 'a' was soft deleted.Set permanent=true to delete permanently");
    assertError(() -> api.versions("a", false), 404, 40401, "Subject 'a' not found.");
    assertThat(api.schemaById(1, false)).isEqualTo(json("{\"schema\":" + Json.object().put("x", V1).get("x") + "}"));

    assertThat(api.deleteSubject("a", true)).isEqualTo(json("[1,2]"));
    assertError(() -> api.deleteSubject("a", true), 404, 40401, null);
    assertError(() -> api.schemaById(1, false), 404, 40403, "Schema 1 not found");
    // Ids are never reused while the registry runs.
    assertThat(api.register("a", body(V2))).isEqualTo(json("{\"id\":3}"));
  }

  @Test
  void shouldEnforceSoftThenPermanentDeleteForVersions() {
    api.register("a", body(V1));
    api.register("a", body(V2));

    assertError(() -> api.deleteVersion("a", "1", true), 404, 40407,
        "Subject 'a' Version 1 was not deleted first before being permanently deleted");
    assertThat(api.deleteVersion("a", "1", false)).isEqualTo(json("1"));
    assertError(() -> api.deleteVersion("a", "1", false), 404, 40406,
        "Subject 'a' Version 1 was soft deleted.Set permanent=true to delete permanently");
    assertError(() -> api.version("a", "1", false), 404, 40402, "Version 1 not found.");
    assertThat(api.version("a", "1", true).get("version").asInt()).isEqualTo(1);
    assertThat(api.deleteVersion("a", "1", true)).isEqualTo(json("1"));
    assertError(() -> api.deleteVersion("a", "9", false), 404, 40402, "Version 9 not found.");
    assertError(() -> api.deleteVersion("nope", "1", false), 404, 40401, "Subject 'nope' not found.");
    assertError(() -> api.deleteVersion("a", "zero", false), 422, 42202,
        "The specified version 'zero' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    assertThat(api.deleteVersion("a", "latest", false)).isEqualTo(json("2"));
  }

  @Test
  void shouldDropSubjectConfigWhenItsLastVersionIsDeleted() {
    api.register("a", body(V1));
    api.updateConfig("a", json("{\"compatibility\":\"FULL\"}"));

    api.deleteVersion("a", "1", false);

    assertError(() -> api.subjectConfig("a", false), 404, 40408,
        "Subject 'a' does not have subject-level compatibility configured");
  }

  @Test
  void shouldAnswerConfigLikeConfluent() {
    assertThat(api.globalConfig()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));
    assertError(() -> api.subjectConfig("s", false), 404, 40408, null);
    assertThat(api.subjectConfig("s", true)).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));

    assertThat(api.updateConfig("s", json("{\"compatibility\":\"full\"}"))).isEqualTo(json("{\"compatibility\":\"full\"}"));
    assertThat(api.subjectConfig("s", false)).isEqualTo(json("{\"compatibilityLevel\":\"FULL\"}"));
    assertThat(api.updateConfig(null, json("{\"compatibility\":\"NONE\"}"))).isEqualTo(json("{\"compatibility\":\"NONE\"}"));
    assertThat(api.globalConfig()).isEqualTo(json("{\"compatibilityLevel\":\"NONE\"}"));

    assertError(() -> api.updateConfig(null, json("{\"compatibility\":\"SIDEWAYS\"}")), 422, 42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, "
            + "forward_transitive, and full_transitive");
    assertError(() -> api.updateConfig(null, json("{}")), 422, 42203, null);

    assertThat(api.deleteConfig(null)).isEqualTo(json("{\"compatibilityLevel\":\"NONE\"}"));
    assertThat(api.globalConfig()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));
    assertThat(api.deleteConfig("s")).isEqualTo(json("{\"compatibilityLevel\":\"FULL\"}"));
    assertError(() -> api.deleteConfig("s"), 404, 40401, "Subject 's' not found.");
  }

  @Test
  void shouldBlockWritesInReadOnlyMode() {
    api.register("a", body(V1));
    assertThat(api.updateMode(null, json("{\"mode\":\"READONLY\"}"))).isEqualTo(json("{\"mode\":\"READONLY\"}"));

    assertError(() -> api.register("a", body(V2)), 422, 42205, "Subject a is in read-only mode");
    assertError(() -> api.deleteSubject("a", false), 422, 42205, null);
    // Reads and idempotent re-registers still work; leaving READONLY is always allowed.
    assertThat(api.versions("a", false)).isEqualTo(json("[1]"));
    assertThat(api.register("a", body(V1))).isEqualTo(json("{\"id\":1}"));
    api.updateMode(null, json("{\"mode\":\"READWRITE\"}"));
    assertThat(api.register("a", body(V2))).isEqualTo(json("{\"id\":2}"));

    assertError(() -> api.updateMode(null, json("{\"mode\":\"SIDEWAYS\"}")), 422, 42204, null);
    assertError(() -> api.updateMode(null, json("{\"mode\":\"IMPORT\"}")), 422, 42204, null);
    assertError(() -> api.subjectMode("a", false), 404, 40409, null);
    assertThat(api.subjectMode("a", true)).isEqualTo(json("{\"mode\":\"READWRITE\"}"));
  }

  @Test
  void shouldLookUpSchemasUnderASubject() {
    api.register("a", body(V1));
    api.deleteSubject("a", false);
    api.register("b", body(V2));

    assertThat(api.lookup("b", body(V2), false)).isEqualTo(json(
        "{\"subject\":\"b\",\"version\":1,\"id\":2,\"schema\":" + Json.object().put("x", V2).get("x") + "}"));
    assertError(() -> api.lookup("b", body(V1), false), 404, 40403, "Schema not found");
    assertError(() -> api.lookup("a", body(V1), false), 404, 40401, "Subject 'a' not found.");
    assertThat(api.lookup("a", body(V1), true).get("id").asInt()).isEqualTo(1);
  }

  @Test
  void shouldCheckCompatibilityWithOptionalVerboseMessages() {
    api.register("a", body(V1));

    assertThat(api.checkCompatibility("a", "latest", body(V2), false)).isEqualTo(json("{\"is_compatible\":true}"));
    assertThat(api.checkCompatibility("a", "1", body(INCOMPATIBLE), false)).isEqualTo(json("{\"is_compatible\":false}"));
    JsonNode verbose = api.checkCompatibility("a", null, body(INCOMPATIBLE), true);
    assertThat(verbose.get("is_compatible").asBoolean()).isFalse();
    assertThat(verbose.get("messages").get(0).asText()).startsWith("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'");
    assertThat(api.checkCompatibility("new-subject", "latest", body(INCOMPATIBLE), false)).isEqualTo(json("{\"is_compatible\":true}"));
    assertError(() -> api.checkCompatibility("a", "7", body(V2), false), 404, 40402, null);
    assertError(() -> api.checkCompatibility("nope", "1", body(V2), false), 404, 40401, null);
    assertError(() -> api.checkCompatibility("a", "latest", body("{\"type\":\"nope\"}"), false), 422, 42201, null);
  }

  @Test
  void shouldValidateRegisterBodies() {
    assertError(() -> api.register("a", null), 422, 422, null);
    assertError(() -> api.register("a", json("[]")), 422, 422, null);
    assertError(() -> api.register("a", json("{}")), 422, 422, "schema may not be empty");
    assertError(() -> api.register("a", json("{\"schema\":{\"type\":\"string\"}}")), 422, 422, null);
    assertError(() -> api.register("a", body("{\"type\":\"record\"}")), 422, 42201, null);
    assertError(() -> api.register("a", json("{\"schema\":\"{}\",\"schemaType\":\"PROTOBUF\"}")), 422, 42201,
        "Invalid schema type PROTOBUF. This registry supports AVRO only.");
    assertThat(api.register("a", json("{\"schema\":\"\\\"int\\\"\",\"schemaType\":\"AVRO\",\"references\":[]}")))
        .isEqualTo(json("{\"id\":1}"));
  }

  @Test
  void shouldMapStoreFailuresToConfluentServerErrors() {
    RegistryApi timingOut = new RegistryApi(state, new RegistryApi.Writer() {
      @Override
      public <T> T write(java.util.function.Function<io.peregrine.registry.internal.state.RegistryState,
          io.peregrine.registry.internal.store.WritePlan<T>> planner) {
        throw new io.peregrine.registry.internal.store.StoreTimeoutException("slow");
      }
    }, CompatibilityLevel.BACKWARD);
    RegistryApi failing = new RegistryApi(state, new RegistryApi.Writer() {
      @Override
      public <T> T write(java.util.function.Function<io.peregrine.registry.internal.state.RegistryState,
          io.peregrine.registry.internal.store.WritePlan<T>> planner) {
        throw new io.peregrine.registry.internal.store.StoreException("broker gone");
      }
    }, CompatibilityLevel.BACKWARD);

    assertError(() -> timingOut.register("a", body(V1)), 500, 50002, "Register operation timed out");
    assertError(() -> failing.register("a", body(V1)), 500, 50001,
        "Register schema operation failed while writing to the Kafka store: broker gone");
    assertError(() -> failing.deleteSubject("a", false), 500, 50001, null);
  }
}
