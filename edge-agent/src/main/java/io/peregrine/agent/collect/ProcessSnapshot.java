package io.peregrine.agent.collect;

import io.peregrine.agent.cgroup.AppIdentity;

/**
 * One process (thread group) as one scan saw it. {@code (pid, startTicks)} identifies it despite
 * pid reuse.
 *
 * @param startTicks start time after boot in clock ticks (/proc/&lt;pid&gt;/stat field 22)
 * @param startedAtMillis the same as wall-clock time, from the boot time in /proc/stat
 * @param exe target of /proc/&lt;pid&gt;/exe, or null when unreadable
 * @param cmdline command line for display, or null when unreadable
 * @param cgroupPath cgroup in the unified hierarchy, else the v1 cpu controller's, else "/"
 * @param instanceKey key of the process's instance in {@link HostScan#instances()}
 *     ({@link InstanceSnapshot#key})
 * @param netns network namespace: {@link HostScan#ROOT_NETNS} for the one whose tables
 *     /proc/net shows (and when the namespace cannot be read), else the namespace's inode
 * @param fds open descriptors, -1 when the fd directory cannot be read
 * @param execed true when the process executed a new program in place since the previous scan
 *     (same pid and start time, another command name)
 */
public record ProcessSnapshot(
    int pid,
    int ppid,
    int pgrp,
    long startTicks,
    long startedAtMillis,
    String comm,
    String exe,
    String cmdline,
    boolean cmdlineTruncated,
    String cgroupPath,
    AppIdentity identity,
    String instanceKey,
    long netns,
    int threads,
    int fds,
    long utimeTicks,
    long stimeTicks,
    boolean execed) {

  public String instanceId() {
    return identity.instanceId();
  }

}
