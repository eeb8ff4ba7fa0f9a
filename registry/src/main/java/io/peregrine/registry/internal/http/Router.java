package io.peregrine.registry.internal.http;

import io.peregrine.registry.internal.api.RestError;
import java.util.ArrayList;
import java.util.List;

/**
 * Matches a request to a route by method and path segments ({@code {name}} matches one non-empty
 * segment). A path that exists under another method is a 405, anything else a 404, worded as
 * Jersey words them for Confluent.
 */
public final class Router {

  /** Where a route runs: reads on the event loop, CPU work and writes off it. */
  public enum Kind {
    /** In-memory read; cheap enough for the event loop. */
    INLINE,
    /** Parses Avro or checks compatibility: runs on the compute pool. */
    COMPUTE,
    /** Writes to Kafka: runs on the single writer thread. */
    WRITE
  }

  @FunctionalInterface
  public interface Handler {
    /** Returns a Jackson {@code JsonNode} or a {@code RegistryApi.RawJson}; throws {@link RestError}. */
    Object handle(HttpRequestData request, List<String> params);
  }

  record Route(String method, String[] pattern, Kind kind, Handler handler) {}

  /** A matched route with the values of its {@code {params}}, in order. */
  public record Match(Kind kind, Handler handler, List<String> params) {}

  private final List<Route> routes = new ArrayList<>();

  public Router add(String method, String pattern, Kind kind, Handler handler) {
    String[] segments = pattern.equals("/") ? new String[0] : pattern.substring(1).split("/");
    routes.add(new Route(method, segments, kind, handler));
    return this;
  }

  public Match match(String method, List<String> segments) {
    boolean pathExists = false;
    for (Route route : routes) {
      List<String> params = matchPath(route.pattern(), segments);
      if (params == null) {
        continue;
      }
      if (route.method().equals(method)) {
        return new Match(route.kind(), route.handler(), params);
      }
      pathExists = true;
    }
    throw pathExists ? RestError.methodNotAllowed() : RestError.notFound();
  }

  private static List<String> matchPath(String[] pattern, List<String> segments) {
    if (pattern.length != segments.size()) {
      return null;
    }
    List<String> params = new ArrayList<>(2);
    for (int i = 0; i < pattern.length; i++) {
      String p = pattern[i];
      String s = segments.get(i);
      if (p.startsWith("{")) {
        if (s.isEmpty()) {
          return null;
        }
        params.add(s);
      } else if (!p.equals(s)) {
        return null;
      }
    }
    return params;
  }
}
