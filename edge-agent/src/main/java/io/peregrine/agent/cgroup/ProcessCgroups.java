package io.peregrine.agent.cgroup;

import java.util.ArrayList;
import java.util.List;

/**
 * Cgroup membership of a process, from /proc/&lt;pid&gt;/cgroup: its path in the unified (v2)
 * hierarchy and in the v1 hierarchies the agent reads. Paths are relative to the cgroup root as the
 * reading process sees it (its cgroup namespace). A null path means the process has no line for
 * that hierarchy: on a pure v2 host every v1 path is null; on a pure v1 host (no cgroup2 mount),
 * {@code unified} is null.
 *
 * @param unified path of the {@code 0::} line
 * @param cpu path of the v1 hierarchy holding the {@code cpu} controller
 * @param cpuacct path of the v1 hierarchy holding {@code cpuacct} (often the same as cpu)
 * @param memory path of the v1 hierarchy holding {@code memory}
 * @param blkio path of the v1 hierarchy holding {@code blkio}
 * @param systemd path of the v1 {@code name=systemd} hierarchy (systemd's own, no controller)
 */
public record ProcessCgroups(
    String unified, String cpu, String cpuacct, String memory, String blkio, String systemd) {

  /** True when any controller the agent reads lives in a v1 hierarchy. */
  public boolean hasV1Controllers() {
    return cpu != null || cpuacct != null || memory != null || blkio != null;
  }

  /**
   * Paths to try, in order, when deciding which application the process belongs to: the unified
   * one first (it is the only one on modern hosts), then the v1 controllers, then systemd's named
   * hierarchy. Root paths are left out: they say nothing.
   */
  public List<String> identityCandidates() {
    List<String> candidates = new ArrayList<>(5);
    add(candidates, unified);
    add(candidates, cpu);
    add(candidates, cpuacct);
    add(candidates, memory);
    add(candidates, systemd);
    return candidates;
  }

  private static void add(List<String> candidates, String path) {
    if (path != null && !path.equals("/") && !candidates.contains(path)) {
      candidates.add(path);
    }
  }
}
