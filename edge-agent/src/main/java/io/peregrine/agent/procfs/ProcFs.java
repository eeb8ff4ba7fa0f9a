package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.FileSlurper;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.LongConsumer;

/**
 * Reads procfs under a configurable root and hands the bytes to the parsers of this package. This
 * is the only class here that does I/O. A containerised agent reads the host's /proc mounted
 * elsewhere ({@code --proc-root /host/proc}) and the host's /etc under {@code --host-root}.
 *
 * <p>Failures never escape: a file that cannot be read yields an empty result and a report to the
 * {@link ParseProblems} sink by cause — {@code VANISHED} for a process that exited mid-scan,
 * {@code PERMISSION_DENIED} for files of other users' processes when not root, and so on.
 *
 * <p>Not thread-safe (it reuses one read buffer); use one instance per collector thread.
 */
public final class ProcFs {

  public static final Path DEFAULT_PROC_ROOT = Path.of("/proc");
  public static final Path DEFAULT_HOST_ROOT = Path.of("/");

  private final Path procRoot;
  private final Path hostRoot;
  private final int userHz;
  private final ByteOrder hostOrder;
  private final ParseProblems problems;
  private final FileSlurper slurper = new FileSlurper();

  /**
   * @param procRoot where the host's procfs is mounted, normally /proc
   * @param hostRoot where the host's root filesystem is visible (for /etc/machine-id), normally /
   * @param userHz USER_HZ of the host kernel ({@link KernelStatParser#DEFAULT_USER_HZ})
   */
  public ProcFs(Path procRoot, Path hostRoot, int userHz, ParseProblems problems) {
    this(procRoot, hostRoot, userHz, ByteOrder.nativeOrder(), problems);
  }

  /**
   * @param hostOrder byte order of the kernel that wrote the files (/proc/net/tcp addresses); the
   *     running host's, except for fixtures captured elsewhere
   */
  ProcFs(Path procRoot, Path hostRoot, int userHz, ByteOrder hostOrder, ParseProblems problems) {
    if (userHz <= 0) {
      throw new IllegalArgumentException("userHz must be positive: " + userHz);
    }
    this.procRoot = procRoot;
    this.hostRoot = hostRoot;
    this.userHz = userHz;
    this.hostOrder = hostOrder;
    this.problems = problems;
  }

  /** The running host's /proc and /. */
  public static ProcFs host(ParseProblems problems) {
    return new ProcFs(DEFAULT_PROC_ROOT, DEFAULT_HOST_ROOT, KernelStatParser.DEFAULT_USER_HZ, problems);
  }

  public Path procRoot() {
    return procRoot;
  }

  public int userHz() {
    return userHz;
  }

  // ---------------------------------------------------------------------------------------- node

  public Optional<KernelStat> kernelStat() {
    return read(procRoot.resolve("stat"), KernelStatParser.SOURCE, false) < 0 ? Optional.empty()
        : KernelStatParser.parse(buf(), len(), userHz, problems);
  }

  public Optional<LoadAvg> loadAvg() {
    return read(procRoot.resolve("loadavg"), LoadAvgParser.SOURCE, false) < 0 ? Optional.empty()
        : LoadAvgParser.parse(buf(), len(), problems);
  }

  public Optional<MemInfo> memInfo() {
    return read(procRoot.resolve("meminfo"), MemInfoParser.SOURCE, false) < 0 ? Optional.empty()
        : MemInfoParser.parse(buf(), len(), problems);
  }

  public List<DiskStat> diskStats() {
    return read(procRoot.resolve("diskstats"), DiskStatsParser.SOURCE, false) < 0 ? List.of()
        : DiskStatsParser.parse(buf(), len(), problems);
  }

  public List<NetDevStat> netDev() {
    return read(procRoot.resolve("net/dev"), NetDevParser.SOURCE, false) < 0 ? List.of()
        : NetDevParser.parse(buf(), len(), problems);
  }

  public Optional<TcpCounters> tcpCounters() {
    // Copied because the buffer is reused for the second file; netstat is optional to the parser.
    byte[] netstat = read(procRoot.resolve("net/netstat"), NetSnmpParser.NETSTAT_SOURCE, false) < 0
        ? new byte[0] : Arrays.copyOf(buf(), len());
    if (read(procRoot.resolve("net/snmp"), NetSnmpParser.SNMP_SOURCE, false) < 0) {
      return Optional.empty();
    }
    return NetSnmpParser.parse(buf(), len(), netstat, netstat.length, problems);
  }

  /**
   * Node-wide pressure of {@code cpu}, {@code memory} or {@code io}; empty without a report when
   * the kernel has no PSI (before 4.20, or booted with psi=0).
   */
  public Optional<PressureStall> pressure(String resource) {
    String source = "/proc/pressure/" + resource;
    return read(procRoot.resolve("pressure").resolve(resource), source, true) < 0 ? Optional.empty()
        : PressureParser.parse(buf(), len(), source, problems);
  }

