package io.peregrine.registry.internal.store;

/** A store operation did not finish within {@code kafkastore.timeout.ms} (REST error 50002). */
public final class StoreTimeoutException extends StoreException {
  public StoreTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreTimeoutException(String message) {
    super(message);
  }
}
