package io.peregrine.agent.cgroup;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Arrays;
import java.util.Optional;

/**
 * Parses /proc/&lt;pid&gt;/cgroup (cgroups(7)): one {@code hierarchy-ID:controller-list:path} line
 * per hierarchy, e.g.
 * <pre>
 * 0::/system.slice/nginx.service                     (v2)
 * 4:memory:/kubepods/burstable/pod.../&lt;id&gt;      (v1)
 * 3:cpu,cpuacct:/kubepods/burstable/pod.../&lt;id&gt;
 * 1:name=systemd:/kubepods/burstable/pod.../&lt;id&gt;
 * </pre>
 * The path is everything after the second ':' (it may itself contain ':', as containerd's
 * {@code ...slice:cri-containerd:<id>} does). Lines that carry the same path, as on v1 hosts, share
 * one String.
 */
public final class ProcCgroupParser {

  public static final String SOURCE = "/proc/<pid>/cgroup";

  private ProcCgroupParser() {
  }

  /** @return empty when no line is usable (the file is never empty for a live process) */
  public static Optional<ProcessCgroups> parse(byte[] buf, int length, ParseProblems problems) {
    if (length == 0) {
      problems.report(SOURCE, Cause.EMPTY);
      return Optional.empty();
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    String unified = null;
    String cpu = null;
    String cpuacct = null;
    String memory = null;
    String blkio = null;
    String systemd = null;
    // Paths created so far and where their bytes are, to share Strings between equal paths.
    String[] seen = new String[4];
    int[] seenStart = new int[4];
    int[] seenEnd = new int[4];
    int seenCount = 0;
    boolean any = false;
    while (c.nextLine()) {
      int s = c.lineStart();
      int e = c.lineEnd();
      if (s == e) {
        continue;
      }
      int first = Ascii.indexOf(buf, s, e, (byte) ':');
      int second = first < 0 ? -1 : Ascii.indexOf(buf, first + 1, e, (byte) ':');
      if (second < 0 || second + 1 >= e || buf[second + 1] != '/'
          || Ascii.parseLong(buf, s, first) < 0) {
        problems.report(SOURCE, Cause.MALFORMED_LINE);
        continue;
      }
      any = true;
      int pathStart = second + 1;
      String path = null;
      for (int i = 0; i < seenCount && path == null; i++) {
        if (Arrays.equals(buf, pathStart, e, buf, seenStart[i], seenEnd[i])) {
          path = seen[i];
        }
      }
      if (path == null) {
        path = Ascii.string(buf, pathStart, e);
        int slot = seenCount < seen.length ? seenCount++ : seen.length - 1;
        seen[slot] = path;
        seenStart[slot] = pathStart;
        seenEnd[slot] = e;
      }
      if (first + 1 == second) {
        unified = path;  // "0::" — the controller list of the v2 hierarchy is empty
        continue;
      }
      // Walk the comma-separated controller list.
      int from = first + 1;
      while (from < second) {
        int comma = Ascii.indexOf(buf, from, second, (byte) ',');
        int to = comma < 0 ? second : comma;
        if (Ascii.equals(buf, from, to, "cpu")) {
          cpu = path;
        } else if (Ascii.equals(buf, from, to, "cpuacct")) {
          cpuacct = path;
        } else if (Ascii.equals(buf, from, to, "memory")) {
          memory = path;
        } else if (Ascii.equals(buf, from, to, "blkio")) {
          blkio = path;
        } else if (Ascii.equals(buf, from, to, "name=systemd")) {
          systemd = path;
        }
        from = to + 1;
      }
    }
    if (c.truncatedTail()) {
      problems.report(SOURCE, Cause.TRUNCATED);
    }
    if (!any) {
      problems.report(SOURCE, Cause.MISSING_FIELD);
      return Optional.empty();
    }
    return Optional.of(new ProcessCgroups(unified, cpu, cpuacct, memory, blkio, systemd));
  }
}
