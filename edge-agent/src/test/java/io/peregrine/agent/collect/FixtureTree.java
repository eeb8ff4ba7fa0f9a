package io.peregrine.agent.collect;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.procfs.TcpState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes procfs and cgroupfs trees for the collectors' tests and benchmark: processes (stat,
 * status, io, cgroup, cmdline, and the exe, fd/N and ns/net symbolic links that a resource tree
 * cannot hold), TCP tables in the running host's byte order, cgroup v2 accounting files. Node files
 * are copied from the captured {@code host-debian12-vm} fixture. Every file follows the kernel's
 * format as the parsers' captured fixtures show it.
 */
final class FixtureTree {

  static final String FIXTURE = "host-debian12-vm";

  final Path root;
  final Path proc;
  final Path sys;
  final Path cgroup;

  FixtureTree(Path root) {
    this.root = root;
    this.proc = root.resolve("proc");
    this.sys = root.resolve("sys");
    this.cgroup = sys.resolve("fs/cgroup");
    try {
      Files.createDirectories(proc.resolve("net"));
      Files.createDirectories(cgroup);
      Files.writeString(cgroup.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
      Files.createDirectories(root.resolve("etc"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tcp(List.of());
    tcp6(List.of());
  }

  /** Copies the node-wide files (stat, meminfo, net counters, PSI, ids) of the captured host. */
  FixtureTree withNodeFiles() {
    Path from = Fixtures.root(FIXTURE);
    for (String f : List.of("proc/stat", "proc/loadavg", "proc/meminfo", "proc/diskstats", "proc/uptime",
        "proc/net/dev", "proc/net/snmp", "proc/net/netstat", "proc/pressure/cpu", "proc/pressure/memory",
        "proc/pressure/io", "proc/sys/kernel/random/boot_id", "proc/sys/kernel/osrelease", "etc/machine-id")) {
      copy(from.resolve(f), root.resolve(f));
    }
    return this;
  }

  /** Copies every file of a captured process of {@code host-debian12-vm}, without links. */
  void copyCapturedProcess(int pid) {
    Path from = Fixtures.root(FIXTURE).resolve("proc").resolve(Integer.toString(pid));
    for (String f : List.of("stat", "status", "io", "cgroup", "cmdline")) {
      copy(from.resolve(f), proc.resolve(Integer.toString(pid)).resolve(f));
    }
  }

  /** Copies the captured socket tables of {@code host-debian12-vm}. */
  void copyCapturedTables() {
    Path from = Fixtures.root(FIXTURE).resolve("proc/net");
    copy(from.resolve("tcp"), proc.resolve("net/tcp"));
    copy(from.resolve("tcp6"), proc.resolve("net/tcp6"));
  }

  // ---------------------------------------------------------------------------------- processes

  ProcessSpec process(int pid) {
    return new ProcessSpec(pid);
  }

  /** A process; {@link #write()} puts it into the tree (replacing any process of that pid). */
  final class ProcessSpec {
    final int pid;
    String comm = "app";
    char state = 'S';
    int ppid = 1;
    int pgrp;
    long flags = 0x400000;
    long utime = 300;
    long stime = 100;
    int threads = 1;
    long startTicks = 1000;
    long rssPages = 2000;
    String cgroup = "/";
    String exe = "/usr/bin/app";
    List<String> args = new ArrayList<>();
    final Map<Integer, String> fds = new LinkedHashMap<>();
    long netns = -1;
    long rssAnonKb = 4000;
    long rssFileKb = 3000;
    long readBytes = 4096;
    long writtenBytes = 8192;

    ProcessSpec(int pid) {
      this.pid = pid;
      this.pgrp = pid;
    }

    ProcessSpec comm(String c) {
      comm = c;
      return this;
    }

    ProcessSpec ppid(int p) {
      ppid = p;
      return this;
    }

    ProcessSpec pgrp(int p) {
      pgrp = p;
      return this;
    }

    ProcessSpec state(char s) {
      state = s;
      return this;
    }

    ProcessSpec kernelThread() {
      flags |= 0x00200000L;
      exe = null;
      return this;
    }

    ProcessSpec cpu(long utimeTicks, long stimeTicks) {
      utime = utimeTicks;
      stime = stimeTicks;
      return this;
    }

    ProcessSpec threads(int n) {
      threads = n;
      return this;
    }

    ProcessSpec start(long ticks) {
      startTicks = ticks;
      return this;
    }

    ProcessSpec cgroup(String path) {
      cgroup = path;
      return this;
    }

    ProcessSpec exe(String path) {
      exe = path;
      return this;
    }

    ProcessSpec args(String... a) {
      args = List.of(a);
      return this;
    }

    ProcessSpec fd(int fd, String target) {
      fds.put(fd, target);
      return this;
    }

    ProcessSpec socket(int fd, long inode) {
      return fd(fd, "socket:[" + inode + "]");
    }

    ProcessSpec netns(long inode) {
      netns = inode;
      return this;
    }

    ProcessSpec rss(long anonKb, long fileKb) {
      rssAnonKb = anonKb;
      rssFileKb = fileKb;
      return this;
    }

    ProcessSpec io(long read, long written) {
      readBytes = read;
      writtenBytes = written;
      return this;
    }

    /**
     * Writes the process. Files of a pid already written are overwritten in place, as procfs shows
     * new content in the same files (a scanner may keep them open); its links are made anew.
     */
    FixtureTree write() {
      Path dir = proc.resolve(Integer.toString(pid));
      try {
        delete(dir.resolve("fd"));
        delete(dir.resolve("ns"));
        Files.deleteIfExists(dir.resolve("exe"));
        Files.createDirectories(dir.resolve("fd"));
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") " + state + " " + ppid + " " + pgrp + " "
            + pgrp + " 0 -1 " + flags + " 3041 6546 0 0 " + utime + " " + stime + " 4 0 20 0 " + threads
            + " 0 " + startTicks + " 18653184 " + rssPages
            + " 18446744073709551615 1 1 0 0 0 0 0 16781318 0 1 0 0 17 1 0 0 0 0 0 1 1 1 1 1 1 1 0\n");
        Files.writeString(dir.resolve("status"), "Name:\t" + comm + "\nState:\t" + state + " (sleeping)\nTgid:\t"
            + pid + "\nPid:\t" + pid + "\nPPid:\t" + ppid + "\nUid:\t0\t0\t0\t0\nNStgid:\t" + pid + "\n"
            + (flags == 0x400000 || (flags & 0x00200000L) == 0
                ? "VmRSS:\t" + (rssAnonKb + rssFileKb) + " kB\nRssAnon:\t" + rssAnonKb + " kB\nRssFile:\t"
                    + rssFileKb + " kB\nRssShmem:\t0 kB\nVmSwap:\t0 kB\n" : "")
            + "Threads:\t" + threads + "\nvoluntary_ctxt_switches:\t16\nnonvoluntary_ctxt_switches:\t14\n");
        Files.writeString(dir.resolve("io"), "rchar: 1802068\nwchar: 2417\nsyscr: 1349\nsyscw: 30\nread_bytes: "
            + readBytes + "\nwrite_bytes: " + writtenBytes + "\ncancelled_write_bytes: 0\n");
        Files.writeString(dir.resolve("cgroup"), "0::" + cgroup + "\n");
        StringBuilder cmd = new StringBuilder();
        for (String a : args.isEmpty() && exe != null ? List.of(exe) : args) {
          cmd.append(a).append('\0');
        }
        Files.writeString(dir.resolve("cmdline"), cmd.toString());
        if (exe != null) {
          Files.createSymbolicLink(dir.resolve("exe"), Path.of(exe));
        }
        for (Map.Entry<Integer, String> e : fds.entrySet()) {
          Files.createSymbolicLink(dir.resolve("fd").resolve(Integer.toString(e.getKey())), Path.of(e.getValue()));
        }
        if (netns >= 0) {
          Files.createDirectories(dir.resolve("ns"));
          Files.createSymbolicLink(dir.resolve("ns/net"), Path.of("net:[" + netns + "]"));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return FixtureTree.this;
    }
  }

  /** The agent's own network namespace ({@code /proc/self/ns/net}), which /proc/net shows. */
  FixtureTree selfNetns(long inode) {
    try {
      Path ns = Files.createDirectories(proc.resolve("self/ns"));
      Files.deleteIfExists(ns.resolve("net"));
      Files.createSymbolicLink(ns.resolve("net"), Path.of("net:[" + inode + "]"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Replaces the target of one descriptor, as a close and a reopen of the same number would. */
  void relink(int pid, int fd, String target) {
    Path link = proc.resolve(Integer.toString(pid)).resolve("fd").resolve(Integer.toString(fd));
    try {
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, Path.of(target));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void closeFd(int pid, int fd) {
    try {
      Files.deleteIfExists(proc.resolve(Integer.toString(pid)).resolve("fd").resolve(Integer.toString(fd)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The process exits. */
  void remove(int pid) {
    delete(proc.resolve(Integer.toString(pid)));
  }

  // ------------------------------------------------------------------------------------ sockets

  private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
      + "   uid  timeout inode\n";

  /** /proc/net/tcp (or /proc/&lt;pid&gt;/net/tcp with {@link #tcpOf}) from {@link #line} lines. */
  void tcp(List<String> lines) {
    write(proc.resolve("net/tcp"), table(lines));
  }

  void tcp6(List<String> lines) {
    write(proc.resolve("net/tcp6"), table(lines));
  }

  /** The tables and addresses of the network namespace of {@code pid}. */
  void tcpOf(int pid, List<String> lines, List<String> lines6, String fibTrie) {
    Path net = proc.resolve(Integer.toString(pid)).resolve("net");
    write(net.resolve("tcp"), table(lines));
    write(net.resolve("tcp6"), table(lines6));
    write(net.resolve("fib_trie"), fibTrie);
    write(net.resolve("if_inet6"), "");
  }

  private static String table(List<String> lines) {
    StringBuilder sb = new StringBuilder(HEADER.length() + lines.size() * 160);
    sb.append(HEADER);
    for (int i = 0; i < lines.size(); i++) {
      sb.append(String.format("%4d: ", i)).append(lines.get(i)).append('\n');
    }
    return sb.toString();
  }

  /**
   * One line of a table (without its {@code sl:} prefix), addresses printed as the kernel does:
   * each 32-bit word of the network-order address in the host's byte order.
   */
  static String line(String localIp, int localPort, String remoteIp, int remotePort, TcpState state, long inode) {
    return hex(localIp) + ":" + String.format("%04X", localPort) + " " + hex(remoteIp) + ":"
        + String.format("%04X", remotePort) + " " + String.format("%02X", state.code())
        + " 00000000:00000000 00:00000000 00000000     0        0 " + inode
        + " 1 0000000000000000 100 0 0 10 0";
  }

  private static String hex(String ip) {
    byte[] b;
    try {
      b = InetAddress.getByName(ip).getAddress();
      if (ip.contains(":") && b.length == 4) {
        // The JDK turns ::ffff:a.b.c.d into an IPv4 address; tcp6 prints the mapped form.
        b = new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, b[0], b[1], b[2], b[3]};
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(ip, e);
    }
    StringBuilder sb = new StringBuilder(32);
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    for (int i = 0; i < b.length / 4; i++) {
      sb.append(String.format("%08X", bb.getInt()));
    }
    return sb.toString();
  }

  /** An IPv4 fib_trie listing these local addresses (and loopback), as the kernel prints it. */
  static String fibTrie(String... addresses) {
    StringBuilder sb = new StringBuilder("Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n");
    sb.append("     +-- 127.0.0.0/8 2 0 2\n        |-- 127.0.0.1\n           /32 host LOCAL\n");
    for (String a : addresses) {
      sb.append("     +-- ").append(a).append("/24 2 0 2\n        |-- ").append(a)
          .append("\n           /24 link UNICAST\n           /32 host LOCAL\n");
    }
    sb.append("Local:\n  +-- 0.0.0.0/0 3 0 5\n");
    for (String a : addresses) {
      sb.append("     |-- ").append(a).append("\n        /32 host LOCAL\n");
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------------------------ cgroups

  /** Writes cgroup v2 files of {@code path} (relative to the hierarchy root, with leading '/'). */
  void cgroupFiles(String path, Map<String, String> files) {
    Path dir = cgroup.resolve(path.substring(1));
    for (Map.Entry<String, String> e : files.entrySet()) {
      write(dir.resolve(e.getKey()), e.getValue());
    }
  }

  /** A container's or unit's v2 accounting with the given usage. */
  static Map<String, String> v2Accounting(long userUsec, long systemUsec, long anonBytes, long fileBytes,
      long limitBytes, long oomKills, long readBytes, long writtenBytes) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("cpu.stat", "usage_usec " + (userUsec + systemUsec) + "\nuser_usec " + userUsec + "\nsystem_usec "
        + systemUsec + "\nnr_periods 100\nnr_throttled 7\nthrottled_usec 120000\n");
    files.put("cpu.max", "200000 100000\n");
    files.put("memory.current", (anonBytes + fileBytes) + "\n");
    files.put("memory.stat", "anon " + anonBytes + "\nfile " + fileBytes + "\nkernel_stack 16384\nshmem 0\n");
    files.put("memory.max", limitBytes < 0 ? "max\n" : limitBytes + "\n");
    files.put("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill " + oomKills + "\n");
    files.put("io.stat", "259:0 rbytes=" + readBytes + " wbytes=" + writtenBytes
        + " rios=12 wios=34 dbytes=0 dios=0\n");
    String psi = "some avg10=1.50 avg60=0.80 avg300=0.20 total=123456\nfull avg10=0.50 avg60=0.10 avg300=0.00 total=23456\n";
    files.put("cpu.pressure", psi);
    files.put("memory.pressure", psi);
    files.put("io.pressure", psi);
    return files;
  }

  // ----------------------------------------------------------------------------------- plumbing

  private static void write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content, UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copy(Path from, Path to) {
    try {
      Files.createDirectories(to.getParent());
      Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void delete(Path dir) {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
