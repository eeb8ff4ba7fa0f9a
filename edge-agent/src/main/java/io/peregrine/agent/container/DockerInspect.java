package io.peregrine.agent.container;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Map;
import java.util.Optional;

/**
 * The Docker Engine API's container inspect answer ({@code GET /containers/{id}/json},
 * ContainerInspectResponse): {@code Name} ({@code "/web"}), {@code Config.Image} and
 * {@code Config.Labels}. Labels name the Compose project and service
 * ({@code com.docker.compose.project}, {@code com.docker.compose.service}) and, for pods that the
 * kubelet ran through dockershim, the pod ({@code io.kubernetes.pod.name},
 * {@code io.kubernetes.pod.namespace}, {@code io.kubernetes.pod.uid},
 * {@code io.kubernetes.container.name}; the sandbox has {@code io.kubernetes.docker.type=podsandbox}
 * and the pod's own labels).
 */
public final class DockerInspect {

  public static final String SOURCE = "docker Engine API /containers/{id}/json";

  static final String COMPOSE_PROJECT = "com.docker.compose.project";
  static final String COMPOSE_SERVICE = "com.docker.compose.service";
  static final String POD_NAME = "io.kubernetes.pod.name";
  static final String POD_NAMESPACE = "io.kubernetes.pod.namespace";
  static final String POD_UID = "io.kubernetes.pod.uid";
  static final String CONTAINER_NAME = "io.kubernetes.container.name";
  static final String DOCKER_TYPE = "io.kubernetes.docker.type";

  private DockerInspect() {
  }

  /** Empty, reported, for a document that is not an inspect answer of a named container. */
  public static Optional<ContainerInfo> parse(byte[] buf, int length, ParseProblems problems) {
    Optional<JsonNode> doc = RuntimeJson.object(buf, length, SOURCE, problems);
    if (doc.isEmpty()) {
      return Optional.empty();
    }
    String name = RuntimeJson.text(doc.get(), "Name");
    if (name != null && name.startsWith("/")) {
      name = name.substring(1);
    }
    if (name == null || name.isEmpty()) {
      problems.report(SOURCE, Cause.MISSING_FIELD);
      return Optional.empty();
    }
    JsonNode config = doc.get().get("Config");
    String image = RuntimeJson.text(config, "Image");
    Map<String, String> labels = RuntimeJson.strings(config, "Labels");
    String pod = RuntimeJson.nonEmpty(labels, POD_NAME);
    String namespace = RuntimeJson.nonEmpty(labels, POD_NAMESPACE);
    if (pod != null && namespace != null) {
      String container = "podsandbox".equals(labels.get(DOCKER_TYPE))
          ? ContainerInfo.Kubernetes.SANDBOX
          : RuntimeJson.nonEmpty(labels, CONTAINER_NAME);
      if (container != null) {
        KubernetesWorkloads.Workload w = KubernetesWorkloads.owner(pod, labels);
        return Optional.of(new ContainerInfo(container, image, null, new ContainerInfo.Kubernetes(
            namespace, pod, RuntimeJson.nonEmpty(labels, POD_UID), container,
            w == null ? null : w.kind(), w == null ? null : w.name())));
      }
    }
    String project = RuntimeJson.nonEmpty(labels, COMPOSE_PROJECT);
    String service = RuntimeJson.nonEmpty(labels, COMPOSE_SERVICE);
    ContainerInfo.Compose compose = project != null && service != null
        ? new ContainerInfo.Compose(project, service) : null;
    return Optional.of(new ContainerInfo(name, image, compose, null));
  }
}
