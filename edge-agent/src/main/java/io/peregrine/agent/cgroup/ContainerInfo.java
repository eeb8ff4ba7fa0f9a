package io.peregrine.agent.cgroup;

import java.util.Objects;

/**
 * What a container runtime knows about a container and its cgroup path does not: its name, image,
 * the Compose service it runs, and for Kubernetes containers the pod's placement and owning
 * workload. Everything here outlives a restart of the container, which is what makes the
 * application named from it stable; the container id does not.
 *
 * @param name runtime container name ({@code docker ps} NAMES, without Docker's leading '/'); for
 *     Kubernetes containers the container's name in the pod
 * @param image image reference as the runtime reports it, or null
 * @param compose the Compose project and service (Docker Compose labels), or null
 * @param kubernetes pod placement, or null outside Kubernetes
 */
public record ContainerInfo(String name, String image, Compose compose, Kubernetes kubernetes) {

  public ContainerInfo {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("empty container name");
    }
  }

  /** A container outside Compose and Kubernetes. */
  public ContainerInfo(String name, String image) {
    this(name, image, null, null);
  }

  /** Labels {@code com.docker.compose.project} and {@code com.docker.compose.service}. */
  public record Compose(String project, String service) {

    public Compose {
      Objects.requireNonNull(project, "project");
      Objects.requireNonNull(service, "service");
    }
  }

  /**
   * Placement of a container in a pod.
   *
   * @param podUid pod UID as the runtime reports it, or null (the cgroup path may hold it)
   * @param container the container's name in the pod; {@code POD} for the sandbox (pause)
   *     container, as the kubelet names it
   * @param workloadKind kind of the owning workload, e.g. {@code Deployment}; null for a bare pod
   * @param workloadName name of the owning workload; null for a bare pod
   */
  public record Kubernetes(String namespace, String pod, String podUid, String container,
      String workloadKind, String workloadName) {

    /** The container name the kubelet gives a pod's sandbox. */
    public static final String SANDBOX = "POD";

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
