package io.peregrine.agent.cgroup;

/** The runtime that created a container's cgroup, when its name says so. */
public enum ContainerRuntime {
  /** {@code docker-<id>.scope}, {@code /docker/<id>}. */
  DOCKER,
  /** {@code cri-containerd-<id>.scope}, {@code ...:cri-containerd:<id>}, {@code nerdctl-<id>.scope}. */
  CONTAINERD,
  /** {@code crio-<id>.scope}, {@code crio-<id>}. */
  CRIO,
  /** {@code libpod-<id>.scope}, {@code /libpod_parent/libpod-<id>}. */
  PODMAN,
  /**
   * A bare 64-hex-digit directory, as the cgroupfs driver names it: Kubernetes with dockershim or
   * containerd ({@code /kubepods/burstable/pod<uid>/<id>}) looks the same for both.
   */
  UNKNOWN
}
