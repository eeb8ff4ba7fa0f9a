package io.peregrine.agent.cgroup;

import io.peregrine.agent.cgroup.CgroupClassification.Origin;

/**
 * Classifies a cgroup path by the naming conventions of container runtimes and systemd, as Coroot's
 * node agent does ({@code cgroup/cgroup.go}), without regular expressions:
 * <ul>
 *   <li>docker: {@code /docker/<id>} (cgroupfs driver), {@code /system.slice/docker-<id>.scope}
 *       (systemd driver);
 *   <li>Kubernetes, cgroupfs driver: {@code /kubepods[/burstable|/besteffort]/pod<uid>/<id>};
 *       systemd driver: {@code /kubepods.slice/kubepods-burstable.slice/
 *       kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope}, with
 *       {@code crio-<id>.scope} for cri-o and {@code docker-<id>.scope} for dockershim;
 *       containerd's {@code ...pod<uid>.slice:cri-containerd:<id>} form too;
 *   <li>podman: {@code libpod-<id>.scope} (rootful under machine.slice, rootless under user.slice),
 *       {@code /libpod_parent/libpod-<id>} (cgroupfs);
 *   <li>systemd: the first {@code *.service} directory of the path;
 *   <li>host: {@code /}, {@code /init.scope}, {@code /user.slice/...}, transient {@code *.scope},
 *       bare slices, and the {@code crio-conmon-}/{@code libpod-conmon-} monitors.
 * </ul>
 * Containers are looked for first, at any depth and from the deepest directory up, so that a
 * rootless container under {@code user.slice}, a container nested in a service
 * ({@code /system.slice/containerd.service/...}) or in a Kubernetes-in-docker node is still a
 * container — the innermost one.
 */
public final class CgroupPaths {

  private static final int CONTAINER_ID_LENGTH = 64;

  private CgroupPaths() {
  }

  public static CgroupClassification classify(String path) {
    String[] parts = components(path);
    for (int i = parts.length - 1; i >= 0; i--) {
      String name = parts[i];
      if (isConmon(name)) {
        // The runtime's monitor process sits beside the container, not in it.
        return host(path);
      }
      ContainerRuntime runtime = null;
      String id = null;
      int marker = name.indexOf(":cri-containerd:");
      if (marker >= 0) {
        runtime = ContainerRuntime.CONTAINERD;
        id = name.substring(marker + ":cri-containerd:".length());
      } else {
        String base = name.endsWith(".scope") ? name.substring(0, name.length() - 6) : name;
        if (base.startsWith("docker-")) {
          runtime = ContainerRuntime.DOCKER;
          id = base.substring(7);
        } else if (base.startsWith("cri-containerd-")) {
          runtime = ContainerRuntime.CONTAINERD;
          id = base.substring(15);
        } else if (base.startsWith("nerdctl-")) {
          runtime = ContainerRuntime.CONTAINERD;
          id = base.substring(8);
        } else if (base.startsWith("crio-")) {
          runtime = ContainerRuntime.CRIO;
          id = base.substring(5);
        } else if (base.startsWith("libpod-")) {
          runtime = ContainerRuntime.PODMAN;
          id = base.substring(7);
        } else if (isContainerId(base)) {
          id = base;
          runtime = i > 0 && parts[i - 1].equals("docker")
              ? ContainerRuntime.DOCKER : ContainerRuntime.UNKNOWN;
        }
      }
      if (id != null && isContainerId(id)) {
        return container(path, parts, i, runtime, id);
      }
    }
    if (parts.length == 0 || parts[0].equals("user.slice") || parts[0].equals("init.scope")) {
      return host(path);
    }
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].endsWith(".service") && parts[i].length() > ".service".length()) {
        return new CgroupClassification(Origin.SYSTEMD, null, null, null, parts[i],
            prefix(parts, i));
      }
    }
    String leaf = parts[parts.length - 1];
    if (leaf.endsWith(".scope") || leaf.endsWith(".slice")) {
      return host(path);
    }
    return new CgroupClassification(Origin.UNRECOGNISED, null, null, null, null, path);
  }

  private static CgroupClassification container(
      String path, String[] parts, int index, ContainerRuntime runtime, String id) {
    boolean kubernetes = false;
    String podUid = null;
    for (int i = 0; i < index; i++) {
      String p = parts[i];
      if (p.startsWith("kubepods") || p.contains("-kubepods")) {
        kubernetes = true;  // kubepods, kubepods.slice, kubelet-kubepods.slice (kind)
      }
      String uid = podUid(p);
      if (uid != null) {
        podUid = uid;
      }
    }
    // containerd's "kubepods-burstable-pod<uid>.slice:cri-containerd:<id>" holds both in one name.
    String own = parts[index];
    int colon = own.indexOf(':');
    if (colon > 0) {
      String slice = own.substring(0, colon);
      kubernetes |= slice.startsWith("kubepods");
      String uid = podUid(slice);
      if (uid != null) {
        podUid = uid;
      }
    }
    return new CgroupClassification(kubernetes ? Origin.KUBERNETES : Origin.CONTAINER, runtime,
        id, kubernetes ? podUid : null, null, prefix(parts, index));
  }

  /**
   * The pod UID of a pod directory: {@code pod<uid>} (cgroupfs) or
   * {@code kubepods-<qos>-pod<uid_with_underscores>.slice} (systemd, which reserves '-'); null for
   * any other name.
   */
  static String podUid(String name) {
    String uid;
    if (name.endsWith(".slice")) {
      int at = name.lastIndexOf("-pod");
      if (at < 0 || !(name.startsWith("kubepods") || name.contains("-kubepods"))) {
        return null;
      }
      uid = name.substring(at + 4, name.length() - 6).replace('_', '-');
    } else if (name.startsWith("pod")) {
      uid = name.substring(3);
    } else {
      return null;
    }
    return isPodUid(uid) ? uid : null;
  }

  /** A UUID (36 characters), or the 32-hex-digit hash the kubelet gives static pods. */
  private static boolean isPodUid(String s) {
    if (s.length() == 32) {
      return isHex(s);
    }
    if (s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char ch = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? ch != '-' : !isHexChar(ch)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isConmon(String name) {
    return name.startsWith("crio-conmon-") || name.startsWith("libpod-conmon-");
  }

  /** A full container id: 64 lower-case hex digits. */
  public static boolean isContainerId(String s) {
    return s.length() == CONTAINER_ID_LENGTH && isHex(s);
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (!isHexChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** Lower case only: runtimes print ids in lower case, and upper case would be another id. */
  private static boolean isHexChar(char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
  }

  private static CgroupClassification host(String path) {
    return new CgroupClassification(Origin.HOST, null, null, null, null, path);
  }

  /** The path of components [0, index]. */
  private static String prefix(String[] parts, int index) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i <= index; i++) {
      sb.append('/').append(parts[i]);
    }
    return sb.toString();
  }

  /** Non-empty components of a path; {@code /} has none. */
  static String[] components(String path) {
    int count = 0;
    int n = path.length();
    for (int i = 0; i < n; ) {
      while (i < n && path.charAt(i) == '/') {
        i++;
      }
      if (i < n) {
        count++;
      }
      while (i < n && path.charAt(i) != '/') {
        i++;
      }
    }
    String[] parts = new String[count];
    int k = 0;
    for (int i = 0; i < n; ) {
      while (i < n && path.charAt(i) == '/') {
        i++;
      }
      int start = i;
      while (i < n && path.charAt(i) != '/') {
        i++;
      }
      if (i > start) {
        parts[k++] = path.substring(start, i);
      }
    }
    return parts;
  }
}
