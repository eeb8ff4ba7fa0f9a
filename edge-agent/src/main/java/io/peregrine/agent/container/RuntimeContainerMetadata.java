package io.peregrine.agent.container;

import io.peregrine.agent.cgroup.CgroupPaths;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.cgroup.ContainerRuntime;
import io.peregrine.agent.container.UnixSocketHttp.MalformedResponseException;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ReadFailures;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * {@link ContainerMetadata} from the container runtimes of the host, all found under the host
 * root (a containerised agent sees the host's {@code /run} under e.g. {@code /host/run}):
 * <ul>
 *   <li>docker: the Engine API on {@code /run/docker.sock}, {@code GET /containers/{id}/json}
 *       ({@link DockerInspect}), with a short deadline;
 *   <li>containerd: the OCI bundle's {@code config.json} under
 *       {@code /run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/} (v1 shims:
 *       {@code io.containerd.runtime.v1.linux}), whose CRI annotations place the container in its
 *       pod ({@link OciAnnotations});
 *   <li>cri-o: {@code /run/containers/storage/overlay-containers/<id>/userdata/config.json}, and
 *       the sandbox's, which holds the pod's labels;
 *   <li>podman: the same bundle (rootful), and the names in
 *       {@code /var/lib/containers/storage/overlay-containers/containers.json} ({@link PodmanStorage}).
 * </ul>
 * The runtime named by the cgroup path is asked; for the cgroupfs driver's bare ids
 * ({@link ContainerRuntime#UNKNOWN}) containerd, then cri-o, then docker.
 *
 * <p>Answers are cached per container id, found or not: what a runtime says of a container does not
 * change while it runs, so a found one is asked again only after {@code found} (in case it was
 * renamed), a missing one after {@code missing} (its runtime may not have written it yet). A docker
 * daemon that fails (absent, refusing, too slow) is left alone for {@code backoff}, so a hung daemon
 * costs one scan at most one deadline per backoff period. Failures are reported to the problem
 * sink by cause (permission denied, socket absent, malformed or truncated JSON), which counts them
 * and logs each once.
 *
 * <p>Not thread-safe: the scan thread owns it.
 */
public final class RuntimeContainerMetadata implements ContainerMetadata {

  /** Timings and bounds. */
  public record Settings(Duration dockerDeadline, Duration found, Duration missing, Duration backoff,
      int maxEntries) {

    public static final Settings DEFAULTS = new Settings(Duration.ofMillis(500), Duration.ofMinutes(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), 8192);
  }

  public static final String CONTAINERD_SOURCE = "containerd OCI bundle config.json";
  public static final String USERDATA_SOURCE = "cri-o/podman OCI bundle config.json";

  private static final int MAX_RESPONSE_BYTES = 4 << 20;
  private static final long MAX_FILE_BYTES = 16 << 20;

  private record Entry(Optional<ContainerInfo> info, long expiresNanos) {
  }

  private final Path dockerSocket;
  private final List<Path> containerdTaskRoots;
  private final Path userdataRoot;
  private final Path podmanContainersJson;
  private final Settings settings;
  private final ParseProblems problems;
  private final LongSupplier nanoClock;
  private final Map<String, Entry> cache = new HashMap<>();
  private long dockerDownUntil;
  private boolean dockerDown;
  private Object podmanStamp;
  private Map<String, ContainerInfo> podmanNames = Map.of();
  private long resolutions;

  /**
   * @param hostRoot where the host's root filesystem is mounted ({@code /} on the host itself)
   * @param problems where failures are reported; called on the scan thread
   */
  public RuntimeContainerMetadata(Path hostRoot, Settings settings, ParseProblems problems,
      LongSupplier nanoClock) {
    this.dockerSocket = hostRoot.resolve("run/docker.sock");
    this.containerdTaskRoots = List.of(hostRoot.resolve("run/containerd/io.containerd.runtime.v2.task"),
        hostRoot.resolve("run/containerd/io.containerd.runtime.v1.linux"));
    this.userdataRoot = hostRoot.resolve("run/containers/storage/overlay-containers");
    this.podmanContainersJson = hostRoot.resolve("var/lib/containers/storage/overlay-containers/containers.json");
    this.settings = settings;
    this.problems = problems;
    this.nanoClock = nanoClock;
  }

  public static RuntimeContainerMetadata forHost(Path hostRoot, ParseProblems problems) {
    return new RuntimeContainerMetadata(hostRoot, Settings.DEFAULTS, problems, System::nanoTime);
  }

  @Override
  public Optional<ContainerInfo> lookup(ContainerRuntime runtime, String containerId) {
    long now = nanoClock.getAsLong();
    Entry e = cache.get(containerId);
    if (e != null && now - e.expiresNanos() < 0) {
      return e.info();
    }
    Optional<ContainerInfo> info = resolve(runtime, containerId);
    resolutions++;
    if (cache.size() >= settings.maxEntries()) {
      evict(now);
    }
    cache.put(containerId, new Entry(info,
        now + (info.isPresent() ? settings.found() : settings.missing()).toNanos()));
    return info;
  }

  /** Times a runtime was asked (cache misses), a cost figure. */
  public long resolutions() {
    return resolutions;
  }

  private Optional<ContainerInfo> resolve(ContainerRuntime runtime, String id) {
    return switch (runtime) {
      case DOCKER -> docker(id);
      case CONTAINERD -> containerd(id);
      case CRIO -> userdata(id);
      case PODMAN -> userdata(id).or(() -> podman(id));
      case UNKNOWN -> containerd(id).or(() -> userdata(id)).or(() -> docker(id));
    };
  }

  // ----------------------------------------------------------------------------------- docker

  private Optional<ContainerInfo> docker(String id) {
    long now = nanoClock.getAsLong();
    if (dockerDown && now - dockerDownUntil < 0) {
      return Optional.empty();
    }
    dockerDown = false;
    UnixSocketHttp.Response r;
    try {
      r = UnixSocketHttp.get(dockerSocket, "/containers/" + id + "/json", settings.dockerDeadline(),
          MAX_RESPONSE_BYTES);
    } catch (MalformedResponseException e) {
      return dockerFailed(Cause.MALFORMED_LINE);
    } catch (SocketTimeoutException e) {
      return dockerFailed(Cause.IO_ERROR);
    } catch (IOException e) {
      Cause cause = ReadFailures.cause(e);
      boolean absent = !Files.exists(dockerSocket);
      return dockerFailed(absent ? Cause.MISSING_FILE : cause == Cause.VANISHED ? Cause.IO_ERROR : cause);
    }
    if (r.status() == 404) {
      return Optional.empty();  // not one of docker's containers
    }
    if (r.status() != 200) {
      return dockerFailed(Cause.IO_ERROR);
    }
    return DockerInspect.parse(r.body(), r.body().length, problems);
  }

  private Optional<ContainerInfo> dockerFailed(Cause cause) {
    problems.report(DockerInspect.SOURCE, cause);
    dockerDown = true;
    dockerDownUntil = nanoClock.getAsLong() + settings.backoff().toNanos();
    return Optional.empty();
  }

  // ------------------------------------------------------------------------------- containerd

  private Optional<ContainerInfo> containerd(String id) {
    for (Path root : containerdTaskRoots) {
      for (Path namespace : namespaces(root)) {
        byte[] config = read(namespace.resolve(id).resolve("config.json"), CONTAINERD_SOURCE);
        if (config == null) {
          continue;
        }
        Optional<ContainerInfo> info = OciAnnotations.parse(config, config.length, CONTAINERD_SOURCE, problems)
            .flatMap(a -> OciAnnotations.info(a, Map.of()));
        if (info.isPresent()) {
          return info;
        }
      }
    }
    return Optional.empty();
  }

  private List<Path> namespaces(Path root) {
    List<Path> out = new ArrayList<>(4);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path p : dirs) {
        out.add(p);
      }
    } catch (NoSuchFileException e) {
      // containerd is not installed, or uses the other shim
    } catch (IOException e) {
      problems.report(CONTAINERD_SOURCE, ReadFailures.cause(e));
    }
    return out;
  }

  // ----------------------------------------------------------------------------- cri-o, podman

  private Optional<ContainerInfo> userdata(String id) {
    Optional<Map<String, String>> annotations = userdataAnnotations(id);
    if (annotations.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> podLabels = Map.of();
    String sandbox = OciAnnotations.crioSandboxId(annotations.get());
    if (sandbox != null && CgroupPaths.isContainerId(sandbox)) {
      podLabels = userdataAnnotations(sandbox)
          .map(a -> OciAnnotations.crioPodLabels(a, USERDATA_SOURCE, problems)).orElse(Map.of());
    } else if (sandbox == null) {
      podLabels = OciAnnotations.crioPodLabels(annotations.get(), USERDATA_SOURCE, problems);
    }
    return OciAnnotations.info(annotations.get(), podLabels);
  }

  private Optional<Map<String, String>> userdataAnnotations(String id) {
    byte[] config = read(userdataRoot.resolve(id).resolve("userdata").resolve("config.json"), USERDATA_SOURCE);
    return config == null ? Optional.empty()
        : OciAnnotations.parse(config, config.length, USERDATA_SOURCE, problems);
  }

  private Optional<ContainerInfo> podman(String id) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(podmanContainersJson, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      problems.report(PodmanStorage.SOURCE, ReadFailures.cause(e));
      return Optional.empty();
    }
    Object stamp = List.of(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey() == null ? "" : attrs.fileKey());
    if (!stamp.equals(podmanStamp)) {
      byte[] content = read(podmanContainersJson, PodmanStorage.SOURCE);
      podmanNames = content == null ? Map.of() : PodmanStorage.parse(content, content.length, problems);
      podmanStamp = stamp;
    }
    return Optional.ofNullable(podmanNames.get(id));
  }

  // --------------------------------------------------------------------------------- plumbing

  /** The file's bytes; null when absent (not this runtime's container) or unreadable (reported). */
  private byte[] read(Path file, String source) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        problems.report(source, Cause.MALFORMED_LINE);
        return null;
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      Cause cause = ReadFailures.cause(e);
      if (cause != Cause.VANISHED) {
        problems.report(source, cause);
      }
      return null;
    }
  }

  private void evict(long now) {
    for (Iterator<Entry> it = cache.values().iterator(); it.hasNext(); ) {
      if (now - it.next().expiresNanos() >= 0) {
        it.remove();
      }
    }
    if (cache.size() >= settings.maxEntries()) {
      cache.clear();  // more live containers than the bound: start over rather than grow
    }
  }
}
