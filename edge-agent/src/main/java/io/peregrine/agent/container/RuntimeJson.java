package io.peregrine.agent.container;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/** JSON documents of container runtimes: parsed into trees, with bad content reported, never thrown. */
final class RuntimeJson {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private RuntimeJson() {
  }

  /**
   * The top-level object of a document; empty (reported) when it is cut short (TRUNCATED), not
   * JSON or not an object (MALFORMED_LINE), or empty (EMPTY).
   */
  static Optional<JsonNode> object(byte[] buf, int length, String source, ParseProblems problems) {
    if (length == 0) {
      problems.report(source, Cause.EMPTY);
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(buf, 0, length);
      if (n == null || !n.isObject()) {
        problems.report(source, Cause.MALFORMED_LINE);
        return Optional.empty();
      }
      return Optional.of(n);
    } catch (JsonEOFException e) {
      problems.report(source, Cause.TRUNCATED);
      return Optional.empty();
    } catch (IOException e) {
      problems.report(source, Cause.MALFORMED_LINE);
      return Optional.empty();
    }
  }

  /** The string members of an object member ({@code Labels}, {@code annotations}); others skipped. */
  static Map<String, String> strings(JsonNode parent, String field) {
    JsonNode n = parent == null ? null : parent.get(field);
    Map<String, String> out = new HashMap<>();
    if (n == null || !n.isObject()) {
      return out;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isTextual()) {
        out.put(e.getKey(), e.getValue().asText());
      }
    }
    return out;
  }

  /**
   * A map serialised as a JSON string inside a string (cri-o's {@code io.kubernetes.cri-o.Labels});
   * empty, reported, when it is not one.
   */
  static Map<String, String> embedded(String json, String source, ParseProblems problems) {
    if (json == null || json.isEmpty()) {
      return Map.of();
    }
    byte[] b = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return object(b, b.length, source, problems).map(n -> {
      Map<String, String> out = new HashMap<>();
      n.fields().forEachRemaining(e -> {
        if (e.getValue().isTextual()) {
          out.put(e.getKey(), e.getValue().asText());
        }
      });
      return out;
    }).orElse(Map.of());
  }

  /** A non-empty string member, or null. */
  static String text(JsonNode parent, String field) {
    JsonNode n = parent == null ? null : parent.get(field);
    return n != null && n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
  }

  /** A non-empty value of a map, or null. */
  static String nonEmpty(Map<String, String> m, String key) {
    String v = m.get(key);
    return v == null || v.isEmpty() ? null : v;
  }
}
