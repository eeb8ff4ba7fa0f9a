package io.peregrine.agent.cgroup;

import io.peregrine.agent.internal.FileSlurper;
import io.peregrine.agent.procfs.KernelStatParser;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.PressureParser;
import io.peregrine.agent.procfs.PressureStall;
import io.peregrine.agent.procfs.ReadFailures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads cgroup membership (/proc/&lt;pid&gt;/cgroup) and cgroup accounting files under configurable
 * roots, and hands the bytes to {@link ProcCgroupParser} and {@link CgroupFiles}. The mounts are
 * found under {@code <sys-root>/fs/cgroup} once, at construction:
 * <ul>
 *   <li>unified (v2 only): {@code cgroup.controllers} at the top;
 *   <li>hybrid: v1 controllers in {@code <controller>/} directories, cgroup2 in {@code unified/};
 *   <li>legacy (v1 only): controller directories, possibly co-mounted as {@code cpu,cpuacct}.
 * </ul>
 * For each controller, the hierarchy the process's line names is read: a controller is bound to
 * exactly one hierarchy, so a v1 line for it means v1 holds its accounting. When a process sits in
 * the v1 root but in a v2 child (a hybrid host whose v1 controllers are unused), the v2 cgroup is
 * read instead, as root accounting would describe the whole host.
 *
 * <p>Not thread-safe (one read buffer); one instance per collector thread.
 */
public final class CgroupReader {

  public static final Path DEFAULT_SYS_ROOT = Path.of("/sys");

  private final Path procRoot;
  private final int userHz;
  private final ParseProblems problems;
  private final FileSlurper slurper = new FileSlurper(4096, 1024 * 1024);
  private final Path unifiedMount;   // null when there is no cgroup2 hierarchy
  private final Path cpuMount;       // v1 hierarchies, null when absent
  private final Path cpuacctMount;
  private final Path memoryMount;
  private final Path blkioMount;
  private final long[] readWrite = new long[2];
  private final Map<Path, Limits> limits = new HashMap<>();
  private long scan;
  private int limitScans = 1;

  /** A cgroup's limits as last read, and when: configuration, which seldom changes. */
  private static final class Limits {
    long quotaMicros = -1;
    long periodMicros = -1;
    long memoryBytes = -1;
    long cpuReadScan = Long.MIN_VALUE;
    long memoryReadScan = Long.MIN_VALUE;
    long usedScan;
  }

  /**
   * @param procRoot where the host's procfs is mounted, normally /proc
   * @param sysRoot where the host's sysfs is mounted, normally /sys
   * @param userHz USER_HZ of the host kernel, for v1 cpuacct.stat
   */
  public CgroupReader(Path procRoot, Path sysRoot, int userHz, ParseProblems problems) {
    this.procRoot = procRoot;
    this.userHz = userHz;
    this.problems = problems;
    Path fs = sysRoot.resolve("fs/cgroup");
    if (Files.exists(fs.resolve("cgroup.controllers"))) {
      unifiedMount = fs;
    } else if (Files.exists(fs.resolve("unified/cgroup.controllers"))) {
      unifiedMount = fs.resolve("unified");
    } else {
      unifiedMount = null;
    }
    cpuMount = v1Mount(fs, "cpu", "cpu,cpuacct", "cpuacct,cpu");
    cpuacctMount = v1Mount(fs, "cpuacct", "cpu,cpuacct", "cpuacct,cpu");
    memoryMount = v1Mount(fs, "memory");
    blkioMount = v1Mount(fs, "blkio");
  }

  /**
   * Starts scan number {@code scan}: from now on the limits of a cgroup (cpu.max and memory.max,
   * v1 cpu.cfs_quota_us, cpu.cfs_period_us and memory.limit_in_bytes) are read when it is first
   * asked for and then again every {@code refreshScans} scans, not at every scan; the usage files
   * still are. Limits of cgroups not asked for in two refresh periods are forgotten. Without a
   * call, everything is read every time. Kept files (see {@link #keepFilesOpen}) not read since
   * the previous call are closed.
   */
  public void beginScan(long scan, int refreshScans) {
    slurper.sweep();
    this.scan = scan;
    this.limitScans = Math.max(1, refreshScans);
    if (scan % limitScans == 0) {
      limits.values().removeIf(l -> scan - l.usedScan > 2L * limitScans);
    }
  }

