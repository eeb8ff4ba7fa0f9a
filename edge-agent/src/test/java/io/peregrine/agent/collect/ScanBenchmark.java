package io.peregrine.agent.collect;

import static io.peregrine.agent.collect.FixtureTree.line;

import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.AgentContext;
import io.peregrine.agent.Collector;
import io.peregrine.agent.Emitter;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.avro.specific.SpecificRecord;

/**
 * CPU cost of one full scan (every host collector: the /proc scan, node sample, app samples,
 * listens, connections, lifecycle, records built but not serialised), measured with the scanning
 * thread's CPU time ({@link ThreadMXBean#getCurrentThreadCpuTime()}).
 *
 * <p>Two hosts: a generated tree of {@code --processes} processes and {@code --sockets} listening
 * and established sockets (plus 20% TIME_WAIT lines), written under {@code --dir}; and this
 * machine's own /proc. Between measured scans of the tree, {@code --churn} of its connections are
 * replaced by new ones on the same descriptor numbers (the worst case for remembered descriptor
 * links) and one process exits and another starts; the changes are not measured.
 *
 * <p>The tree's fd directories are plain directories, whose size is not the number of entries: the
 * scan lists each of them, as on kernels before 6.2. On procfs of Linux 6.2+ (this machine's
 * live run) descriptors are counted by a stat(2) of the directory instead. To compare two builds
 * on a shared, noisy machine, see {@link PairedScanBenchmark}.
 *
 * <pre>
 * mvn -q -o -pl edge-agent test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.peregrine.agent.collect.ScanBenchmark \
 *     [-Dexec.args="--processes 1000 --sockets 10000 --iterations 100 --churn 0.02 --dir /tmp/x"]
 * </pre>
 */
public final class ScanBenchmark {

