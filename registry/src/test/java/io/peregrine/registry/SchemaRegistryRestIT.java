package io.peregrine.registry;

import static io.peregrine.registry.RegistryHttp.json;
import static io.peregrine.registry.RegistryHttp.schemaBody;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The REST contract against a real registry on a real broker: every endpoint, every error code,
 * exact JSON. Each test uses its own subjects, so tests do not depend on one another.
 */
class SchemaRegistryRestIT {

  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  private static SchemaRegistryServer server;
  private static RegistryHttp http;

  static final String V1 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"io.peregrine.test\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"string\"}]}";
  static final String V2 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"io.peregrine.test\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\",\"default\":0}]}";
  /** Adds a field without a default: not BACKWARD compatible with V1. */
  static final String BREAKING = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"io.peregrine.test\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"currency\",\"type\":\"string\"}]}";

  @BeforeAll
  static void start() {
    server = SchemaRegistryServer.start(RegistryConfig.builder()
        .bootstrapServers(KAFKA.bootstrapServers())
        .port(0)
        .topic("_schemas_rest_" + UUID.randomUUID().toString().substring(0, 8))
        .maxRequestBytes(1024 * 1024)
        .build());
    http = new RegistryHttp(server.url());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static String subject(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 6) + "-value";
  }

  private static String quoted(String s) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
  }

  private static int register(String subject, String schema) {
    RegistryHttp.Response r = http.post("/subjects/" + subject + "/versions", schemaBody(schema));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().get("id").asInt();
  }

  private static void assertError(RegistryHttp.Response r, int status, int code, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).isEqualTo(RegistryHttp.V1);
    if (message == null) {
      assertThat(r.json().get("error_code").asInt()).isEqualTo(code);
      assertThat(r.json().get("message").asText()).isNotEmpty();
    } else {
      assertThat(r.json()).isEqualTo(json("{\"error_code\":" + code + ",\"message\":" + quoted(message) + "}"));
    }
  }

  // ------------------------------------------------------------------------------ basics

  @Test
  void shouldAnswerRootAndTypesWithAnyAcceptHeader() {
    RegistryHttp.Response noAccept = http.get("/");
    assertThat(noAccept.status()).isEqualTo(200);
    assertThat(noAccept.body()).isEqualTo("{}");
    assertThat(noAccept.contentType()).isEqualTo(RegistryHttp.V1);

    RegistryHttp.Response javaDefault = http.get("/schemas/types", "Accept", RegistryHttp.JAVA_DEFAULT_ACCEPT);
    assertThat(javaDefault.status()).isEqualTo(200);
    assertThat(javaDefault.body()).isEqualTo("[\"AVRO\"]");
    assertThat(javaDefault.contentType()).isEqualTo(RegistryHttp.V1);

    RegistryHttp.Response plainJson = http.get("/config", "Accept", "application/json");
    assertThat(plainJson.contentType()).isEqualTo("application/json");
    assertThat(plainJson.json()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));
  }

  @Test
  void shouldServeTheKafkajsRegisterFlow() {
    String s = subject("kafkajs");

    assertError(http.get("/config/" + s), 404, 40408,
        "Subject '" + s + "' does not have subject-level compatibility configured");
    // kafkajs omits schemaType for AVRO.
    RegistryHttp.Response registered = http.post("/subjects/" + s + "/versions",
        "{\"schema\":" + quoted(V1) + "}", "Content-Type", "application/vnd.schemaregistry.v1+json");
    assertThat(registered.status()).isEqualTo(200);
    int id = registered.json().get("id").asInt();
    assertThat(registered.json()).isEqualTo(json("{\"id\":" + id + "}"));

    RegistryHttp.Response put = http.put("/config/" + s, "{\"compatibility\":\"BACKWARD\"}");
    assertThat(put.status()).isEqualTo(200);
    assertThat(put.json()).isEqualTo(json("{\"compatibility\":\"BACKWARD\"}"));
    assertThat(http.get("/config/" + s).json()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));

    // kafkajs decode: GET /schemas/ids/{id}, schemaType absent for Avro.
    assertThat(http.get("/schemas/ids/" + id).json()).isEqualTo(json("{\"schema\":" + quoted(V1) + "}"));
  }

  @Test
  void shouldServeTheJavaSerializerFlow() {
    String s = subject("java");
    // CachedSchemaRegistryClient: schemaType AVRO, references [], ignorable query params, default Accept.
    RegistryHttp.Response r = http.post("/subjects/" + s + "/versions?normalize=false",
        "{\"schemaType\":\"AVRO\",\"references\":[],\"schema\":" + quoted(V1) + "}",
        "Accept", RegistryHttp.JAVA_DEFAULT_ACCEPT);
    assertThat(r.status()).isEqualTo(200);
    int id = r.json().get("id").asInt();

    assertThat(http.get("/schemas/ids/" + id + "?fetchMaxId=false&subject=" + s, "Accept", RegistryHttp.JAVA_DEFAULT_ACCEPT)
        .json()).isEqualTo(json("{\"schema\":" + quoted(V1) + "}"));
    assertThat(http.post("/subjects/" + s + "?normalize=false&deleted=false", schemaBody(V1)).json())
        .isEqualTo(json("{\"subject\":\"" + s + "\",\"version\":1,\"id\":" + id + ",\"schema\":" + quoted(V1) + "}"));
    assertThat(http.get("/subjects/" + s + "/versions/latest?unknownParam=1").json())
        .isEqualTo(json("{\"subject\":\"" + s + "\",\"version\":1,\"id\":" + id + ",\"schema\":" + quoted(V1) + "}"));
  }

  // ------------------------------------------------------------------------------ register

  @Test
  void shouldRegisterIdempotentlyAndReuseIdsAcrossSubjects() {
    String a = subject("a");
    String b = subject("b");
    int id1 = register(a, V1);
    // The same schema, formatted differently, is the same schema.
    int again = register(a, V1.replace(",", " ,\n "));
    int id2 = register(a, V2);
    int inB = register(b, V2);

    assertThat(again).isEqualTo(id1);
    assertThat(id2).isEqualTo(id1 + 1);
    assertThat(inB).isEqualTo(id2);
    assertThat(http.get("/subjects/" + a + "/versions").json()).isEqualTo(json("[1,2]"));
    assertThat(http.get("/subjects/" + b + "/versions").json()).isEqualTo(json("[1]"));
    assertThat(http.get("/subjects/" + a + "/versions/2").json()).isEqualTo(
        json("{\"subject\":\"" + a + "\",\"version\":2,\"id\":" + id2 + ",\"schema\":" + quoted(V2) + "}"));
    assertThat(http.get("/subjects/" + a + "/versions/1/schema").body()).isEqualTo(V1);
    assertThat(http.get("/schemas/ids/" + id2 + "/schema").body()).isEqualTo(V2);
    // Sorted by subject: "a-..." before "b-...".
    assertThat(http.get("/schemas/ids/" + id2 + "/versions").json()).isEqualTo(json(
        "[{\"subject\":\"" + a + "\",\"version\":2},{\"subject\":\"" + b + "\",\"version\":1}]"));
    assertThat(http.get("/schemas/ids/" + id2 + "/subjects").json()).containsExactlyInAnyOrder(
        json("\"" + a + "\""), json("\"" + b + "\""));
    assertThat(http.get("/schemas/ids/" + id2 + "?fetchMaxId=true").json().get("maxId").asInt()).isGreaterThanOrEqualTo(id2);
    assertThat(http.get("/subjects/" + a + "/versions/1/referencedby").json()).isEqualTo(json("[]"));
  }

  @Test
  void shouldStoreTheCanonicalString() {
    String s = subject("canonical");
    int id = register(s, "{ \"type\" : \"string\" }");

    assertThat(http.get("/schemas/ids/" + id).json()).isEqualTo(json("{\"schema\":\"\\\"string\\\"\"}"));
  }

  @Test
  void shouldRejectIncompatibleSchemasWith409() {
    String s = subject("compat");
    register(s, V1);

    RegistryHttp.Response r = http.post("/subjects/" + s + "/versions", schemaBody(BREAKING));

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("error_code").asInt()).isEqualTo(409);
    assertThat(r.json().get("message").asText()).isEqualTo("Schema being registered is incompatible with an earlier "
        + "schema for subject \"" + s + "\", details: [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', "
        + "description:'The field 'currency' at path '/fields/1' in the new schema has no default value and is "
        + "missing in the old schema', additionalInfo:'currency'}, {oldSchemaVersion: 1}, {oldSchema: '" + V1
        + "'}, {validateFields: 'false', compatibility: 'BACKWARD'}]");
    assertThat(http.get("/subjects/" + s + "/versions").json()).isEqualTo(json("[1]"));
  }

  @Test
  void shouldCheckCompatibility() {
    String s = subject("check");
    register(s, V1);

    assertThat(http.post("/compatibility/subjects/" + s + "/versions/latest", schemaBody(V2)).json())
        .isEqualTo(json("{\"is_compatible\":true}"));
    assertThat(http.post("/compatibility/subjects/" + s + "/versions/1", schemaBody(BREAKING)).json())
        .isEqualTo(json("{\"is_compatible\":false}"));
    RegistryHttp.Response verbose = http.post("/compatibility/subjects/" + s + "/versions?verbose=true", schemaBody(BREAKING));
    assertThat(verbose.json().get("is_compatible").asBoolean()).isFalse();
    assertThat(verbose.json().get("messages").get(0).asText()).startsWith("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'");
    assertThat(http.post("/compatibility/subjects/" + s + "/versions?verbose=true", schemaBody(V2)).json())
        .isEqualTo(json("{\"is_compatible\":true,\"messages\":[]}"));
    assertError(http.post("/compatibility/subjects/" + s + "/versions/2", schemaBody(V2)), 404, 40402, "Version 2 not found.");
    assertError(http.post("/compatibility/subjects/" + subject("none") + "/versions/1", schemaBody(V2)), 404, 40401, null);
    assertError(http.post("/compatibility/subjects/" + s + "/versions/x", schemaBody(V2)), 422, 42202, null);
  }

  // ------------------------------------------------------------------------------ delete

  @Test
  void shouldSoftThenPermanentlyDeleteSubjects() {
    String s = subject("del");
    int id = register(s, V1);
    register(s, V2);

    assertError(http.delete("/subjects/" + s + "?permanent=true"), 404, 40405,
        "Subject '" + s + "' was not deleted first before being permanently deleted");
    RegistryHttp.Response soft = http.delete("/subjects/" + s);
    assertThat(soft.status()).isEqualTo(200);
    assertThat(soft.json()).isEqualTo(json("[1,2]"));
    assertError(http.delete("/subjects/" + s), 404, 40404,
        "Subject '" + s + "' was soft deleted.Set permanent=true to delete permanently");
    assertError(http.get("/subjects/" + s + "/versions"), 404, 40401, "Subject '" + s + "' not found.");
    assertThat(http.get("/subjects/" + s + "/versions?deleted=true").json()).isEqualTo(json("[1,2]"));
    assertThat(http.get("/subjects").json().toString()).doesNotContain(s);
    assertThat(http.get("/subjects?deleted=true").json().toString()).contains(s);
    assertThat(http.get("/schemas/ids/" + id).status()).isEqualTo(200);

    assertThat(http.delete("/subjects/" + s + "?permanent=true").json()).isEqualTo(json("[1,2]"));
    assertError(http.get("/subjects/" + s + "/versions?deleted=true"), 404, 40401, null);
    assertError(http.delete("/subjects/" + s), 404, 40401, "Subject '" + s + "' not found.");
  }

  @Test
  void shouldSoftThenPermanentlyDeleteVersions() {
    String s = subject("delv");
    register(s, V1);
    register(s, V2);

    assertError(http.delete("/subjects/" + s + "/versions/1?permanent=true"), 404, 40407,
        "Subject '" + s + "' Version 1 was not deleted first before being permanently deleted");
    assertThat(http.delete("/subjects/" + s + "/versions/1").json()).isEqualTo(json("1"));
    assertError(http.delete("/subjects/" + s + "/versions/1"), 404, 40406,
        "Subject '" + s + "' Version 1 was soft deleted.Set permanent=true to delete permanently");
    assertError(http.get("/subjects/" + s + "/versions/1"), 404, 40402, "Version 1 not found.");
    assertThat(http.get("/subjects/" + s + "/versions/1?deleted=true").json().get("version").asInt()).isEqualTo(1);
    assertThat(http.delete("/subjects/" + s + "/versions/1?permanent=true").json()).isEqualTo(json("1"));
    assertThat(http.get("/subjects/" + s + "/versions?deleted=true").json()).isEqualTo(json("[2]"));
    assertError(http.delete("/subjects/" + s + "/versions/7"), 404, 40402, "Version 7 not found.");
    assertError(http.delete("/subjects/" + s + "/versions/0"), 422, 42202, null);
    assertThat(http.delete("/subjects/" + s + "/versions/latest").json()).isEqualTo(json("2"));
    // A new version counts past the deleted ones.
    register(s, V1);
    assertThat(http.get("/subjects/" + s + "/versions").json()).isEqualTo(json("[3]"));
  }

  // ------------------------------------------------------------------------------ config, mode

  @Test
  void shouldManageConfig() {
    String s = subject("config");
    assertThat(http.get("/config").json()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));
    assertThat(http.get("/config/" + s + "?defaultToGlobal=true").json()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));

    assertThat(http.put("/config/" + s, "{\"compatibility\":\"NONE\"}").json()).isEqualTo(json("{\"compatibility\":\"NONE\"}"));
    register(s, V1);
    register(s, BREAKING); // NONE at subject level overrides the global BACKWARD
    assertThat(http.get("/config/" + s).json()).isEqualTo(json("{\"compatibilityLevel\":\"NONE\"}"));
    assertError(http.put("/config/" + s, "{\"compatibility\":\"SIDEWAYS\"}"), 422, 42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, "
            + "forward_transitive, and full_transitive");
    assertThat(http.delete("/config/" + s).json()).isEqualTo(json("{\"compatibilityLevel\":\"NONE\"}"));
    assertError(http.delete("/config/" + s), 404, 40401, "Subject '" + s + "' not found.");
    assertError(http.get("/config/" + s), 404, 40408, null);
  }

  @Test
  void shouldManageGlobalConfigAndResetIt() {
    try {
      assertThat(http.put("/config", "{\"compatibility\":\"FULL\"}").json()).isEqualTo(json("{\"compatibility\":\"FULL\"}"));
      assertThat(http.get("/config").json()).isEqualTo(json("{\"compatibilityLevel\":\"FULL\"}"));
    } finally {
      assertThat(http.delete("/config").json()).isEqualTo(json("{\"compatibilityLevel\":\"FULL\"}"));
    }
    assertThat(http.get("/config").json()).isEqualTo(json("{\"compatibilityLevel\":\"BACKWARD\"}"));
  }

  @Test
  void shouldBlockWritesInReadOnlyMode() {
    String s = subject("mode");
    register(s, V1);
    assertThat(http.get("/mode").json()).isEqualTo(json("{\"mode\":\"READWRITE\"}"));

    assertThat(http.put("/mode/" + s, "{\"mode\":\"READONLY\"}").json()).isEqualTo(json("{\"mode\":\"READONLY\"}"));
    assertError(http.post("/subjects/" + s + "/versions", schemaBody(V2)), 422, 42205, "Subject " + s + " is in read-only mode");
    assertError(http.delete("/subjects/" + s), 422, 42205, null);
    assertThat(http.get("/mode/" + s).json()).isEqualTo(json("{\"mode\":\"READONLY\"}"));
    assertThat(http.delete("/mode/" + s).json()).isEqualTo(json("{\"mode\":\"READONLY\"}"));
    assertError(http.get("/mode/" + s), 404, 40409, null);
    assertThat(register(s, V2)).isPositive();

    try {
      http.put("/mode", "{\"mode\":\"READONLY\"}");
      assertError(http.post("/subjects/" + s + "/versions", schemaBody(BREAKING)), 422, 42205, null);
    } finally {
      assertThat(http.put("/mode", "{\"mode\":\"READWRITE\"}").status()).isEqualTo(200);
    }
    assertError(http.put("/mode", "{\"mode\":\"SIDEWAYS\"}"), 422, 42204, null);
  }

  // ------------------------------------------------------------------------------ errors

  @Test
  void shouldAnswerLookupsAndMissingThings() {
    String s = subject("missing");
    register(s, V1);

    assertError(http.get("/subjects/" + subject("nope") + "/versions"), 404, 40401, null);
    assertError(http.get("/subjects/" + s + "/versions/9"), 404, 40402, "Version 9 not found.");
    assertError(http.get("/schemas/ids/999999"), 404, 40403, "Schema 999999 not found");
    assertError(http.post("/subjects/" + s, schemaBody(V2)), 404, 40403, "Schema not found");
    assertError(http.post("/subjects/" + subject("nope"), schemaBody(V2)), 404, 40401, null);
    assertError(http.get("/subjects/" + s + "/versions/abc"), 422, 42202,
        "The specified version 'abc' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    assertError(http.get("/nothing/here"), 404, 404, "HTTP 404 Not Found");
    assertError(http.method("PATCH", "/subjects"), 405, 405, "HTTP 405 Method Not Allowed");
    assertError(http.method("DELETE", "/schemas/types"), 405, 405, null);
  }

  @Test
  void shouldRejectBadBodiesWithoutHarm() {
    String s = subject("bad");
    String path = "/subjects/" + s + "/versions";

    assertError(http.post(path, "this is not json"), 400, 400, null);
    assertError(http.post(path, "{\"schema\": \"{\\\"type\\\": \\\"rec"), 400, 400, null);
    assertError(http.post(path, ""), 422, 422, null);
    assertError(http.post(path, "{}"), 422, 422, "schema may not be empty");
    assertError(http.post(path, schemaBody("{\"type\":\"record\",\"name\":\"X\"}")), 422, 42201, null);
    assertError(http.post(path, schemaBody("not avro")), 422, 42201, null);
    assertError(http.post(path, "{\"schemaType\":\"JSON\",\"schema\":\"{}\"}"), 422, 42201,
        "Invalid schema type JSON. This registry supports AVRO only.");
    assertError(http.post(path, "{\"schema\":\"\\\"int\\\"\"}", "Content-Type", "text/plain"), 415, 415, null);
    byte[] huge = new byte[2 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) 'x');
    assertError(http.post(path, huge), 413, 413, null);

    // The server is fine afterwards.
    assertThat(register(s, V1)).isPositive();
  }

  @Test
  void shouldDecodeUrlEncodedSubjects() {
    String s = "topic/with spaces+" + UUID.randomUUID().toString().substring(0, 6);
    String encoded = java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    int id = register(encoded, V1);

    assertThat(http.get("/subjects").json().toString()).contains(json("\"" + s + "\"").toString());
    assertThat(http.get("/subjects?subjectPrefix=" + java.net.URLEncoder.encode("topic/with", StandardCharsets.UTF_8)).json()
        .toString()).contains("topic/with spaces+");
    assertThat(http.get("/subjects/" + encoded + "/versions/1").json().get("id").asInt()).isEqualTo(id);
  }

  @Test
  void shouldKeepAliveAndAnswerPipelinedRequestsInOrder() throws Exception {
    String s = subject("pipe");
    String body = schemaBody(V1);
    String requests = "GET /subjects/" + s + "/versions HTTP/1.1\r\nHost: x\r\n\r\n"
        + "POST /subjects/" + s + "/versions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body
        + "GET /subjects/" + s + "/versions HTTP/1.1\r\nHost: x\r\n\r\n";
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(requests.getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      List<String> bodies = new ArrayList<>();
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        statuses.add(Integer.parseInt(in.readLine().split(" ")[1]));
        int length = 0;
        for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
          if (line.toLowerCase().startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        char[] buf = new char[length];
        int read = 0;
        while (read < length) {
          read += in.read(buf, read, length - read);
        }
        bodies.add(new String(buf));
      }
      assertThat(statuses).containsExactly(404, 200, 200);
      assertThat(bodies.get(2)).isEqualTo("[1]");
    }
  }

  @Test
  void shouldRefuseToStartOnATakenPortAndLeaveTheRunningOneAlone() {
    RegistryConfig sameport = RegistryConfig.builder()
        .bootstrapServers(KAFKA.bootstrapServers())
        .port(server.port())
        .topic(server.config().topic())
        .build();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SchemaRegistryServer.start(sameport))
        .isInstanceOf(RegistryStartupException.class)
        .hasMessageContaining(String.valueOf(server.port()));
    assertThat(http.get("/").status()).isEqualTo(200);
  }
}