  /**
   * Keeps up to {@code maxFiles} accounting files open between scans, to read them again at
   * offset 0 ({@link FileSlurper#readKept}); those not read during a scan are closed at the
   * next {@link #beginScan}. 0 turns it off.
   */
  public void keepFilesOpen(int maxFiles) {
    slurper.keepOpen(maxFiles);
  }

  /** Accounting files kept open now. */
  public int keptFiles() {
    return slurper.keptFiles();
  }

  /** Closes every kept file. */
  public void closeKept() {
    slurper.closeKept();
  }

  private Limits limitsOf(Path dir) {
    Limits l = limits.computeIfAbsent(dir, d -> new Limits());
    l.usedScan = scan;
    return l;
  }

  private boolean due(long readScan) {
    return limitScans <= 1 || readScan == Long.MIN_VALUE || scan - readScan >= limitScans;
  }

  public static CgroupReader host(ParseProblems problems) {
    return new CgroupReader(Path.of("/proc"), DEFAULT_SYS_ROOT, KernelStatParser.DEFAULT_USER_HZ,
        problems);
  }

  /** The cgroup2 mount point, if the host has one. */
  public Optional<Path> unifiedMount() {
    return Optional.ofNullable(unifiedMount);
  }

  public Optional<ProcessCgroups> processCgroups(int pid) {
    Path file = procRoot.resolve(Integer.toString(pid)).resolve("cgroup");
    if (read(file, ProcCgroupParser.SOURCE, false, false) < 0) {
      return Optional.empty();
    }
    return ProcCgroupParser.parse(slurper.buffer(), slurper.length(), problems);
  }

  /** CPU accounting of the process's cgroup; empty when its usage cannot be read. */
  public Optional<CgroupCpu> cpu(ProcessCgroups cgroups) {
    CgroupCpu.Builder cpu = new CgroupCpu.Builder();
    if (cpuacctMount != null && useV1(cgroups.cpuacct(), cgroups.unified())) {
      Path acct = dir(cpuacctMount, cgroups.cpuacct());
      if (acct == null
          || read(acct.resolve("cpuacct.usage"), "cgroup v1 cpuacct.usage", false) < 0
          || !CgroupFiles.v1CpuacctUsage(buf(), len(), cpu, problems)) {
        return Optional.empty();
      }
      if (read(acct.resolve("cpuacct.stat"), "cgroup v1 cpuacct.stat", true) >= 0) {
        CgroupFiles.v1CpuacctStat(buf(), len(), userHz, cpu, problems);
      }
      Path dir = cpuMount == null || cgroups.cpu() == null ? null : dir(cpuMount, cgroups.cpu());
      if (dir != null) {
        if (read(dir.resolve("cpu.stat"), "cgroup v1 cpu.stat", true) >= 0) {
          CgroupFiles.v1CpuStat(buf(), len(), cpu, problems);
        }
        Limits l = limitsOf(dir);
        if (due(l.cpuReadScan)) {
          if (read(dir.resolve("cpu.cfs_quota_us"), "cgroup v1 cpu.cfs_quota_us", true) >= 0) {
            CgroupFiles.v1CfsQuota(buf(), len(), cpu, problems);
          }
          if (read(dir.resolve("cpu.cfs_period_us"), "cgroup v1 cpu.cfs_period_us", true) >= 0) {
            CgroupFiles.v1CfsPeriod(buf(), len(), cpu, problems);
          }
          remember(l, cpu);
        } else {
          cpu.quotaMicros = l.quotaMicros;
          cpu.periodMicros = l.periodMicros;
        }
      }
      return Optional.of(cpu.build());
    }
    Path dir = unifiedMount == null || cgroups.unified() == null
        ? null : dir(unifiedMount, cgroups.unified());
    if (dir == null) {
      return Optional.empty();
    }
    if (read(dir.resolve("cpu.stat"), "cgroup v2 cpu.stat", false) < 0
        || !CgroupFiles.v2CpuStat(buf(), len(), cpu, problems)) {
      return Optional.empty();
    }
    // cpu.max exists only where the cpu controller is enabled, and never at the root.
    Limits l = limitsOf(dir);
    if (due(l.cpuReadScan)) {
      if (read(dir.resolve("cpu.max"), "cgroup v2 cpu.max", true) >= 0) {
        CgroupFiles.v2CpuMax(buf(), len(), cpu, problems);
      }
      remember(l, cpu);
    } else {
      cpu.quotaMicros = l.quotaMicros;
      cpu.periodMicros = l.periodMicros;
    }
    return Optional.of(cpu.build());
  }

