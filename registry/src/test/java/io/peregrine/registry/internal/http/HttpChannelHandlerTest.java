package io.peregrine.registry.internal.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.peregrine.registry.internal.api.InMemoryWriter;
import io.peregrine.registry.internal.api.RegistryApi;
import io.peregrine.registry.internal.schema.CompatibilityLevel;
import io.peregrine.registry.internal.state.SharedState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP edge on an in-process channel: framing, pipelining order, malformed and oversized input.
 * Executors are direct, so everything completes synchronously.
 */
class HttpChannelHandlerTest {

  private static final int MAX_BODY = 2048;

  private EmbeddedChannel channel;
  private final StringBuilder received = new StringBuilder();

  record Response(int status, Map<String, String> headers, String body) {}

  @BeforeEach
  void setUp() {
    SharedState state = new SharedState();
    RegistryApi api = new RegistryApi(state, new InMemoryWriter(state), CompatibilityLevel.BACKWARD);
    Dispatcher dispatcher = new Dispatcher(RegistryRoutes.create(api), Runnable::run, Runnable::run);
    channel = new EmbeddedChannel(
        new HttpServerCodec(), new BoundedAggregator(MAX_BODY), new HttpChannelHandler(dispatcher, MAX_BODY));
  }

  @AfterEach
  void tearDown() {
    channel.finishAndReleaseAll();
  }

  private void send(String raw) {
    channel.writeInbound(Unpooled.copiedBuffer(raw, ISO_8859_1));
    channel.runPendingTasks();
  }

  private static String request(String method, String path, String body, String... headers) {
    StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: x\r\n");
    for (String h : headers) {
      sb.append(h).append("\r\n");
    }
    if (body != null) {
      sb.append("Content-Length: ").append(body.getBytes(UTF_8).length).append("\r\n\r\n").append(body);
    } else {
      sb.append("\r\n");
    }
    return sb.toString();
  }

  /** Parses every complete response written so far. */
  private List<Response> responses() {
    ByteBuf out;
    while ((out = channel.readOutbound()) != null) {
      received.append(out.toString(ISO_8859_1));
      out.release();
    }
    List<Response> list = new ArrayList<>();
    String text = received.toString();
    int pos = 0;
    while (pos < text.length()) {
      int headEnd = text.indexOf("\r\n\r\n", pos);
      String[] lines = text.substring(pos, headEnd).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
      String contentLength = headers.get("content-length");
      int length = contentLength == null ? 0 : Integer.parseInt(contentLength);
      String body = new String(text.substring(headEnd + 4, headEnd + 4 + length).getBytes(ISO_8859_1), UTF_8);
      list.add(new Response(status, headers, body));
      pos = headEnd + 4 + length;
    }
    return list;
  }

