package io.peregrine.registry.internal.schema;

import java.util.Locale;
import java.util.Optional;

/**
 * Confluent's compatibility levels ({@code client/.../CompatibilityLevel.java}). Names are matched
 * case-insensitively, as Confluent does for both the REST API and {@code schema.compatibility.level}.
 */
public enum CompatibilityLevel {
  NONE(false, false, false),
  BACKWARD(true, false, false),
  BACKWARD_TRANSITIVE(true, false, true),
  FORWARD(false, true, false),
  FORWARD_TRANSITIVE(false, true, true),
  FULL(true, true, false),
  FULL_TRANSITIVE(true, true, true);

  /** Confluent's exact wording for error 42203. */
  public static final String INVALID_MESSAGE =
      "Invalid compatibility level. Valid values are none, backward, forward, full, "
          + "backward_transitive, forward_transitive, and full_transitive";

  private final boolean backward;
  private final boolean forward;
  private final boolean transitive;

  CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
    this.backward = backward;
    this.forward = forward;
    this.transitive = transitive;
  }

  /** The new schema must read data written with the old one(s). */
  public boolean backward() {
    return backward;
  }

  /** The old schema(s) must read data written with the new one. */
  public boolean forward() {
    return forward;
  }

  /** Check against every live version instead of only the latest. */
  public boolean transitive() {
    return transitive;
  }

  public static Optional<CompatibilityLevel> forName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueOf(name.trim().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
