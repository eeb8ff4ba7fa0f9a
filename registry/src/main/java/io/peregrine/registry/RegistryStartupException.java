package io.peregrine.registry;

/** The registry could not start: Kafka unreachable, schema topic unusable, port taken... */
public final class RegistryStartupException extends RuntimeException {
  public RegistryStartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