  /** Memory of the process's cgroup; empty when its usage cannot be read. */
  public Optional<CgroupMemory> memory(ProcessCgroups cgroups) {
    CgroupMemory.Builder memory = new CgroupMemory.Builder();
    if (memoryMount != null && useV1(cgroups.memory(), cgroups.unified())) {
      Path dir = dir(memoryMount, cgroups.memory());
      if (dir == null
          || read(dir.resolve("memory.usage_in_bytes"), "cgroup v1 memory.usage_in_bytes", false) < 0
          || !CgroupFiles.v1MemoryUsage(buf(), len(), memory, problems)) {
        return Optional.empty();
      }
      if (read(dir.resolve("memory.stat"), "cgroup v1 memory.stat", true) >= 0) {
        CgroupFiles.v1MemoryStat(buf(), len(), memory, problems);
      }
      Limits l = limitsOf(dir);
      if (due(l.memoryReadScan)) {
        if (read(dir.resolve("memory.limit_in_bytes"), "cgroup v1 memory.limit_in_bytes", true) >= 0) {
          CgroupFiles.v1MemoryLimit(buf(), len(), memory, problems);
        }
        l.memoryBytes = memory.limitBytes;
        l.memoryReadScan = scan;
      } else {
        memory.limitBytes = l.memoryBytes;
      }
      if (read(dir.resolve("memory.oom_control"), "cgroup v1 memory.oom_control", true) >= 0) {
        CgroupFiles.v1OomControl(buf(), len(), memory, problems);
      }
      return Optional.of(memory.build());
    }
    Path dir = unifiedMount == null || cgroups.unified() == null
        ? null : dir(unifiedMount, cgroups.unified());
    if (dir == null) {
      return Optional.empty();
    }
    // memory.* files exist only where the memory controller is enabled (and not at the root).
    if (read(dir.resolve("memory.current"), "cgroup v2 memory.current", true) < 0
        || !CgroupFiles.v2MemoryCurrent(buf(), len(), memory, problems)) {
      return Optional.empty();
    }
    if (read(dir.resolve("memory.stat"), "cgroup v2 memory.stat", true) >= 0) {
      CgroupFiles.v2MemoryStat(buf(), len(), memory, problems);
    }
    Limits l = limitsOf(dir);
    if (due(l.memoryReadScan)) {
      if (read(dir.resolve("memory.max"), "cgroup v2 memory.max", true) >= 0) {
        CgroupFiles.v2MemoryMax(buf(), len(), memory, problems);
      }
      l.memoryBytes = memory.limitBytes;
      l.memoryReadScan = scan;
    } else {
      memory.limitBytes = l.memoryBytes;
    }
    if (read(dir.resolve("memory.events"), "cgroup v2 memory.events", true) >= 0) {
      CgroupFiles.v2MemoryEvents(buf(), len(), memory, problems);
    }
    return Optional.of(memory.build());
  }

  /**
   * Block I/O of the process's cgroup, descendants included: v1 blkio throttle counters
   * ({@code *_recursive}, else the cgroup's own on kernels without them), else v2 io.stat. Empty
   * at the root (which would describe the whole host), without the io or blkio controller, and on
   * v1 when the kernel is not counting (only a {@code Total 0} line: see
   * {@link IoStat#v1BlkioReadWrite}); callers then sum the processes' /proc/&lt;pid&gt;/io.
   */
  public Optional<IoStat> io(ProcessCgroups cgroups) {
    if (blkioMount != null && useV1(cgroups.blkio(), cgroups.unified())) {
      if (cgroups.blkio().equals("/")) {
        return Optional.empty();
      }
      Path dir = dir(blkioMount, cgroups.blkio());
      if (dir == null) {
        return Optional.empty();
      }
      String bytesSource = "cgroup v1 blkio.throttle.io_service_bytes";
      if (read(dir.resolve("blkio.throttle.io_service_bytes_recursive"), bytesSource, true) < 0
          && read(dir.resolve("blkio.throttle.io_service_bytes"), bytesSource, false) < 0) {
        return Optional.empty();
      }
      if (IoStat.v1BlkioReadWrite(buf(), len(), bytesSource, readWrite, problems) == 0) {
        return Optional.empty();
      }
      long readBytes = readWrite[0];
      long writtenBytes = readWrite[1];
      long reads = 0;
      long writes = 0;
      String opsSource = "cgroup v1 blkio.throttle.io_serviced";
      if ((read(dir.resolve("blkio.throttle.io_serviced_recursive"), opsSource, true) >= 0
          || read(dir.resolve("blkio.throttle.io_serviced"), opsSource, true) >= 0)
          && IoStat.v1BlkioReadWrite(buf(), len(), opsSource, readWrite, problems) > 0) {
        reads = readWrite[0];
        writes = readWrite[1];
      }
      return Optional.of(new IoStat(readBytes, writtenBytes, reads, writes));
    }
    String path = cgroups.unified();
    if (unifiedMount == null || path == null || path.equals("/")) {
      return Optional.empty();
    }
    Path dir = dir(unifiedMount, path);
    // io.stat exists only where the io controller is enabled.
    if (dir == null || read(dir.resolve("io.stat"), IoStat.SOURCE, true) < 0) {
      return Optional.empty();
    }
    return IoStat.parse(buf(), len(), problems);
  }