  public Optional<String> bootId() {
    return read(procRoot.resolve("sys/kernel/random/boot_id"), HostInfoParser.BOOT_ID_SOURCE, false)
        < 0 ? Optional.empty() : HostInfoParser.bootId(buf(), len(), problems);
  }

  public Optional<String> kernelRelease() {
    return read(procRoot.resolve("sys/kernel/osrelease"), HostInfoParser.OS_RELEASE_SOURCE, false)
        < 0 ? Optional.empty() : HostInfoParser.kernelRelease(buf(), len(), problems);
  }

  public OptionalDouble uptimeSeconds() {
    return read(procRoot.resolve("uptime"), HostInfoParser.UPTIME_SOURCE, false) < 0
        ? OptionalDouble.empty() : HostInfoParser.uptimeSeconds(buf(), len(), problems);
  }

  /**
   * The machine id from {@code <host-root>/etc/machine-id}, else the D-Bus copy in
   * {@code /var/lib/dbus/machine-id} that older and minimal systems have instead.
   */
  public Optional<String> machineId() {
    if (read(hostRoot.resolve("etc/machine-id"), HostInfoParser.MACHINE_ID_SOURCE, true) >= 0) {
      Optional<String> id = HostInfoParser.machineId(buf(), len(), problems);
      if (id.isPresent()) {
        return id;
      }
    }
    if (read(hostRoot.resolve("var/lib/dbus/machine-id"), HostInfoParser.MACHINE_ID_SOURCE, true) < 0) {
      return Optional.empty();
    }
    return HostInfoParser.machineId(buf(), len(), problems);
  }

  // ----------------------------------------------------------------------------------- processes

