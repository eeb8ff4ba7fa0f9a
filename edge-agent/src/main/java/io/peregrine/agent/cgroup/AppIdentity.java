package io.peregrine.agent.cgroup;

import java.util.Objects;

/**
 * The application a process belongs to, and which instance of it: the Avro
 * {@code io.peregrine.schema.AppInstance} plus where the answer came from.
 *
 * @param instanceId the full container id for containers, the unit's cgroup path for systemd
 *     units, {@code pid:<pid>} of the process group leader for plain processes
 * @param cgroup what the process's cgroup path says, including the pod UID when there is one
 */
public record AppIdentity(Application app, String instanceId, CgroupClassification cgroup) {

  public AppIdentity {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(cgroup, "cgroup");
  }
}
