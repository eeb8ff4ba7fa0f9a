package io.peregrine.agent.cgroup;

import java.util.Objects;

/**
 * What a container runtime knows about a container and its cgroup path does not: its name, image,
 * and for Kubernetes containers the pod's placement (from the {@code io.kubernetes.*} labels the
 * kubelet sets) and owning workload.
 *
 * @param name runtime container name ({@code docker ps} NAMES); for Kubernetes the runtime's
 *     generated name
 * @param image image reference as the runtime reports it, or null
 * @param kubernetes pod placement, or null outside Kubernetes
 */
public record ContainerInfo(String name, String image, Kubernetes kubernetes) {

  public ContainerInfo {
    Objects.requireNonNull(name, "name");
  }

  /**
   * Placement of a container in a pod.
   *
   * @param workloadKind kind of the owning workload, e.g. {@code Deployment}; null for a bare pod
   * @param workloadName name of the owning workload; null for a bare pod
   */
  public record Kubernetes(
      String namespace, String pod, String container, String workloadKind, String workloadName) {

    public Kubernetes {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(container, "container");
      if ((workloadKind == null) != (workloadName == null)) {
        throw new IllegalArgumentException("workload kind and name go together");
      }
    }
  }
}
