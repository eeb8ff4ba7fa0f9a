package io.peregrine.registry.internal.http;

import java.util.List;
import java.util.Map;

/**
 * A request as the router sees it, detached from Netty buffers.
 *
 * @param segments the path split on '/' and percent-decoded segment by segment, so an encoded
 *     slash ({@code %2F}) stays inside a subject name
 */
public record HttpRequestData(
    String method,
    List<String> segments,
    Map<String, List<String>> query,
    String contentType,
    String accept,
    byte[] body) {

  /** The first value of a query parameter, or {@code null}. */
  public String param(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** JAX-RS boolean query parameter: {@code true} (any case) is true, anything else false. */
  public boolean flag(String name) {
    return "true".equalsIgnoreCase(param(name));
  }
}
