package io.peregrine.agent.container;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.procfs.ParseProblems;
import java.util.Map;
import java.util.Optional;

/**
 * The annotations of an OCI runtime bundle's {@code config.json} (runtime-spec config.md,
 * "Annotations"), where CRI runtimes record which pod a container belongs to:
 * <ul>
 *   <li>containerd's CRI plugin ({@code internal/cri/annotations}):
 *       {@code io.kubernetes.cri.container-type} ({@code sandbox} or {@code container}),
 *       {@code io.kubernetes.cri.container-name}, {@code io.kubernetes.cri.sandbox-name},
 *       {@code io.kubernetes.cri.sandbox-namespace}, {@code io.kubernetes.cri.sandbox-uid}
 *       (containerd 1.6.11+), {@code io.kubernetes.cri.sandbox-id},
 *       {@code io.kubernetes.cri.image-name}; nerdctl adds {@code nerdctl/name};
 *   <li>cri-o: the kubelet's {@code io.kubernetes.pod.name}, {@code io.kubernetes.pod.namespace},
 *       {@code io.kubernetes.pod.uid}, {@code io.kubernetes.container.name}, and its own
 *       {@code io.kubernetes.cri-o.ContainerType}, {@code io.kubernetes.cri-o.ImageName},
 *       {@code io.kubernetes.cri-o.SandboxID} and {@code io.kubernetes.cri-o.Labels} (a JSON
 *       object in a string: on the sandbox, the pod's labels).
 * </ul>
 */
public final class OciAnnotations {

  static final String CRI_TYPE = "io.kubernetes.cri.container-type";
  static final String CRI_CONTAINER = "io.kubernetes.cri.container-name";
  static final String CRI_POD = "io.kubernetes.cri.sandbox-name";
  static final String CRI_NAMESPACE = "io.kubernetes.cri.sandbox-namespace";
  static final String CRI_POD_UID = "io.kubernetes.cri.sandbox-uid";
  static final String CRI_IMAGE = "io.kubernetes.cri.image-name";
  static final String NERDCTL_NAME = "nerdctl/name";
  static final String CRIO_TYPE = "io.kubernetes.cri-o.ContainerType";
  static final String CRIO_IMAGE = "io.kubernetes.cri-o.ImageName";
  static final String CRIO_SANDBOX_ID = "io.kubernetes.cri-o.SandboxID";
  static final String CRIO_LABELS = "io.kubernetes.cri-o.Labels";
  static final String SANDBOX_TYPE = "sandbox";

  private OciAnnotations() {
  }

  /** The {@code annotations} of a config.json; empty (reported) when the document is unusable. */
  public static Optional<Map<String, String>> parse(byte[] buf, int length, String source,
      ParseProblems problems) {
    Optional<JsonNode> doc = RuntimeJson.object(buf, length, source, problems);
    return doc.map(d -> RuntimeJson.strings(d, "annotations"));
  }

  /** The sandbox a cri-o container belongs to, whose bundle holds the pod's labels; or null. */
  public static String crioSandboxId(Map<String, String> annotations) {
    return SANDBOX_TYPE.equals(annotations.get(CRIO_TYPE)) ? null
        : RuntimeJson.nonEmpty(annotations, CRIO_SANDBOX_ID);
  }

  /** The pod labels cri-o recorded on a sandbox's bundle; empty for other bundles. */
  public static Map<String, String> crioPodLabels(Map<String, String> sandboxAnnotations,
      String source, ParseProblems problems) {
    if (!SANDBOX_TYPE.equals(sandboxAnnotations.get(CRIO_TYPE))) {
      return Map.of();
    }
    return RuntimeJson.embedded(sandboxAnnotations.get(CRIO_LABELS), source, problems);
  }

  /**
   * What the annotations say about the container.
   *
   * @param podLabels the pod's labels, when known (cri-o); empty otherwise
   * @return empty when the annotations name neither a pod nor a container (docker's containers
   *     in containerd's {@code moby} namespace, podman's bundles)
   */
  public static Optional<ContainerInfo> info(Map<String, String> annotations,
      Map<String, String> podLabels) {
    String pod = RuntimeJson.nonEmpty(annotations, CRI_POD);
    String namespace = RuntimeJson.nonEmpty(annotations, CRI_NAMESPACE);
    if (pod != null && namespace != null) {
      String container = SANDBOX_TYPE.equals(annotations.get(CRI_TYPE))
          ? ContainerInfo.Kubernetes.SANDBOX : RuntimeJson.nonEmpty(annotations, CRI_CONTAINER);
      return kubernetes(namespace, pod, RuntimeJson.nonEmpty(annotations, CRI_POD_UID), container,
          RuntimeJson.nonEmpty(annotations, CRI_IMAGE), podLabels);
    }
    pod = RuntimeJson.nonEmpty(annotations, DockerInspect.POD_NAME);
    namespace = RuntimeJson.nonEmpty(annotations, DockerInspect.POD_NAMESPACE);
    if (pod != null && namespace != null) {
      String container = SANDBOX_TYPE.equals(annotations.get(CRIO_TYPE))
          ? ContainerInfo.Kubernetes.SANDBOX
          : RuntimeJson.nonEmpty(annotations, DockerInspect.CONTAINER_NAME);
      return kubernetes(namespace, pod, RuntimeJson.nonEmpty(annotations, DockerInspect.POD_UID),
          container, RuntimeJson.nonEmpty(annotations, CRIO_IMAGE), podLabels);
    }
    String name = RuntimeJson.nonEmpty(annotations, NERDCTL_NAME);
    return name == null ? Optional.empty() : Optional.of(new ContainerInfo(name, null));
  }

  private static Optional<ContainerInfo> kubernetes(String namespace, String pod, String uid,
      String container, String image, Map<String, String> podLabels) {
    if (container == null) {
      return Optional.empty();
    }
    KubernetesWorkloads.Workload w = KubernetesWorkloads.owner(pod, podLabels);
    return Optional.of(new ContainerInfo(container, image, null, new ContainerInfo.Kubernetes(
        namespace, pod, uid, container, w == null ? null : w.kind(), w == null ? null : w.name())));
  }
}
