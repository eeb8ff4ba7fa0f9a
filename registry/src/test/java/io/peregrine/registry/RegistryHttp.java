package io.peregrine.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Raw HTTP to a registry for contract tests: exact status, headers and JSON. */
final class RegistryHttp {

  static final String V1 = "application/vnd.schemaregistry.v1+json";
  /** What HttpURLConnection (and so Confluent's Java client) sends when no Accept is set. */
  static final String JAVA_DEFAULT_ACCEPT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private final String base;

  RegistryHttp(String base) {
    this.base = base;
  }

  record Response(int status, String contentType, String body) {
    JsonNode json() {
      return RegistryHttp.json(body);
    }
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  /** A register body for this schema text (escaped into the "schema" string). */
  static String schemaBody(String schema) {
    return JSON.createObjectNode().put("schema", schema).toString();
  }

  Response get(String path, String... headers) {
    return send(builder(path, headers).GET());
  }

  Response delete(String path) {
    return send(builder(path).DELETE());
  }

  Response post(String path, String body, String... headers) {
    return send(withType(builder(path, headers), headers).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  Response post(String path, byte[] body, String... headers) {
    return send(withType(builder(path, headers), headers).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  Response put(String path, String body) {
    return send(builder(path).header("Content-Type", V1).PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  Response method(String method, String path) {
    return send(builder(path).method(method, HttpRequest.BodyPublishers.noBody()));
  }

  private HttpRequest.Builder builder(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  private static HttpRequest.Builder withType(HttpRequest.Builder b, String... headers) {
    for (int i = 0; i + 1 < headers.length; i += 2) {
      if (headers[i].equalsIgnoreCase("Content-Type")) {
        return b;
      }
    }
    return b.header("Content-Type", V1);
  }

  private Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(null), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
