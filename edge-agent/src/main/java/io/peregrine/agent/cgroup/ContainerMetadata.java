package io.peregrine.agent.cgroup;

import java.util.Optional;

/**
 * Looks up what the container runtime knows about a container (docker API, CRI, Kubernetes API).
 * Cgroup paths carry ids only; without this, containers cannot be named and are identified by
 * their cgroup path ({@code unknown/<path>}) rather than given made-up names.
 *
 * <p>Called once per process per scan: implementations must answer from a cache and never block
 * on the runtime.
 */
@FunctionalInterface
public interface ContainerMetadata {

  /** Knows nothing; the default until a runtime client is configured. */
  ContainerMetadata NONE = containerId -> Optional.empty();

  Optional<ContainerInfo> lookup(String containerId);
}
