package io.peregrine.registry.internal.state;

import java.util.Locale;
import java.util.Optional;

/**
 * Registry modes ({@code core/.../storage/Mode.java}). Peregrine enforces READWRITE and READONLY;
 * IMPORT and FORWARD exist in Confluent's enum and may appear in a topic written by Confluent, but
 * this registry does not accept them over REST (see {@link #acceptedOverRest()}).
 */
public enum Mode {
  READWRITE,
  READONLY,
  READONLY_OVERRIDE,
  IMPORT,
  FORWARD;

  public static Optional<Mode> forName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueOf(name.trim().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Writes (register, delete, config) are refused in this mode. */
  public boolean blocksWrites() {
    return this == READONLY || this == READONLY_OVERRIDE;
  }

  public boolean acceptedOverRest() {
    return this == READWRITE || this == READONLY || this == READONLY_OVERRIDE;
  }
}