  private static final long INTERVAL_MS = 5_000;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>(Map.of("--processes", "1000", "--sockets", "10000",
        "--iterations", "100", "--warmup", "30", "--churn", "0.02", "--dir", defaultDir().toString(),
        "--live-iterations", "100"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    int processes = Integer.parseInt(opts.get("--processes"));
    int sockets = Integer.parseInt(opts.get("--sockets"));
    int iterations = Integer.parseInt(opts.get("--iterations"));
    int warmup = Integer.parseInt(opts.get("--warmup"));
    double churn = Double.parseDouble(opts.get("--churn"));
    Path dir = Path.of(opts.get("--dir")).toAbsolutePath();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();

    System.out.printf(Locale.ROOT, "java %s, %d CPUs, tree under %s%n", System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(), dir);
    long t0 = System.nanoTime();
    GeneratedHost host = new GeneratedHost(dir, processes, sockets, new Random(42));
    System.out.printf(Locale.ROOT, "generated %d processes, %d sockets (%d listening), %d TIME_WAIT lines,"
            + " %d instances in %.1f s%n", processes, host.socketCount(), host.listens, host.timeWait,
        host.instances, (System.nanoTime() - t0) / 1e9);

    // Generated tree: the cold first scan, then steady scans with churn.
    Run tree = new Run(config(Map.of(AgentConfig.PROC_ROOT, host.tree.proc.toString(),
        AgentConfig.SYS_ROOT, host.tree.sys.toString(), AgentConfig.HOST_ROOT, host.tree.root.toString())));
    long cold = tree.once(mx, 0);
    System.out.printf(Locale.ROOT, "tree  cold first scan: %.1f ms CPU (every descriptor link read: %d), %d records;"
        + " descriptors counted by %s%n", cold / 1e6, tree.built.scanner().readlinks(), tree.records,
        tree.built.scanner().descriptorCounting());
    long now = INTERVAL_MS;
    for (int i = 0; i < warmup; i++) {
      host.churn(churn);
      tree.once(mx, now += INTERVAL_MS);
    }
    tree.byCollector.clear();
    long[] cpu = new long[iterations];
    long[] scanOnly = new long[iterations];
    long linksBefore = tree.built.scanner().readlinks();
    long recordsBefore = tree.records;
    for (int i = 0; i < iterations; i++) {
      host.churn(churn);
      cpu[i] = tree.once(mx, now += INTERVAL_MS);
      scanOnly[i] = tree.lastScanNanos;
    }
    report("tree", cpu, scanOnly);
    System.out.println("      mean ms by collector:" + tree.breakdown(iterations));
    System.out.printf(Locale.ROOT, "      per scan: %d records, %.0f descriptor links read, %.0f%% of scans re-read"
            + " every link (churn %.1f%% of connections on reused descriptor numbers)%n",
        (tree.records - recordsBefore) / iterations, (tree.built.scanner().readlinks() - linksBefore) / (double) iterations,
        100.0 * tree.built.scanner().fullFdPasses() / (warmup + iterations + 1), churn * 100);

    // This machine.
    int live = Integer.parseInt(opts.get("--live-iterations"));
    Run host2 = new Run(config(Map.of()));
    long liveCold = host2.once(mx, now += INTERVAL_MS);
    HostScan first = host2.built.scanner().latest();
    long[] liveCpu = new long[live];
    long[] liveScan = new long[live];
    for (int i = 0; i < warmup; i++) {
      host2.once(mx, now += INTERVAL_MS);
    }
    host2.byCollector.clear();
    for (int i = 0; i < live; i++) {
      liveCpu[i] = host2.once(mx, now += INTERVAL_MS);
      liveScan[i] = host2.lastScanNanos;
    }
    System.out.printf(Locale.ROOT, "live  this machine: %d processes, %d instances, %d sockets; cold first scan %.1f ms;"
            + " descriptors counted by %s%n", first.processes().size(), first.instances().size(),
        first.sockets().size(), liveCold / 1e6, host2.built.scanner().descriptorCounting());
    report("live", liveCpu, liveScan);
    System.out.println("      mean ms by collector:" + host2.breakdown(live));
  }

  /** {@code <module>/target/scan-benchmark}, wherever Maven was started. */
  private static Path defaultDir() throws java.net.URISyntaxException {
    Path classes = Path.of(ScanBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return classes.getParent().resolve("scan-benchmark");
  }

  private static void report(String what, long[] cpu, long[] scan) {
    System.out.printf(Locale.ROOT, "%s  full scan CPU: median %.2f ms, p95 %.2f ms, mean %.2f ms (of which /proc scan:"
            + " median %.2f ms, p95 %.2f ms) over %d scans%n", what, pct(cpu, 50) / 1e6, pct(cpu, 95) / 1e6,
        Arrays.stream(cpu).average().orElse(0) / 1e6, pct(scan, 50) / 1e6, pct(scan, 95) / 1e6, cpu.length);
  }

  private static long pct(long[] values, int p) {
    long[] s = values.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
  }

  private static AgentConfig config(Map<String, String> roots) {
    Map<String, Object> m = new HashMap<>(roots);
    m.put(AgentConfig.INTERVAL_MS, Long.toString(INTERVAL_MS));
    return new AgentConfig(m);
  }

  /** The collectors over one host, emitting into a counter. */
  private static final class Run {
    final HostCollectors.Built built;
    long records;
    long lastScanNanos;
    final Emitter emitter = new Emitter() {
      @Override
      public <V extends SpecificRecord> void emit(Topic<String, V> topic, String key, V value, long ts) {
        records++;
      }
    };

    Run(AgentConfig config) {
      Topics topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", "http://127.0.0.1:1")),
          SerdeConfig.from(Map.of()));
      AgentContext context = new AgentContext(config, topics, new AgentMetrics(), "bench");
      built = HostCollectors.build(context, ContainerMetadata.NONE, CloudMetadataSource.NONE);
    }

    final Map<String, Long> byCollector = new java.util.LinkedHashMap<>();

    long once(ThreadMXBean mx, long now) {
      long start = mx.getCurrentThreadCpuTime();
      long last = start;
      for (Collector c : built.collectors()) {
        c.collect(now, emitter);
        long t = mx.getCurrentThreadCpuTime();
        byCollector.merge(c.name(), t - last, Long::sum);
        last = t;
        if (c.name().equals("scan")) {
          lastScanNanos = t - start;
        }
      }
      return last - start;
    }

    String breakdown(int scans) {
      StringBuilder sb = new StringBuilder();
      byCollector.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.2f", k, v / 1e6 / scans)));
      byCollector.clear();
      return sb.toString();
    }
  }

  /**
   * A Kubernetes-like node in one network namespace: 60% of processes in pods (6 per container,
   * cgroup v2 with accounting), 20% in systemd units (10 per unit), 20% plain processes (2 per
   * process group). Every instance's leader listens on a port of its own (plain ones: every
   * other); connections are spread over the processes, half inbound to a listen port, half
   * outbound; 30% of them in tcp6 as IPv4-mapped addresses, as a Java server's are. Each process
   * also holds 8 descriptors that are not sockets.
   */
  static final class GeneratedHost {
    static final String SESSION = "/user.slice/user-1000.slice/session-3.scope";
    final FixtureTree tree;
    final Random random;
    final List<int[]> listenPorts = new ArrayList<>();   // {port, ownerPid, inode}
    final List<Conn> conns = new ArrayList<>();
    final List<Integer> pids = new ArrayList<>();
    final Map<Integer, String> cgroupOf = new HashMap<>();
    int listens;
    int timeWait;
    int instances;
    long nextInode = 1_000_000;
    int nextPid;

    static final class Conn {
      int pid;
      int fd;
      long inode;
      int localPort;
      String remote;
      int remotePort;
      boolean inbound;
      boolean v6;
    }

    GeneratedHost(Path dir, int processes, int sockets, Random random) {
      FixtureTree.delete(dir);
      this.random = random;
      tree = new FixtureTree(dir).withNodeFiles();
      int containers = processes * 6 / 10 / 6;
      int units = processes * 2 / 10 / 10;
      int pid = 1000;
      List<Integer> leaders = new ArrayList<>();
      for (int c = 0; c < containers; c++) {
        String id = String.format("%064x", 0xC0FFEE0000L + c);
        String cg = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + String.format(
            "%08x_1a54_4401_b133_79ed11b6c4db", c) + ".slice/cri-containerd-" + id + ".scope";
        tree.cgroupFiles(cg, FixtureTree.v2Accounting(4_000_000L * c, 1_000_000, 300 << 20, 20 << 20, 1L << 30,
            0, 5_000_000, 7_000_000));
        for (int i = 0; i < 6; i++, pid++) {
          add(pid, cg);
          if (i == 0) {
            leaders.add(pid);
          }
        }
        instances++;
      }
      for (int u = 0; u < units; u++) {
        String cg = "/system.slice/unit" + u + ".service";
        tree.cgroupFiles(cg, FixtureTree.v2Accounting(2_000_000, 500_000, 40 << 20, 10 << 20, -1, 0, 0, 0));
        for (int i = 0; i < 10; i++, pid++) {
          add(pid, cg);
          if (i == 0) {
            leaders.add(pid);
          }
        }
        instances++;
      }
      while (pids.size() < processes) {
        int leader = pid;
        add(pid++, SESSION);
        if (pids.size() < processes) {
          add(pid++, SESSION);
        }
        if ((leader / 2) % 2 == 0) {
          leaders.add(leader);
        }
        instances++;
      }
      nextPid = pid + 1000;
      for (int leader : leaders) {
        if (listenPorts.size() >= sockets / 50) {
          break;
        }
        listenPorts.add(new int[] {10_000 + listenPorts.size(), leader, (int) nextInode++});
      }
      listens = listenPorts.size();
      for (int i = 0; conns.size() < sockets - listens; i++) {
        Conn c = new Conn();
        c.inbound = i % 2 == 0;
        if (c.inbound) {
          int[] l = listenPorts.get(random.nextInt(listenPorts.size()));
          c.pid = l[1];
          c.localPort = l[0];
          c.remotePort = 30_000 + random.nextInt(30_000);
        } else {
          c.pid = pids.get(random.nextInt(pids.size()));
          c.localPort = 30_000 + random.nextInt(30_000);
          c.remotePort = List.of(5432, 6379, 9092, 443, 8080).get(random.nextInt(5));
        }
        c.remote = "10." + random.nextInt(4) + "." + random.nextInt(256) + "." + (1 + random.nextInt(250));
        c.v6 = random.nextInt(10) < 3;
        c.inode = nextInode++;
        conns.add(c);
      }
      timeWait = sockets / 5;
      writeProcesses();
      writeTables();
      try {
        java.nio.file.Files.writeString(dir.resolve("README.md"), "# Generated by ScanBenchmark\n\n"
            + "A host of " + processes + " processes and " + socketCount() + " listening and established sockets"
            + " (plus " + timeWait + " TIME_WAIT lines), written by `ScanBenchmark.GeneratedHost` in the"
            + " formats of the captured fixtures (src/test/resources/fixtures). Node files are copies of"
            + " `host-debian12-vm`. Regenerated at every run; not a captured system.\n");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    int socketCount() {
      return listens + conns.size();
    }

    private void add(int pid, String cgroup) {
      pids.add(pid);
      cgroupOf.put(pid, cgroup);
    }

    private FixtureTree.ProcessSpec spec(int pid) {
      String cg = cgroupOf.get(pid);
      FixtureTree.ProcessSpec p = tree.process(pid).cgroup(cg).threads(1 + pid % 20).start(1_000 + pid)
          .cpu(pid % 997, pid % 89);
      if (cg.startsWith("/kubepods")) {
        p.comm("server").exe("/app/server").pgrp(pid - (pid - 1000) % 6);
      } else if (cg.startsWith("/system.slice")) {
        p.comm("daemon").exe("/usr/sbin/" + cg.substring(14, cg.length() - 8));
      } else {
        p.comm("tool").exe("/usr/bin/tool" + (pid % 50)).pgrp(pid - pid % 2);
      }
      p.fd(0, "/dev/null").fd(1, "pipe:[" + (pid * 3) + "]").fd(2, "pipe:[" + (pid * 3 + 1) + "]")
          .fd(3, "anon_inode:[eventpoll]").fd(4, "/var/log/app.log").fd(5, "anon_inode:[eventfd]")
          .fd(6, "/usr/lib/x86_64-linux-gnu/libc.so.6").fd(7, "socket:[" + (pid * 7) + "]");  // a unix socket
      return p;
    }

    private void writeProcesses() {
      Map<Integer, List<long[]>> socketsOf = new HashMap<>();
      for (int[] l : listenPorts) {
        socketsOf.computeIfAbsent(l[1], k -> new ArrayList<>()).add(new long[] {l[2]});
      }
      for (Conn c : conns) {
        socketsOf.computeIfAbsent(c.pid, k -> new ArrayList<>()).add(new long[] {c.inode});
      }
      for (int pid : pids) {
        FixtureTree.ProcessSpec p = spec(pid);
        int fd = 8;
        for (long[] s : socketsOf.getOrDefault(pid, List.of())) {
          p.socket(fd, s[0]);
          for (Conn c : conns) {
            if (c.inode == s[0]) {
              c.fd = fd;
            }
          }
          fd++;
        }
        p.write();
      }
    }

    void writeTables() {
      List<String> v4 = new ArrayList<>();
      List<String> v6 = new ArrayList<>();
      for (int[] l : listenPorts) {
        (l[0] % 3 == 0 ? v6 : v4).add(line(l[0] % 3 == 0 ? "::" : "0.0.0.0", l[0], l[0] % 3 == 0 ? "::" : "0.0.0.0", 0,
            TcpState.LISTEN, l[2]));
      }
      for (Conn c : conns) {
        String local = c.v6 ? "::ffff:10.9.0.5" : "10.9.0.5";
        String remote = c.v6 ? "::ffff:" + c.remote : c.remote;
        (c.v6 ? v6 : v4).add(line(local, c.localPort, remote, c.remotePort, TcpState.ESTABLISHED, c.inode));
      }
      for (int i = 0; i < timeWait; i++) {
        v4.add(line("10.9.0.5", 20_000 + i, "10.1.2." + (1 + i % 250), 443, TcpState.TIME_WAIT, 0));
      }
      tree.tcp(v4);
      tree.tcp6(v6);
    }

    /** Replaces a share of the connections on the same descriptor numbers; one process exits, one starts. */
    void churn(double share) {
      int n = (int) Math.round(conns.size() * share);
      for (int i = 0; i < n; i++) {
        Conn c = conns.get(random.nextInt(conns.size()));
        c.inode = nextInode++;
        if (!c.inbound) {
          c.localPort = 30_000 + random.nextInt(30_000);
        } else {
          c.remotePort = 30_000 + random.nextInt(30_000);
        }
        tree.relink(c.pid, c.fd, "socket:[" + c.inode + "]");
      }
      // A plain tool process exits and another is started.
      for (int i = pids.size() - 1; i >= 0; i--) {
        int pid = pids.get(i);
        String cg = cgroupOf.get(pid);
        boolean holds = false;
        for (Conn c : conns) {
          holds |= c.pid == pid;
        }
        for (int[] l : listenPorts) {
          holds |= l[1] == pid;
        }
        if (cg.startsWith("/user.slice") && !holds) {
          tree.remove(pid);
          pids.remove(i);
          int fresh = nextPid++;
          pids.add(fresh);
          cgroupOf.put(fresh, cg);
          spec(fresh).start(100_000 + fresh).write();
          break;
        }
      }
      writeTables();
    }
  }
}
