package io.peregrine.agent.cgroup;

/**
 * What a cgroup path says about the processes in it. Only facts the path holds are here: a
 * container's name, a pod's namespace and name, a workload are not in any cgroup path and come from
 * {@link ContainerMetadata}.
 *
 * @param origin what kind of unit of deployment the path belongs to
 * @param runtime container runtime, null unless origin is KUBERNETES or CONTAINER
 * @param containerId full container id (64 lower-case hex digits), null unless a container
 * @param podUid Kubernetes pod UID (dashes restored from the systemd driver's underscores), null
 *     outside Kubernetes or when the path does not hold it
 * @param unit systemd unit name such as {@code nginx.service}, null unless origin is SYSTEMD
 * @param instancePath the path of the instance's own cgroup: the path cut after the container's or
 *     unit's directory, so that sub-cgroups of a container ({@code .../crio-<id>.scope/container})
 *     or of a delegating service are one instance; the whole path otherwise
 */
public record CgroupClassification(
    Origin origin,
    ContainerRuntime runtime,
    String containerId,
    String podUid,
    String unit,
    String instancePath) {

  /** Where a cgroup comes from. */
  public enum Origin {
    /** A container of a Kubernetes pod (the path is under a {@code kubepods} hierarchy). */
    KUBERNETES,
    /** A container outside Kubernetes: docker, containerd, cri-o or podman. */
    CONTAINER,
    /** A systemd service unit. */
    SYSTEMD,
    /**
     * Not a unit of deployment: the root cgroup, user sessions and user services
     * ({@code user.slice}), {@code init.scope}, transient scopes, bare slices, container runtime
     * monitors (conmon). Processes here are identified by their executable.
     */
    HOST,
    /** A layout this classifier does not know; treated as HOST, but worth a counter. */
    UNRECOGNISED
  }

  public boolean isContainer() {
    return origin == Origin.KUBERNETES || origin == Origin.CONTAINER;
  }
}
