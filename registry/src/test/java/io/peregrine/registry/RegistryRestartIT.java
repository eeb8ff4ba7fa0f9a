package io.peregrine.registry;

import static io.peregrine.registry.RegistryHttp.json;
import static io.peregrine.registry.RegistryHttp.schemaBody;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The topic is the database: a new instance on the same topic has the same ids, versions and config. */
class RegistryRestartIT {

  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static final String A = "{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
  private static final String A2 = "{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"},"
      + "{\"name\":\"y\",\"type\":\"string\",\"default\":\"\"}]}";
  private static final String B = "{\"type\":\"enum\",\"name\":\"B\",\"symbols\":[\"ONE\",\"TWO\"]}";

  private static SchemaRegistryServer start(String topic) {
    return SchemaRegistryServer.start(RegistryConfig.builder()
        .bootstrapServers(KAFKA.bootstrapServers()).port(0).topic(topic).build());
  }

  @Test
  void shouldKeepIdsVersionsAndConfigAcrossRestarts() {
    String topic = "_schemas_restart_" + UUID.randomUUID().toString().substring(0, 8);
    try (SchemaRegistryServer first = start(topic)) {
      RegistryHttp http = new RegistryHttp(first.url());
      assertThat(http.post("/subjects/a-value/versions", schemaBody(A)).body()).isEqualTo("{\"id\":1}");
      assertThat(http.post("/subjects/a-value/versions", schemaBody(A2)).body()).isEqualTo("{\"id\":2}");
      assertThat(http.post("/subjects/b-value/versions", schemaBody(B)).body()).isEqualTo("{\"id\":3}");
      assertThat(http.post("/subjects/c-value/versions", schemaBody(A)).body()).isEqualTo("{\"id\":1}");
      assertThat(http.put("/config/b-value", "{\"compatibility\":\"FULL\"}").status()).isEqualTo(200);
      assertThat(http.delete("/subjects/a-value/versions/1").status()).isEqualTo(200);
    }

    try (SchemaRegistryServer second = start(topic)) {
      RegistryHttp http = new RegistryHttp(second.url());
      assertThat(http.get("/subjects").json()).isEqualTo(json("[\"a-value\",\"b-value\",\"c-value\"]"));
      assertThat(http.get("/subjects/a-value/versions").json()).isEqualTo(json("[2]"));
      assertThat(http.get("/subjects/a-value/versions?deleted=true").json()).isEqualTo(json("[1,2]"));
      assertThat(http.get("/subjects/a-value/versions/2").json().get("id").asInt()).isEqualTo(2);
      assertThat(http.get("/subjects/c-value/versions/1").json().get("id").asInt()).isEqualTo(1);
      assertThat(http.get("/schemas/ids/3").json()).isEqualTo(json("{\"schema\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(B) + "}"));
      assertThat(http.get("/config/b-value").json()).isEqualTo(json("{\"compatibilityLevel\":\"FULL\"}"));
      // Idempotent after restart, and new ids / versions continue where the log left off.
      assertThat(http.post("/subjects/b-value/versions", schemaBody(B)).body()).isEqualTo("{\"id\":3}");
      assertThat(http.post("/subjects/a-value/versions", schemaBody("\"string\"")).status()).isEqualTo(409);
      assertThat(http.put("/config/a-value", "{\"compatibility\":\"NONE\"}").status()).isEqualTo(200);
      assertThat(http.post("/subjects/a-value/versions", schemaBody("\"string\"")).body()).isEqualTo("{\"id\":4}");
      assertThat(http.get("/subjects/a-value/versions").json()).isEqualTo(json("[2,3]"));
    }
  }
}
