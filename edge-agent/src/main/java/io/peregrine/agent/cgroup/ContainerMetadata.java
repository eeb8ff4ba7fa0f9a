package io.peregrine.agent.cgroup;

import java.util.Optional;

/**
 * Looks up what the container runtime knows about a container (docker API, the OCI bundles of
 * containerd, cri-o and podman). Cgroup paths carry ids only; without this, containers cannot be
 * named and are identified by their cgroup path ({@code unknown/<path>}) rather than given made-up
 * names.
 *
 * <p>Called on the scan thread once per process when its identity is resolved and once per
 * container instance per scan: implementations must answer from a cache and never block on the
 * runtime for long.
 */
@FunctionalInterface
public interface ContainerMetadata {

  /** Knows nothing; for tests and hosts without a readable runtime. */
  ContainerMetadata NONE = (runtime, containerId) -> Optional.empty();

  /**
   * @param runtime the runtime the cgroup path names ({@link ContainerRuntime#UNKNOWN} for the
   *     cgroupfs driver's bare ids), which says where to look first
   * @param containerId full container id, 64 lower-case hex digits
   */
  Optional<ContainerInfo> lookup(ContainerRuntime runtime, String containerId);
}