  @Test
  void shouldAnswerPipelinedRequestsInOrder() {
    send(request("GET", "/subjects/a/versions", null)
        + request("POST", "/subjects/a/versions", "{\"schema\":\"\\\"int\\\"\"}",
            "Content-Type: application/vnd.schemaregistry.v1+json")
        + request("GET", "/subjects/a/versions", null)
        + request("GET", "/schemas/ids/1", null));

    assertThat(responses()).extracting(Response::status, Response::body).containsExactly(
        org.assertj.core.groups.Tuple.tuple(404, "{\"error_code\":40401,\"message\":\"Subject 'a' not found.\"}"),
        org.assertj.core.groups.Tuple.tuple(200, "{\"id\":1}"),
        org.assertj.core.groups.Tuple.tuple(200, "[1]"),
        org.assertj.core.groups.Tuple.tuple(200, "{\"schema\":\"\\\"int\\\"\"}"));
    assertThat(responses().get(1).headers())
        .containsEntry("content-type", "application/vnd.schemaregistry.v1+json")
        .containsEntry("connection", "keep-alive");
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void shouldAnswerMalformedJsonWith400AndKeepTheConnection() {
    send(request("POST", "/subjects/a/versions", "{\"schema\": \"\\\"int\\\"", "Content-Type: application/json"));
    send(request("POST", "/subjects/a/versions", "garbage", "Content-Type: application/json"));
    send(request("POST", "/subjects/a/versions", "{\"schema\":\"\\\"int\\\"\"} trailing", "Content-Type: application/json"));
    send(request("GET", "/", null));

    List<Response> r = responses();
    assertThat(r).extracting(Response::status).containsExactly(400, 400, 400, 200);
    assertThat(r.get(0).body()).startsWith("{\"error_code\":400,\"message\":\"Unexpected end-of-input");
    assertThat(r.get(3).body()).isEqualTo("{}");
  }

  @Test
  void shouldAnswerOversizedBodiesWith413AndStayUsable() {
    String huge = "{\"schema\":\"" + "x".repeat(MAX_BODY * 4) + "\"}";
    send(request("POST", "/subjects/a/versions", huge, "Content-Type: application/json"));
    send(request("GET", "/schemas/types", null));

    List<Response> r = responses();
    assertThat(r).extracting(Response::status).containsExactly(413, 200);
    assertThat(r.get(0).body()).isEqualTo(
        "{\"error_code\":413,\"message\":\"Request body is larger than the maximum of 2048 bytes\"}");
    assertThat(r.get(1).body()).isEqualTo("[\"AVRO\"]");
  }

  @Test
  void shouldAnswerOversizedChunkedBodiesWith413() {
    String chunk = "x".repeat(1000);
    StringBuilder raw = new StringBuilder("POST /subjects/a/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 5; i++) {
      raw.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
    }
    raw.append("0\r\n\r\n");
    send(raw.toString());
    send(request("GET", "/", null));

    assertThat(responses()).extracting(Response::status).containsExactly(413, 200);
  }

  @Test
  void shouldAnswerGarbageWith400AndClose() {
    send("\u0001\u0002 garbage that is not http\r\n\r\n");

    assertThat(responses()).extracting(Response::status).containsExactly(400);
    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void shouldAnswerUnknownPathsAndMethodsLikeJersey() {
    send(request("GET", "/nope", null));
    send(request("GET", "/schemas/ids/abc", null));
    send(request("PATCH", "/subjects", null));
    send(request("POST", "/config", "{}", "Content-Type: application/json"));
    send(request("GET", "/subjects/a/versions/0", null));

    assertThat(responses()).extracting(Response::status, Response::body).containsExactly(
        org.assertj.core.groups.Tuple.tuple(404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}"),
        org.assertj.core.groups.Tuple.tuple(404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}"),
        org.assertj.core.groups.Tuple.tuple(405, "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}"),
        org.assertj.core.groups.Tuple.tuple(405, "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}"),
        org.assertj.core.groups.Tuple.tuple(422, "{\"error_code\":42202,\"message\":\"The specified version '0' is not a "
            + "valid version id. Allowed values are between [1, 2^31-1] and the string \\\"latest\\\"\"}"));
  }

  @Test
  void shouldDecodeSubjectsSegmentBySegment() {
    send(request("POST", "/subjects/a%2Fb+c%C3%A9/versions", "{\"schema\":\"\\\"int\\\"\"}"));
    send(request("GET", "/subjects", null));

    assertThat(responses()).extracting(Response::body).containsExactly("{\"id\":1}", "[\"a/b+c\u00e9\"]");
  }

  @Test
  void shouldRefuseUnsupportedContentTypes() {
    send(request("POST", "/subjects/a/versions", "{\"schema\":\"\\\"int\\\"\"}", "Content-Type: text/plain"));
    send(request("POST", "/subjects/a/versions", "{\"schema\":\"\\\"int\\\"\"}",
        "Content-Type: application/octet-stream"));

    assertThat(responses()).extracting(Response::status).containsExactly(415, 200);
  }

  @Test
  void shouldNegotiateTheResponseType() {
    send(request("GET", "/", null, "Accept: text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"));
    send(request("GET", "/", null, "Accept: application/json"));
    send(request("GET", "/", null, "Accept: application/vnd.schemaregistry+json"));
    send(request("GET", "/", null, "Accept: text/plain"));

    assertThat(responses()).extracting(r -> r.headers().get("content-type")).containsExactly(
        "application/vnd.schemaregistry.v1+json", "application/json",
        "application/vnd.schemaregistry+json", "application/vnd.schemaregistry.v1+json");
  }

  @Test
  void shouldCloseHttp10ConnectionsWithoutKeepAlive() {
    send("GET / HTTP/1.0\r\n\r\n");

    assertThat(responses()).extracting(Response::status).containsExactly(200);
    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void shouldAnswerExpectContinueBeforeTheBody() {
    String body = "{\"schema\":\"\\\"int\\\"\"}";
    send("POST /subjects/a/versions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n");
    assertThat(responses()).extracting(Response::status).containsExactly(100);
    send(body);

    assertThat(responses()).extracting(Response::status, Response::body).containsExactly(
        org.assertj.core.groups.Tuple.tuple(100, ""), org.assertj.core.groups.Tuple.tuple(200, "{\"id\":1}"));
  }
}
