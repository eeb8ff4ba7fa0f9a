package io.peregrine.registry.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.registry.internal.api.Json;
import io.peregrine.registry.internal.api.RegistryApi;
import io.peregrine.registry.internal.api.RestError;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a request on the right thread and turns the outcome into a response: reads inline on the
 * event loop, Avro parsing on the compute pool, writes on the writer thread (so the event loop
 * never blocks on Kafka). Never completes exceptionally: every failure is a JSON error body.
 */
public final class Dispatcher {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  public static final String V1_JSON = "application/vnd.schemaregistry.v1+json";
  public static final String DEFAULT_JSON = "application/vnd.schemaregistry+json";
  public static final String JSON = "application/json";
  private static final Set<String> REQUEST_TYPES =
      Set.of(V1_JSON, DEFAULT_JSON, JSON, "application/octet-stream");

  private final Router router;
  private final Executor compute;
  private final Executor writes;

  public Dispatcher(Router router, Executor compute, Executor writes) {
    this.router = router;
    this.compute = compute;
    this.writes = writes;
  }

  public CompletableFuture<HttpResponseData> dispatch(HttpRequestData request) {
    String responseType = negotiate(request.accept());
    Router.Match match;
    try {
      match = router.match(request.method(), request.segments());
      if (("POST".equals(request.method()) || "PUT".equals(request.method()))
          && !acceptableRequestType(request.contentType())) {
        throw RestError.unsupportedMediaType();
      }
    } catch (RestError e) {
      return CompletableFuture.completedFuture(error(e, responseType));
    }
    Executor executor = switch (match.kind()) {
      case INLINE -> null;
      case COMPUTE -> compute;
      case WRITE -> writes;
    };
    if (executor == null) {
      return CompletableFuture.completedFuture(run(match, request, responseType));
    }
    try {
      return CompletableFuture.supplyAsync(() -> run(match, request, responseType), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(error(
          RestError.storeError("The registry is overloaded or shutting down; retry later"), responseType));
    }
  }

  private static HttpResponseData run(Router.Match match, HttpRequestData request, String responseType) {
    try {
      Object result = match.handler().handle(request, match.params());
      byte[] body = result instanceof RegistryApi.RawJson raw
          ? raw.text().getBytes(StandardCharsets.UTF_8)
          : Json.bytes((JsonNode) result);
      return new HttpResponseData(200, body, Map.of("content-type", responseType));
    } catch (RestError e) {
      return error(e, responseType);
    } catch (RuntimeException | StackOverflowError e) {
      log.warn("Unexpected failure serving {} /{}", request.method(), String.join("/", request.segments()), e);
      return error(RestError.internal("Internal Server Error: " + e), responseType);
    }
  }

  public static HttpResponseData error(RestError e, String responseType) {
    byte[] body = Json.bytes(Json.object().put("error_code", e.errorCode()).put("message", e.getMessage()));
    return new HttpResponseData(e.status(), body, Map.of("content-type", responseType));
  }

  /**
   * Picks the response type like Jersey over Confluent's {@code @Produces} list (v1 preferred):
   * clients that send no Accept, a wildcard, or HttpURLConnection's default
   * {@code text/html, image/gif, image/jpeg, *; q=.2, *}{@code /*; q=.2} get v1. A client asking only
   * for {@code application/json} gets that. Nothing is refused with 406.
   */
  public static String negotiate(String accept) {
    if (accept == null || accept.isBlank()) {
      return V1_JSON;
    }
    String a = accept.toLowerCase(Locale.ROOT);
    if (a.contains(V1_JSON) || a.contains("*/*") || a.contains("application/*")) {
      return V1_JSON;
    }
    for (String part : a.split(",")) {
      if (part.split(";")[0].trim().equals("*")) {
        return V1_JSON;
      }
    }
    if (a.contains(DEFAULT_JSON)) {
      return DEFAULT_JSON;
    }
    if (a.contains(JSON)) {
      return JSON;
    }
    return V1_JSON;
  }

  static boolean acceptableRequestType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return true;
    }
    String type = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    return REQUEST_TYPES.contains(type);
  }
}
