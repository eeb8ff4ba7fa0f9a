package io.peregrine.registry.internal.http;

import java.util.Map;

/** A response ready to write: status, body bytes (JSON), extra headers. */
public record HttpResponseData(int status, byte[] body, Map<String, String> headers) {

  public HttpResponseData(int status, byte[] body) {
    this(status, body, Map.of());
  }
}
