package io.peregrine.agent.collect;

import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.AppIdentity;
import io.peregrine.agent.cgroup.CgroupCpu;
import io.peregrine.agent.cgroup.CgroupMemory;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.cgroup.IoStat;
import io.peregrine.agent.cgroup.ProcessCgroups;
import io.peregrine.agent.collect.InstanceSnapshot.ProcessTotals;
import io.peregrine.agent.internal.FileSlurper;
import io.peregrine.agent.procfs.Cmdline;
import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.KernelStat;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.PidIo;
import io.peregrine.agent.procfs.PidStat;
import io.peregrine.agent.procfs.PidStatus;
import io.peregrine.agent.procfs.PressureStall;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.agent.procfs.ReadFailures;
import io.peregrine.agent.procfs.TcpSocket;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.AppKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Scans /proc once per interval into a {@link HostScan} that every host collector shares: each
 * process's stat and descriptors, its application identity, the TCP tables of each network
 * namespace with their owners, and the cgroup accounting of each application instance.
 *
 * <p>What rarely changes is remembered between scans, keyed by pid and start time (so a reused
 * pid is a new process): the cgroup membership, executable, command line, network namespace and
 * identity are read when a process is first seen, again when its command name changes (it
 * executed another program, or renamed itself), and otherwise every {@code refreshScans} scans,
 * staggered by pid;
 * descriptor targets are remembered by {@link SocketOwners}. Per scan and process the cost is
 * then one read of /proc/&lt;pid&gt;/stat and one listing of /proc/&lt;pid&gt;/fd, plus status and io
 * for processes that have no cgroup of their own.
 *
 * <p>The TCP tables are the costly part on a live host: reading /proc/net/tcp walks every bucket
 * of the kernel's established-connection hash (262,144 on a 24 GiB machine, about 3 ms), whatever
 * the namespace and however few its sockets. The root namespace's tcp and tcp6 are read every
 * scan; other namespaces (containers with a network of their own) take turns, at most
 * {@code namespacesPerScan} a scan, and count as unread until their turn comes.
 *
 * <p>The files read at every scan (each process's stat, status and io, each instance's cgroup
 * accounting) are kept open between scans and read again at offset 0, which spares the path walk
 * of an open: up to {@link #KEPT_FILES} of them, fewer when the descriptor limit is low (a
 * quarter of it); see {@link io.peregrine.agent.internal.FileSlurper#readKept}. So are the fd
 * directories whose size {@link SocketOwners} reads.
 *
 * <p>Nothing here throws for host content: a process that vanishes mid-scan is skipped, an
 * unreadable file is reported to {@link ScanProblems} by cause and left out.
 *
 * <p>Not thread-safe: the agent's scan thread owns it.
 */
public final class HostScanner {

  public static final int CMDLINE_MAX_BYTES = 1024;
  static final String NETNS_SOURCE = "/proc/<pid>/ns/net";
  private static final int SOCKET_STATES = TcpState.mask(TcpState.LISTEN, TcpState.ESTABLISHED);
  private static final long UNRESOLVED = Long.MIN_VALUE;
  /** Descriptor links are all read again every this many refresh periods (5 minutes by default). */
  private static final int FD_REFRESH_FACTOR = 5;

  /** What is remembered of a process between scans. */
  private static final class Known {
    final long startTicks;
    String comm;
    String exe;
    String cmdline;
    boolean cmdlineTruncated;
    ProcessCgroups cgroups;
    String cgroupPath;
    AppIdentity identity;
    String instanceKey;
    long netns;
    boolean ioDenied;

    Known(long startTicks) {
      this.startTicks = startTicks;
    }
  }

  private record NetnsInfo(List<IpAddress> addresses, long refreshedScan) {
  }

  /** A process of the scan being built, with what only its instance's figures need. */
  private record Row(ProcessSnapshot snapshot, Known known) {
  }

  private final Path procRoot;
  private final ProcFs procFs;
  private final CgroupReader cgroups;
  private final AppIdentifier identifier;
  private final ContainerMetadata metadata;
  private final ScanProblems problems;
  private final int refreshScans;
  private final SocketOwners owners;
  private final FileSlurper slurper = new FileSlurper(4096, 1 << 20);
  private final Map<Integer, Known> known = new HashMap<>();
  private final Map<Long, NetnsInfo> namespaces = new HashMap<>();
  private final Map<Long, Long> lastRead = new HashMap<>();
  private final int namespacesPerScan;
  private long rootNetns = UNRESOLVED;
  private long bootTimeMillis = -1;
  private long scans;
  private long lastTime = Long.MIN_VALUE;
  private volatile HostScan last;

  /**
   * Files kept open between scans at most: 3/8 of them of /proc/&lt;pid&gt;, 3/8 of cgroups, 1/4 fd
   * directories (where their size counts descriptors).
   */
  public static final int KEPT_FILES = 32_768;

  /** Network namespaces other than the root one whose tables are read per scan, by default. */
  public static final int NAMESPACES_PER_SCAN = 8;

  public HostScanner(ProcFs procFs, CgroupReader cgroups, ContainerMetadata metadata,
      ScanProblems problems, int refreshScans) {
    this(procFs, cgroups, metadata, problems, refreshScans, NAMESPACES_PER_SCAN);
  }

  /**
   * @param procFs reader of the host's procfs (its root is where the fd, ns and net files are)
   * @param refreshScans every how many scans remembered facts of a process are read again
   * @param namespacesPerScan how many network namespaces besides the root one have their TCP
   *     tables read per scan; the others wait for their turn and count as unread meanwhile
   */
  public HostScanner(ProcFs procFs, CgroupReader cgroups, ContainerMetadata metadata,
      ScanProblems problems, int refreshScans, int namespacesPerScan) {
    this.namespacesPerScan = namespacesPerScan;
    this.procRoot = procFs.procRoot();
    this.procFs = procFs;
    this.cgroups = cgroups;
    this.metadata = metadata;
    this.identifier = new AppIdentifier(metadata);
    this.problems = problems;
    this.refreshScans = Math.max(1, refreshScans);
    int kept = keptFiles(descriptorLimit());
    this.owners = new SocketOwners(procRoot, problems, this.refreshScans, this.refreshScans * FD_REFRESH_FACTOR,
        SocketOwners.procfsCountsDescriptors(procRoot), kept / 4);
    procFs.keepPidFilesOpen(kept * 3 / 8);
    cgroups.keepFilesOpen(kept * 3 / 8);
  }

  /** How many files to keep open under a limit of {@code maxDescriptors} (-1: unknown). */
  static int keptFiles(long maxDescriptors) {
    return (int) Math.min(KEPT_FILES, maxDescriptors < 0 ? 256 : maxDescriptors / 4);
  }

  private static long descriptorLimit() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
  }

  /** Closes the files kept open; a later scan opens them again. */
  public void close() {
    procFs.closeKept();
    cgroups.closeKept();
    owners.close();
  }

  /** Files kept open between scans now (a cost figure for benchmarks and tests). */
  public int keptFiles() {
    return procFs.keptFiles() + cgroups.keptFiles() + owners.dirHandles();
  }

  /**
   * The scan of the interval at {@code nowMillis}: made by the first collector that asks, shared
   * by the others. Null when that scan failed (the failure went to the first caller).
   */
  public HostScan scanFor(long nowMillis) {
    if (nowMillis != lastTime) {
      lastTime = nowMillis;
      last = null;
      last = scan(nowMillis);
    }
    return last;
  }

  /** The latest scan, or null. */
  public HostScan latest() {
    return last;
  }

  /** Descriptor links read so far, a cost figure. */
  public long readlinks() {
    return owners.readlinks();
  }

  /**
   * How descriptors are counted: {@code stat} (the fd directory's size, Linux 6.2+ procfs) or
   * {@code list}; a cost figure's condition.
   */
  public String descriptorCounting() {
    return owners.countsByStat() ? "stat" : "list";
  }

  /** Scans so far in which every descriptor link had to be read again. */
  public long fullFdPasses() {
    return owners.fullPasses();
  }

  /** A new scan. */
  public HostScan scan(long nowMillis) {
    long scan = scans++;
    if (bootTimeMillis < 0) {
      bootTimeMillis = procFs.kernelStat().map(KernelStat::bootTimeEpochSeconds)
          .filter(s -> s > 0).map(s -> s * 1000).orElse(0L);
    }
    if (rootNetns == UNRESOLVED) {
      rootNetns = netnsOf(procRoot.resolve("self").resolve("ns").resolve("net"), false);
    }
    int userHz = procFs.userHz();
    procFs.sweepKept();
    cgroups.beginScan(scan, refreshScans);

    // ------------------------------------------------------------------------------ processes
    int[] pids = procFs.pids();
    List<Row> rows = new ArrayList<>(pids.length);
    int[] alivePids = new int[pids.length];
    int alive = 0;
    Set<Integer> aliveSet = new HashSet<>(pids.length * 2);
    for (int pid : pids) {
      Optional<PidStat> read = procFs.pidStat(pid);
      if (read.isEmpty()) {
        continue;
      }
      PidStat stat = read.get();
      if (stat.isKernelThread() || stat.isZombie()) {
        continue;
      }
      Known k = known.get(pid);
      boolean fresh = k == null || k.startTicks != stat.startTimeTicks();
      boolean execed = false;
      if (fresh) {
        k = new Known(stat.startTimeTicks());
        if (!resolve(pid, k, stat, true)) {
          known.remove(pid);
          continue;
        }
        known.put(pid, k);
      } else if (!k.comm.equals(stat.comm())) {
        // A new command name: an exec, unless the executable is the same one (a process that
        // renamed itself with prctl(PR_SET_NAME), as some servers do).
        String before = k.exe;
        if (!resolve(pid, k, stat, true)) {
          continue;
        }
        execed = before == null || !before.equals(k.exe);
      } else if ((scan + pid) % refreshScans == 0) {
        resolve(pid, k, stat, false);
      }
      int fds = owners.list(pid, fresh, scan);
      long netns = rootNetns < 0 || k.netns < 0 || k.netns == rootNetns ? HostScan.ROOT_NETNS : k.netns;
      long startedAt = bootTimeMillis + stat.startTimeTicks() * 1000 / userHz;
      ProcessSnapshot snapshot = new ProcessSnapshot(pid, stat.ppid(), stat.pgrp(),
          stat.startTimeTicks(), startedAt, stat.comm(), k.exe, k.cmdline, k.cmdlineTruncated,
          k.cgroupPath, k.identity, k.instanceKey, netns, stat.numThreads(), fds, stat.utimeTicks(),
          stat.stimeTicks(), execed);
      rows.add(new Row(snapshot, k));
      alivePids[alive++] = pid;
      aliveSet.add(pid);
    }
    known.keySet().retainAll(aliveSet);
    owners.retain(aliveSet);

    Map<Integer, ProcessSnapshot> byPid = new HashMap<>(rows.size() * 2);
    List<ProcessSnapshot> processes = new ArrayList<>(rows.size());
    for (Row r : rows) {
      processes.add(r.snapshot());
      byPid.put(r.snapshot().pid(), r.snapshot());
    }

    // -------------------------------------------------------------------------------- sockets
    Set<Long> unread = new HashSet<>();
    List<TcpSocket> rootTable = readTable(-1, HostScan.ROOT_NETNS, unread);
    List<SocketSnapshot> sockets = new ArrayList<>(rootTable.size());
    Map<Long, List<TcpSocket>> tables = new TreeMap<>();
    tables.put(HostScan.ROOT_NETNS, rootTable);
    Map<Long, List<IpAddress>> addresses = new HashMap<>();
    Map<Long, Integer> firstPid = new LinkedHashMap<>();
    for (ProcessSnapshot p : processes) {
      if (p.netns() != HostScan.ROOT_NETNS) {
        firstPid.putIfAbsent(p.netns(), p.pid());
      }
    }
    // Each table read walks the kernel's whole established hash, whichever namespace it lists:
    // namespaces are read in turns, least recently read first, at most namespacesPerScan a scan.
    List<Map.Entry<Long, Integer>> turns = new ArrayList<>(firstPid.entrySet());
    turns.sort(Comparator.comparingLong(e -> lastRead.getOrDefault(e.getKey(), -1L)));
    int budget = namespacesPerScan;
    for (Map.Entry<Long, Integer> e : turns) {
      if (budget-- > 0) {
        tables.put(e.getKey(), readTable(e.getValue(), e.getKey(), unread));
        lastRead.put(e.getKey(), scan);
      } else {
        unread.add(e.getKey());
      }
      addresses.put(e.getKey(), addresses(e.getKey(), e.getValue(), scan));
    }
    namespaces.keySet().retainAll(firstPid.keySet());
    lastRead.keySet().retainAll(firstPid.keySet());
    int total = 0;
    for (List<TcpSocket> table : tables.values()) {
      total += table.size();
    }
    LongIntMap wanted = new LongIntMap(total);
    for (List<TcpSocket> table : tables.values()) {
      for (TcpSocket s : table) {
        if (s.inode() != 0) {
          wanted.putIfAbsent(s.inode(), 0);
        }
      }
    }
    LongIntMap socketOwners = owners.owners(alivePids, alive, wanted, scan);
    for (Map.Entry<Long, List<TcpSocket>> e : tables.entrySet()) {
      for (TcpSocket s : e.getValue()) {
        int owner = s.inode() == 0 ? LongIntMap.MISSING : socketOwners.get(s.inode());
        sockets.add(new SocketSnapshot(s, e.getKey(), owner == LongIntMap.MISSING ? -1 : owner));
      }
    }

    // ------------------------------------------------------------------------------ instances
    Map<String, List<Row>> groups = new LinkedHashMap<>();
    for (Row r : rows) {
      groups.computeIfAbsent(r.snapshot().instanceKey(), id -> new ArrayList<>(2)).add(r);
    }
    Map<String, InstanceSnapshot> instances = new LinkedHashMap<>(groups.size() * 2);
    for (Map.Entry<String, List<Row>> g : groups.entrySet()) {
      instances.put(g.getKey(), instance(g.getValue()));
    }
    HostScan result = new HostScan(nowMillis, scan, userHz, processes, byPid, instances, sockets,
        addresses, pids.length > 0, unread);
    last = result;
    return result;
  }

  // -------------------------------------------------------------------------------- processes

  /**
   * Reads what is remembered of a process. When {@code exec} (a new process, or one that
   * executed another program) the command line too.
   *
   * @return false when the process vanished meanwhile
   */
  private boolean resolve(int pid, Known k, PidStat stat, boolean exec) {
    Optional<ProcessCgroups> cg = cgroups.processCgroups(pid);
    if (cg.isEmpty()) {
      return false;
    }
    ProcessCgroups c = cg.get();
    String exe = procFs.exe(pid).orElse(null);
    String name = exe != null ? exe : stat.comm().isBlank() ? "pid-" + pid : stat.comm();
    k.comm = stat.comm();
    k.exe = exe;
    k.cgroups = c;
    k.cgroupPath = c.unified() != null ? c.unified() : c.cpu() != null ? c.cpu() : "/";
    k.identity = identifier.identify(c, stat.pgrp(), name, problems);
    k.instanceKey = InstanceSnapshot.key(k.identity);
    k.netns = netnsOf(procRoot.resolve(Integer.toString(pid)).resolve("ns").resolve("net"), true);
    if (exec) {
      Optional<Cmdline> cmdline = procFs.cmdline(pid, CMDLINE_MAX_BYTES);
      k.cmdline = cmdline.map(Cmdline::text).orElse(null);
      k.cmdlineTruncated = cmdline.map(Cmdline::truncated).orElse(false);
    }
    return true;
  }

  /**
   * The inode of a {@code net:[N]} namespace link; -1 when it cannot be read (not reported when
   * missing: fixture trees and vanished processes; reported when denied, i.e. without
   * CAP_SYS_PTRACE over the process).
   */
  private long netnsOf(Path link, boolean report) {
    String target;
    try {
      target = Files.readSymbolicLink(link).toString();
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException | UnsupportedOperationException e) {
      if (report && e instanceof IOException io) {
        problems.report(NETNS_SOURCE, ReadFailures.cause(io));
      }
      return -1;
    }
    int open = target.indexOf('[');
    int close = target.lastIndexOf(']');
    if (!target.startsWith("net:") || open < 0 || close <= open + 1) {
      if (report) {
        problems.report(NETNS_SOURCE, Cause.MALFORMED_LINE);
      }
      return -1;
    }
    try {
      return Long.parseLong(target, open + 1, close, 10);
    } catch (NumberFormatException e) {
      if (report) {
        problems.report(NETNS_SOURCE, Cause.BAD_NUMBER);
      }
      return -1;
    }
  }

  // ---------------------------------------------------------------------------------- sockets

  /**
   * The listening and established sockets of a namespace (the root one when {@code pid} is -1).
   * An empty table that came with a report is a failed read: the namespace goes to
   * {@code unread}, so that nobody concludes its sockets closed.
   */
  private List<TcpSocket> readTable(int pid, long netns, Set<Long> unread) {
    long before = problems.reports();
    List<TcpSocket> table = pid < 0 ? procFs.tcpSockets(SOCKET_STATES) : procFs.tcpSockets(pid, SOCKET_STATES);
    if (table.isEmpty() && problems.reports() != before) {
      unread.add(netns);
    }
    return table;
  }

  private List<IpAddress> addresses(long netns, int pid, long scan) {
    NetnsInfo info = namespaces.get(netns);
    if (info != null && scan - info.refreshedScan() < refreshScans) {
      return info.addresses();
    }
    List<IpAddress> out = new ArrayList<>(2);
    Path net = procRoot.resolve(Integer.toString(pid)).resolve("net");
    if (read(net.resolve("fib_trie"), NetnsAddresses.FIB_TRIE_SOURCE)) {
      NetnsAddresses.parseFibTrie(slurper.buffer(), slurper.length(), out, problems);
    }
    if (read(net.resolve("if_inet6"), null)) {
      NetnsAddresses.parseIfInet6(slurper.buffer(), slurper.length(), out, problems);
    }
    List<IpAddress> result = List.copyOf(out);
    namespaces.put(netns, new NetnsInfo(result, scan));
    return result;
  }

  // -------------------------------------------------------------------------------- instances

  private InstanceSnapshot instance(List<Row> rows) {
    Row leader = rows.get(0);
    for (Row r : rows) {
      ProcessSnapshot p = r.snapshot();
      ProcessSnapshot l = leader.snapshot();
      if (p.startTicks() < l.startTicks() || (p.startTicks() == l.startTicks() && p.pid() < l.pid())) {
        leader = r;
      }
    }
    AppIdentity identity = leader.snapshot().identity();
    boolean cgroupOwned = identity.app().kind() != AppKind.PROCESS;
    ContainerInfo container = identity.cgroup().containerId() == null ? null
        : metadata.lookup(identity.cgroup().runtime(), identity.cgroup().containerId()).orElse(null);
    CgroupCpu cpu = null;
    CgroupMemory memory = null;
    PressureStall cpuPressure = null;
    PressureStall memoryPressure = null;
    PressureStall ioPressure = null;
    IoStat io = null;
    if (cgroupOwned) {
      ProcessCgroups cg = leader.known().cgroups;
      cpu = cgroups.cpu(cg).orElse(null);
      memory = cgroups.memory(cg).orElse(null);
      cpuPressure = cgroups.pressure(cg, "cpu").orElse(null);
      memoryPressure = cgroups.pressure(cg, "memory").orElse(null);
      ioPressure = cgroups.pressure(cg, "io").orElse(null);
      io = cgroups.io(cg).orElse(null);
    }
    long utime = 0;
    long stime = 0;
    int threads = 0;
    long fds = 0;
    long anon = 0;
    long file = 0;
    long readBytes = 0;
    long writtenBytes = 0;
    List<ProcessSnapshot> processes = new ArrayList<>(rows.size());
    for (Row r : rows) {
      ProcessSnapshot p = r.snapshot();
      processes.add(p);
      utime += p.utimeTicks();
      stime += p.stimeTicks();
      threads += p.threads();
      fds += Math.max(0, p.fds());
      if (!cgroupOwned || memory == null) {
        PidStatus status = procFs.pidStatus(p.pid()).orElse(null);
        if (status != null) {
          anon += Math.max(0, status.rssAnonBytes());
          file += Math.max(0, status.rssFileBytes()) + Math.max(0, status.rssShmemBytes());
        }
      }
      if (io == null && !r.known().ioDenied) {
        long before = problems.reports();
        PidIo pio = procFs.pidIo(p.pid()).orElse(null);
        if (pio != null) {
          readBytes += pio.readBytes();
          writtenBytes += pio.writtenBytes();
        } else if (problems.reports() != before && problems.lastCause() == Cause.PERMISSION_DENIED) {
          r.known().ioDenied = true;  // it will not change for this process: stop asking
        }
      }
    }
    return new InstanceSnapshot(identity, container, processes, leader.snapshot(), cgroupOwned,
        cpu, memory, cpuPressure, memoryPressure, ioPressure, io,
        new ProcessTotals(utime, stime, threads, fds, anon, file, readBytes, writtenBytes));
  }

  /** Reads a file into the slurper; a missing file is silent, other failures go to {@code source}. */
  private boolean read(Path path, String source) {
    try {
      slurper.read(path);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      if (source != null) {
        problems.report(source, ReadFailures.cause(e));
      }
      return false;
    }
  }

  /** For tests: pids of the processes remembered. */
  Set<Integer> rememberedPids() {
    return known.keySet();
  }
}