  /**
   * Pressure of {@code cpu}, {@code memory} or {@code io} for the process's v2 cgroup; empty on
   * v1-only hosts and kernels without PSI.
   */
  public Optional<PressureStall> pressure(ProcessCgroups cgroups, String resource) {
    Path dir = unifiedMount == null || cgroups.unified() == null
        ? null : dir(unifiedMount, cgroups.unified());
    if (dir == null) {
      return Optional.empty();
    }
    String source = "cgroup v2 " + resource + ".pressure";
    if (read(dir.resolve(resource + ".pressure"), source, true) < 0) {
      return Optional.empty();
    }
    return PressureParser.parse(buf(), len(), source, problems);
  }

  private void remember(Limits l, CgroupCpu.Builder cpu) {
    l.quotaMicros = cpu.quotaMicros;
    l.periodMicros = cpu.periodMicros;
    l.cpuReadScan = scan;
  }

  private boolean useV1(String v1Path, String v2Path) {
    if (v1Path == null) {
      return false;
    }
    boolean v2Child = unifiedMount != null && v2Path != null && !v2Path.equals("/");
    return !v1Path.equals("/") || !v2Child;
  }

  /**
   * The directory of a cgroup, or null (reported) for a path that leaves the hierarchy: inside a
   * cgroup namespace, cgroups outside it read as {@code /../..}, which must not resolve to
   * arbitrary directories of the agent's view.
   */
  private Path dir(Path mount, String cgroupPath) {
    if (cgroupPath.equals("/..") || cgroupPath.startsWith("/../") || cgroupPath.contains("/../")
        || cgroupPath.endsWith("/..")) {
      problems.report(ProcCgroupParser.SOURCE, ParseProblems.Cause.UNKNOWN_CGROUP_LAYOUT);
      return null;
    }
    // cgroup paths are absolute within the hierarchy; strip the leading '/' to stay under mount.
    int i = 0;
    while (i < cgroupPath.length() && cgroupPath.charAt(i) == '/') {
      i++;
    }
    return i == cgroupPath.length() ? mount : mount.resolve(cgroupPath.substring(i));
  }

  private static Path v1Mount(Path fs, String... names) {
    for (String name : names) {
      Path p = fs.resolve(name);
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    return null;
  }

  /**
   * @return the length read, or -1. A missing file is the cgroup gone (its container or unit
   *     stopped mid-scan, VANISHED) unless {@code optional}, when it is silently absent.
   */
  private int read(Path path, String source, boolean optional) {
    return read(path, source, optional, true);
  }

  /** With {@code keep}, through a file kept open when {@link #keepFilesOpen} is on. */
  private int read(Path path, String source, boolean optional, boolean keep) {
    try {
      return keep ? slurper.readKept(path) : slurper.read(path);
    } catch (NoSuchFileException e) {
      if (!optional) {
        problems.report(source, ParseProblems.Cause.VANISHED);
      }
      return -1;
    } catch (IOException e) {
      problems.report(source, ReadFailures.cause(e));
      return -1;
    }
  }

  private byte[] buf() {
    return slurper.buffer();
  }

  private int len() {
    return slurper.length();
  }
}
