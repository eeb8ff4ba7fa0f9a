package io.peregrine.agent.cgroup;

import io.peregrine.agent.cgroup.CgroupClassification.Origin;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProcLinks;
import io.peregrine.schema.AppKind;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides which application and instance a process belongs to, from its cgroups and executable:
 * <ol>
 *   <li>a container: {@code k8s/<namespace>/<workload>} (else {@code k8s/<namespace>/<pod>} for a
 *       bare pod), {@code container/<project>/<service>} for a Compose service, else
 *       {@code container/<name>}, all named by {@link ContainerMetadata}; without
 *       metadata the container is {@code unknown/<cgroup-path>} (without the path's leading '/')
 *       — an honest key, not a guessed name;
 *   <li>a systemd service: {@code systemd/<unit>};
 *   <li>anything else — the root cgroup, user sessions, init.scope, unknown layouts: the
 *       executable, {@code process/<file-name>}.
 * </ol>
 * On hybrid hosts a process has several paths; containers are searched in all of them first (the
 * cgroupfs driver may leave systemd's own hierarchy at the runtime's service while the controller
 * hierarchies name the container), then units.
 *
 * <p>Stateless apart from the metadata lookup; results depend only on the arguments, so callers may
 * cache them by cgroup paths and executable.
 */
public final class AppIdentifier {

  public static final String SOURCE = "/proc/<pid>/cgroup path";

  private static final int SHORT_ID_LENGTH = 12;

  private final ContainerMetadata metadata;

  public AppIdentifier(ContainerMetadata metadata) {
    this.metadata = Objects.requireNonNull(metadata, "metadata");
  }

  /**
   * @param cgroups the process's cgroup membership
   * @param groupLeaderPid the process group id (/proc/&lt;pid&gt;/stat pgrp), which names the
   *     instance of plain processes
   * @param executable the executable's path (/proc/&lt;pid&gt;/exe) or, when unreadable, the comm
   */
  public AppIdentity identify(ProcessCgroups cgroups, int groupLeaderPid, String executable,
      ParseProblems problems) {
    if (executable == null || executable.isBlank()) {
      throw new IllegalArgumentException("executable must be named; pass comm when exe is unreadable");
    }
    List<String> candidates = cgroups.identityCandidates();
    CgroupClassification unit = null;
    CgroupClassification unrecognised = null;
    for (String path : candidates) {
      CgroupClassification c = CgroupPaths.classify(path);
      if (c.isContainer()) {
        return container(c);
      }
      if (c.origin() == Origin.SYSTEMD && unit == null) {
        unit = c;
      } else if (c.origin() == Origin.UNRECOGNISED && unrecognised == null) {
        unrecognised = c;
      }
    }
    if (unit != null) {
      String name = unit.unit().endsWith(".service")
          ? unit.unit().substring(0, unit.unit().length() - ".service".length())
          : unit.unit();
      return new AppIdentity(
          new Application(AppKind.SYSTEMD, "systemd/" + unit.unit(), name, null, null, null),
          unit.instancePath(), unit);
    }
    CgroupClassification host;
    if (unrecognised != null) {
      problems.report(SOURCE, Cause.UNKNOWN_CGROUP_LAYOUT);
      host = unrecognised;
    } else {
      host = CgroupPaths.classify(candidates.isEmpty() ? "/" : candidates.get(0));
    }
    String name = ProcLinks.executableName(executable);
    return new AppIdentity(new Application(AppKind.PROCESS, "process/" + name, name, null, null, null),
        "pid:" + groupLeaderPid, host);
  }

  private AppIdentity container(CgroupClassification c) {
    String id = c.containerId();
    Optional<ContainerInfo> found = metadata.lookup(c.runtime(), id);
    Application app;
    if (found.isEmpty()) {
      app = new Application(AppKind.UNKNOWN, "unknown/" + c.instancePath().substring(1),
          id.substring(0, SHORT_ID_LENGTH), null, null, null);
    } else if (found.get().kubernetes() != null) {
      ContainerInfo.Kubernetes k = found.get().kubernetes();
      String name = k.workloadName() != null ? k.workloadName() : k.pod();
      String workload = k.workloadKind() != null ? k.workloadKind() + "/" + k.workloadName() : null;
      app = new Application(AppKind.KUBERNETES, "k8s/" + k.namespace() + "/" + name, name,
          k.namespace(), workload, k.container());
    } else if (found.get().compose() != null) {
      // Every replica and every re-creation of a Compose service is one application.
      ContainerInfo.Compose compose = found.get().compose();
      String name = compose.project() + "/" + compose.service();
      app = new Application(AppKind.CONTAINER, "container/" + name, name, null, null,
          found.get().name());
    } else {
      String name = found.get().name();
      app = new Application(AppKind.CONTAINER, "container/" + name, name, null, null, name);
    }
    return new AppIdentity(app, id, c);
  }
}
