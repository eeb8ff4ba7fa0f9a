package io.peregrine.agent.cgroup;

import java.util.OptionalLong;

/**
 * Memory of a cgroup in bytes, descendants included. A value the hierarchy does not report is -1
 * (oom_kill is missing from v1 before Linux 4.13).
 *
 * @param usageBytes memory.current (v2), memory.usage_in_bytes (v1)
 * @param anonBytes anonymous memory: memory.stat anon (v2), total_rss (v1)
 * @param fileBytes page cache: memory.stat file (v2), total_cache (v1)
 * @param limitBytes memory.max (v2), memory.limit_in_bytes (v1); -1 when unlimited or unknown
 * @param oomKills processes of the cgroup killed by the OOM killer: memory.events oom_kill (v2),
 *     memory.oom_control oom_kill (v1)
 */
public record CgroupMemory(
    long usageBytes, long anonBytes, long fileBytes, long limitBytes, long oomKills) {

  public OptionalLong limit() {
    return limitBytes < 0 ? OptionalLong.empty() : OptionalLong.of(limitBytes);
  }

  /** Collects the values of several files; every field starts at -1. */
  public static final class Builder {
    long usageBytes = -1;
    long anonBytes = -1;
    long fileBytes = -1;
    long limitBytes = -1;
    long oomKills = -1;

    public CgroupMemory build() {
      return new CgroupMemory(usageBytes, anonBytes, fileBytes, limitBytes, oomKills);
    }
  }
}
