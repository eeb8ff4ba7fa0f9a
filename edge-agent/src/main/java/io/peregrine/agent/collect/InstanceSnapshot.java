package io.peregrine.agent.collect;

import io.peregrine.agent.cgroup.AppIdentity;
import io.peregrine.agent.cgroup.CgroupCpu;
import io.peregrine.agent.cgroup.CgroupMemory;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.cgroup.IoStat;
import io.peregrine.agent.procfs.PressureStall;
import java.util.List;

/**
 * One application instance as one scan saw it: its processes and, when the instance has a cgroup
 * of its own (a container or a systemd unit), that cgroup's accounting. A plain process shares its
 * cgroup with unrelated processes (the root cgroup, a user session), so its figures are the sums
 * over its processes instead ({@link ProcessTotals}).
 *
 * @param container what the runtime knows about the container, or null
 * @param processes its processes, in pid order (never empty)
 * @param leader the oldest process (earliest start, then lowest pid): the instance's main process
 * @param cgroupOwned true when the cgroup belongs to the instance alone, so its accounting is used
 * @param cpu cgroup CPU accounting, null when not cgroup-owned or unreadable
 * @param memory cgroup memory, null when not cgroup-owned or unreadable
 * @param cpuPressure cgroup v2 pressure, null when absent; likewise memory and io
 * @param io cgroup block I/O (v2 io.stat, v1 blkio throttle counters), null when absent (then
 *     {@link ProcessTotals} has the disk bytes)
 * @param totals sums over the processes
 */
public record InstanceSnapshot(
    AppIdentity identity,
    ContainerInfo container,
    List<ProcessSnapshot> processes,
    ProcessSnapshot leader,
    boolean cgroupOwned,
    CgroupCpu cpu,
    CgroupMemory memory,
    PressureStall cpuPressure,
    PressureStall memoryPressure,
    PressureStall ioPressure,
    IoStat io,
    ProcessTotals totals) {

  public String instanceId() {
    return identity.instanceId();
  }

  /**
   * The key of an instance: application id and instance id, which together identify it on a node
   * (AppInstance.avsc). The instance id alone does not: a process group ({@code pid:<pgrp>}) can
   * hold a shell and the program it started, two applications.
   */
  public static String key(AppIdentity identity) {
    return identity.app().id() + " " + identity.instanceId();
  }

  public String key() {
    return leader.instanceKey();
  }

  /**
   * Sums over the processes of an instance; a value no process could report is 0.
   *
   * @param rssAnonBytes RssAnon of /proc/&lt;pid&gt;/status (read only when not cgroup-owned)
   * @param rssFileBytes RssFile + RssShmem (idem)
   * @param readBytes read_bytes of /proc/&lt;pid&gt;/io (read only without cgroup block I/O)
   */
  public record ProcessTotals(
      long utimeTicks,
      long stimeTicks,
      int threads,
      long fds,
      long rssAnonBytes,
      long rssFileBytes,
      long readBytes,
      long writtenBytes) {
  }
}
