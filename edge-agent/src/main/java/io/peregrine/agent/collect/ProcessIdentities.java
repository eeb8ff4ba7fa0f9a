package io.peregrine.agent.collect;

import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.AppIdentity;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ProcessCgroups;
import io.peregrine.agent.procfs.Cmdline;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.PidStat;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.schema.AppInstance;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The application instance of a process the eBPF sensor names by pid, decided exactly as the
 * procfs scan decides it ({@link AppIdentifier} over the process's cgroups and executable), so
 * that events of both sources name the same instance.
 *
 * <p>Lookups, in order: what was learnt of the pid since its last exec; the latest
 * {@link HostScan} (free, and it still knows processes that have exited since); a read of
 * /proc/&lt;pid&gt;; and for a process gone before anyone looked, a plain-process identity from
 * its kernel name ({@code process/<comm>}, instance {@code pid:<pid>}). {@link #exec} reads the
 * process afresh (the scan knew the program before the exec); {@link #exit} forgets it.
 *
 * <p>Not thread-safe: the sensor's thread owns it.
 */
public final class ProcessIdentities {

  /** What is known of a process. */
  public record Known(AppInstance instance, String cgroupPath, String exe, String cmdline,
      boolean cmdlineTruncated) {
  }

  private static final ProcessCgroups NO_CGROUPS = new ProcessCgroups("/", null, null, null, null, null);

  private final Supplier<HostScan> latestScan;
  private final ProcFs procFs;
  private final CgroupReader cgroups;
  private final AppIdentifier identifier;
  private final ParseProblems problems;
  private final Map<Integer, Known> known;
  private long reads;

  /**
   * @param latestScan the latest procfs scan, or null before the first
   * @param maxProcesses processes remembered at once (least recently used forgotten)
   */
  public ProcessIdentities(Supplier<HostScan> latestScan, ProcFs procFs, CgroupReader cgroups,
      AppIdentifier identifier, ParseProblems problems, int maxProcesses) {
    this.latestScan = latestScan;
    this.procFs = procFs;
    this.cgroups = cgroups;
    this.identifier = identifier;
    this.problems = problems;
    this.known = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Integer, Known> eldest) {
        return size() > maxProcesses;
      }
    };
  }

  /** The process {@code pid}; {@code comm} names it if nothing else can (may be null). */
  public Known of(int pid, String comm) {
    Known k = known.get(pid);
    if (k != null) {
      return k;
    }
    HostScan scan = latestScan.get();
    ProcessSnapshot p = scan == null ? null : scan.process(pid);
    if (p != null) {
      k = new Known(AvroMapping.instance(p.identity()), p.cgroupPath(), p.exe(), p.cmdline(), p.cmdlineTruncated());
    } else {
      k = read(pid, comm);
    }
    known.put(pid, k);
    return k;
  }

  /** The process executed a new program: what was known of it no longer holds. */
  public Known exec(int pid, String comm) {
    Known k = read(pid, comm);
    known.put(pid, k);
    return k;
  }

  /** The process ended: what is known of it, then forgotten. */
  public Known exit(int pid, String comm) {
    Known k = of(pid, comm);
    known.remove(pid);
    return k;
  }

  /** Processes read from /proc so far (a cost figure). */
  public long reads() {
    return reads;
  }

  private Known read(int pid, String comm) {
    reads++;
    Optional<PidStat> stat = procFs.pidStat(pid);
    Optional<ProcessCgroups> cg = stat.isEmpty() ? Optional.empty() : cgroups.processCgroups(pid);
    String fallbackName = comm != null && !comm.isBlank() ? comm : "pid-" + pid;
    if (stat.isEmpty() || cg.isEmpty()) {
      AppIdentity id = identifier.identify(NO_CGROUPS, pid, fallbackName, problems);
      return new Known(AvroMapping.instance(id), "/", null, null, false);
    }
    ProcessCgroups c = cg.get();
    String exe = procFs.exe(pid).orElse(null);
    String name = exe != null ? exe : stat.get().comm().isBlank() ? fallbackName : stat.get().comm();
    AppIdentity id = identifier.identify(c, stat.get().pgrp(), name, problems);
    Optional<Cmdline> cmdline = procFs.cmdline(pid, HostScanner.CMDLINE_MAX_BYTES);
    String cgroupPath = c.unified() != null ? c.unified() : c.cpu() != null ? c.cpu() : "/";
    return new Known(AvroMapping.instance(id), cgroupPath, exe, cmdline.map(Cmdline::text).orElse(null),
        cmdline.map(Cmdline::truncated).orElse(false));
  }
}