  /** Pids of the processes (thread group leaders) under the proc root, ascending. */
  public int[] pids() {
    // java.io.File.list reads every name in one native call; a DirectoryStream makes a Path per
    // entry, a few hundred microseconds a scan on a host with a thousand processes.
    String[] names = procRoot.toFile().list();
    if (names == null) {
      // File.list says nothing of why: ask through NIO for the cause.
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(procRoot)) {
        problems.report("/proc", Cause.IO_ERROR);  // readable now: it failed a moment ago
      } catch (IOException e) {
        problems.report("/proc", e instanceof NoSuchFileException ? Cause.MISSING_FILE : ReadFailures.cause(e));
      }
      return new int[0];
    }
    int[] pids = new int[names.length];
    int n = 0;
    for (String name : names) {
      int pid = parsePid(name);
      if (pid > 0) {
        pids[n++] = pid;
      }
    }
    int[] result = Arrays.copyOf(pids, n);
    Arrays.sort(result);
    return result;
  }

  public Optional<PidStat> pidStat(int pid) {
    return readPid(pid, "stat", true, PidStatParser.SOURCE) < 0 ? Optional.empty()
        : PidStatParser.parse(buf(), len(), problems);
  }

  public Optional<PidStatus> pidStatus(int pid) {
    return readPid(pid, "status", true, PidStatusParser.SOURCE) < 0 ? Optional.empty()
        : PidStatusParser.parse(buf(), len(), problems);
  }

  public Optional<PidIo> pidIo(int pid) {
    return readPid(pid, "io", true, PidIoParser.SOURCE) < 0 ? Optional.empty()
        : PidIoParser.parse(buf(), len(), problems);
  }

  /** The command line, cut to {@code maxBytes}; empty for kernel threads and zombies. */
  public Optional<Cmdline> cmdline(int pid, int maxBytes) {
    return readPid(pid, "cmdline", false, "/proc/<pid>/cmdline") < 0 ? Optional.empty()
        : CmdlineParser.joined(buf(), len(), maxBytes);
  }

  /**
   * The target of /proc/&lt;pid&gt;/exe, as seen in the process's mount namespace; empty for kernel
   * threads (which have no executable, and are not reported) and when unreadable.
   */
  public Optional<String> exe(int pid) {
    Path link = procRoot.resolve(Integer.toString(pid)).resolve("exe");
    try {
      return Optional.of(Files.readSymbolicLink(link).toString());
    } catch (NoSuchFileException e) {
      // Also what a kernel thread's exe gives: readlink fails with ENOENT although the link exists.
      if (!Files.isSymbolicLink(link)) {
        problems.report("/proc/<pid>/exe", Cause.VANISHED);
      }
      return Optional.empty();
    } catch (IOException e) {
      problems.report("/proc/<pid>/exe", ReadFailures.cause(e));
      return Optional.empty();
    }
  }

  /**
   * Counts the open descriptors of a process and, when {@code socketInodes} is not null, passes the
   * inode of each socket among them to it.
   *
   * @return the number of descriptors, or -1 when the directory cannot be read (reported)
   */
  public int scanFds(int pid, LongConsumer socketInodes) {
    int count = 0;
    try (DirectoryStream<Path> dir =
        Files.newDirectoryStream(procRoot.resolve(Integer.toString(pid)).resolve("fd"))) {
      for (Path fd : dir) {
        if (socketInodes != null) {
          String target;
          try {
            target = Files.readSymbolicLink(fd).toString();
          } catch (IOException e) {
            continue;  // closed since the directory was listed
          }
          long inode = ProcLinks.socketInode(target);
          if (inode >= 0) {
            socketInodes.accept(inode);
          }
        }
        count++;
      }
    } catch (IOException e) {
      problems.report("/proc/<pid>/fd", ReadFailures.cause(e));
      return -1;
    } catch (DirectoryIteratorException e) {
      problems.report("/proc/<pid>/fd", ReadFailures.cause(e.getCause()));
      return -1;
    }
    return count;
  }

  /**
   * Maps every socket inode held by a process to the lowest pid holding it (a socket shared across
   * fork is attributed to the parent, which normally created it). Reads every /proc/&lt;pid&gt;/fd
   * directory: one readlink per descriptor.
   */
  public Map<Long, Integer> socketOwners() {
    Map<Long, Integer> owners = new HashMap<>();
    for (int pid : pids()) {
      scanFds(pid, inode -> owners.putIfAbsent(inode, pid));
    }
    return owners;
  }

  // ------------------------------------------------------------------------------------- sockets

  /** TCP sockets of the proc root's own network namespace (/proc/net is /proc/self/net). */
  public List<TcpSocket> tcpSockets(int stateMask) {
    return tcpSockets(procRoot.resolve("net"), stateMask);
  }

  /** TCP sockets of the network namespace of {@code pid}, e.g. a container's. */
  public List<TcpSocket> tcpSockets(int pid, int stateMask) {
    return tcpSockets(procRoot.resolve(Integer.toString(pid)).resolve("net"), stateMask);
  }

  private List<TcpSocket> tcpSockets(Path netDir, int stateMask) {
    List<TcpSocket> sockets = new ArrayList<>();
    if (read(netDir.resolve("tcp"), TcpTableParser.TCP_SOURCE, false) >= 0) {
      TcpTableParser.parse(buf(), len(), false, stateMask, hostOrder, sockets, problems);
    }
    // tcp6 is absent when IPv6 is disabled (ipv6.disable=1); that is not a problem.
    if (read(netDir.resolve("tcp6"), TcpTableParser.TCP6_SOURCE, true) >= 0) {
      TcpTableParser.parse(buf(), len(), true, stateMask, hostOrder, sockets, problems);
    }
    return sockets;
  }

  // ------------------------------------------------------------------------------------ plumbing

  static int parsePid(String name) {
    int n = name.length();
    if (n == 0 || n > 10) {
      return -1;
    }
    long pid = 0;
    for (int i = 0; i < n; i++) {
      char ch = name.charAt(i);
      if (ch < '0' || ch > '9') {
        return -1;
      }
      pid = pid * 10 + (ch - '0');
    }
    return pid > 0 && pid <= Integer.MAX_VALUE ? (int) pid : -1;
  }

  /**
   * Reads a host-wide file. A missing one is MISSING_FILE unless {@code optional}, in which case
   * it is silently absent.
   *
   * @return the length read, or -1
   */
  private int read(Path path, String source, boolean optional) {
    try {
      int n = slurper.read(path);
      if (slurper.capped()) {
        problems.report(source, Cause.TRUNCATED);
      }
      return n;
    } catch (NoSuchFileException e) {
      if (!optional) {
        problems.report(source, Cause.MISSING_FILE);
      }
      return -1;
    } catch (IOException e) {
      problems.report(source, ReadFailures.cause(e));
      return -1;
    }
  }

  /**
   * Keeps up to {@code maxFiles} of the files of /proc/&lt;pid&gt; read at every scan (stat, status,
   * io) open between scans, to read them again at offset 0 ({@link FileSlurper#readKept}); those
   * not read between two calls of {@link #sweepKept} are closed. 0 turns it off.
   */
  public void keepPidFilesOpen(int maxFiles) {
    slurper.keepOpen(maxFiles);
  }

  /** Closes the kept files not read since the previous call. */
  public void sweepKept() {
    slurper.sweep();
  }

  /** Files of /proc/&lt;pid&gt; kept open now. */
  public int keptFiles() {
    return slurper.keptFiles();
  }

  /** Closes every kept file. */
  public void closeKept() {
    slurper.closeKept();
  }

  /** Reads a file of /proc/&lt;pid&gt;; a missing one means the process is gone. */
  private int readPid(int pid, String name, boolean keep, String source) {
    try {
      Path path = procRoot.resolve(Integer.toString(pid)).resolve(name);
      return keep ? slurper.readKept(path) : slurper.read(path);
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
