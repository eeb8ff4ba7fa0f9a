package io.peregrine.agent.cgroup;

import io.peregrine.schema.AppKind;
import java.util.Objects;

/**
 * A logical application, field for field the Avro {@code io.peregrine.schema.AppId}: two are the
 * same application exactly when their {@code id}s are equal, and {@code kind} is the first segment
 * of {@code id}. A hand-written value (immutable, whole-value equality) rather than the generated
 * class, which is mutable and cannot be a map key safely.
 *
 * @param namespace Kubernetes namespace, or null
 * @param workload Kubernetes owning workload as {@code Kind/name}, or null
 * @param container container name in the pod (KUBERNETES) or runtime name (CONTAINER), or null
 */
public record Application(
    AppKind kind, String id, String name, String namespace, String workload, String container) {

  public Application {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    if (!id.startsWith(idPrefix(kind) + "/")) {
      throw new IllegalArgumentException("id " + id + " does not start with " + idPrefix(kind) + "/");
    }
  }

  /** First segment of the ids of a kind, as AppId.avsc documents them. */
  public static String idPrefix(AppKind kind) {
    return switch (kind) {
      case KUBERNETES -> "k8s";
      case CONTAINER -> "container";
      case SYSTEMD -> "systemd";
      case PROCESS -> "process";
      case EXTERNAL -> "external";
      case UNKNOWN -> "unknown";
    };
  }
}
