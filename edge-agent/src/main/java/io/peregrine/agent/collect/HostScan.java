package io.peregrine.agent.collect;

import io.peregrine.agent.procfs.IpAddress;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one scan of /proc saw: every process (kernel threads and zombies left out), grouped into
 * application instances, and the listening and established TCP sockets of every network
 * namespace with their owners. Immutable; each collector derives its events by comparing the scans
 * it is given with its own memory of the previous ones.
 *
 * @param timeMillis when the scan ran (the agent's interval tick)
 * @param number scans so far, from 0
 * @param userHz clock ticks per second of the times in {@link ProcessSnapshot}
 * @param processes in pid order
 * @param instances by {@linkplain InstanceSnapshot#key key}, in order of their first process's pid
 * @param sockets listening and established sockets of every namespace read
 * @param netnsAddresses addresses of each namespace other than {@link #ROOT_NETNS} (interface
 *     addresses except loopback), to name what a wildcard listen inside it serves
 * @param processesComplete false when /proc could not be listed: absent processes then say nothing
 * @param unreadNetns namespaces whose tables could not be read this time: absent sockets of those
 *     say nothing (the root namespace is {@link #ROOT_NETNS})
 */
public record HostScan(
    long timeMillis,
    long number,
    int userHz,
    List<ProcessSnapshot> processes,
    Map<Integer, ProcessSnapshot> processesByPid,
    Map<String, InstanceSnapshot> instances,
    List<SocketSnapshot> sockets,
    Map<Long, List<IpAddress>> netnsAddresses,
    boolean processesComplete,
    Set<Long> unreadNetns) {

  /** The network namespace whose tables /proc/net shows (the agent's own, normally the host's). */
  public static final long ROOT_NETNS = 0;

  public HostScan {
    processes = Collections.unmodifiableList(processes);
    processesByPid = Collections.unmodifiableMap(processesByPid);
    instances = Collections.unmodifiableMap(instances);
    sockets = Collections.unmodifiableList(sockets);
    netnsAddresses = Collections.unmodifiableMap(netnsAddresses);
    unreadNetns = Collections.unmodifiableSet(unreadNetns);
  }

  public ProcessSnapshot process(int pid) {
    return processesByPid.get(pid);
  }

  public InstanceSnapshot instance(String key) {
    return instances.get(key);
  }

  /** The instance owning a socket, or null when its owner is unknown. */
  public InstanceSnapshot ownerInstance(SocketSnapshot s) {
    ProcessSnapshot p = s.owned() ? processesByPid.get(s.ownerPid()) : null;
    return p == null ? null : instances.get(p.instanceKey());
  }
}
