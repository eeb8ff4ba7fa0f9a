package io.peregrine.registry.internal.store;

/** The Kafka store could not complete an operation (REST error 50001). */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
