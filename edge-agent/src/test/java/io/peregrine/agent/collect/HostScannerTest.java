package io.peregrine.agent.collect;

import static io.peregrine.agent.collect.FixtureTree.line;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.cgroup.IoStat;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.AppKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scan over generated and captured trees used as --proc-root and --sys-root. */
class HostScannerTest {

  static final String CONTAINER_ID = "bb78a5bb9e706c5bfa8fa2c31073aab2124362303d54a13a147d242faa6af1a7";
  static final String CONTAINER_CGROUP = "/kubepods.slice/kubepods-burstable.slice/"
      + "kubepods-burstable-podf9329f0f_1a54_4401_b133_79ed11b6c4db.slice/cri-containerd-" + CONTAINER_ID + ".scope";
  static final String NGINX_CGROUP = "/system.slice/nginx.service";
  static final String SESSION_CGROUP = "/user.slice/user-1000.slice/session-3.scope";

  @TempDir
  Path dir;

  final ProblemCounters counters = new ProblemCounters();
  final ScanProblems problems = new ScanProblems(counters, null);

  static HostScanner scanner(FixtureTree tree, ScanProblems problems) {
    ProcFs fs = new ProcFs(tree.proc, tree.root, 100, problems);
    CgroupReader cgroups = new CgroupReader(tree.proc, tree.sys, 100, problems);
    return new HostScanner(fs, cgroups, ContainerMetadata.NONE, problems, 12);
  }

  /** A host with a Kubernetes container, a systemd unit, plain processes and noise. */
  static FixtureTree typicalHost(Path root) {
    FixtureTree t = new FixtureTree(root).withNodeFiles();
    t.process(100).comm("server").exe("/app/server").cgroup(CONTAINER_CGROUP).start(500).threads(12)
        .socket(3, 9001).socket(4, 9002).fd(5, "/dev/null").write();
    t.process(101).comm("server").exe("/app/server").ppid(100).cgroup(CONTAINER_CGROUP).start(700).threads(3)
        .fd(0, "pipe:[1]").write();
    t.process(200).comm("nginx").exe("/usr/sbin/nginx").cgroup(NGINX_CGROUP).start(300).socket(6, 9100).write();
    t.process(201).comm("nginx").exe("/usr/sbin/nginx").ppid(200).pgrp(200).cgroup(NGINX_CGROUP).start(301)
        .socket(6, 9100).socket(7, 9101).write();
    t.process(300).comm("python3").exe("/usr/bin/python3.11").cgroup(SESSION_CGROUP).cpu(50, 10)
        .rss(1000, 500).io(100, 200).socket(3, 9200).write();
    t.process(301).comm("python3").exe("/usr/bin/python3.11").ppid(300).pgrp(300).cgroup(SESSION_CGROUP)
        .cpu(20, 5).rss(2000, 250).io(1, 2).write();
    t.process(302).comm("bash").exe("/usr/bin/bash").cgroup(SESSION_CGROUP).write();
    t.process(2).comm("kthreadd").kernelThread().write();
    t.process(400).comm("defunct").state('Z').exe(null).cgroup(SESSION_CGROUP).write();
    t.cgroupFiles(CONTAINER_CGROUP, FixtureTree.v2Accounting(4_000_000, 1_000_000, 300 << 20, 20 << 20,
        1L << 30, 2, 5_000_000, 7_000_000));
    t.cgroupFiles(NGINX_CGROUP, FixtureTree.v2Accounting(2_000_000, 500_000, 40 << 20, 10 << 20, -1, 0, 0, 0));
    t.tcp(List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        line("10.0.0.5", 80, "10.0.0.9", 51000, TcpState.ESTABLISHED, 9101),
        line("10.0.0.5", 44000, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9200),
        line("10.0.0.5", 80, "10.0.0.8", 52000, TcpState.TIME_WAIT, 0)));
    t.tcp6(List.of(
        line("::", 8080, "::", 0, TcpState.LISTEN, 9001),
        line("::ffff:10.0.0.5", 8080, "::ffff:10.0.0.9", 53000, TcpState.ESTABLISHED, 9002)));
    return t;
  }

  /** The instance of that id (unique in these trees). */
  static InstanceSnapshot instance(HostScan scan, String instanceId) {
    List<InstanceSnapshot> found = scan.instances().values().stream()
        .filter(i -> i.instanceId().equals(instanceId)).toList();
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  @Test
  void shouldGroupProcessesIntoApplicationInstances() {
    HostScan scan = scanner(typicalHost(dir), problems).scan(1_000);

    assertThat(scan.processes()).extracting(ProcessSnapshot::pid).containsExactly(100, 101, 200, 201, 300, 301, 302);
    assertThat(scan.instances().values()).extracting(InstanceSnapshot::instanceId)
        .containsExactly(CONTAINER_ID, NGINX_CGROUP, "pid:300", "pid:302");
    assertThat(scan.instances()).containsKey("systemd/nginx.service " + NGINX_CGROUP);

    InstanceSnapshot container = instance(scan, CONTAINER_ID);
    assertThat(container.identity().app().kind()).isEqualTo(AppKind.UNKNOWN);  // no runtime metadata
    assertThat(container.processes()).extracting(ProcessSnapshot::pid).containsExactly(100, 101);
    assertThat(container.leader().pid()).isEqualTo(100);
    assertThat(container.cgroupOwned()).isTrue();
    assertThat(container.cpu().userNanos()).isEqualTo(4_000_000_000L);
    assertThat(container.memory().anonBytes()).isEqualTo(300L << 20);
    assertThat(container.memory().oomKills()).isEqualTo(2);
    assertThat(container.io()).isEqualTo(new IoStat(5_000_000, 7_000_000, 12, 34));
    assertThat(container.cpuPressure()).isNotNull();
    assertThat(container.totals().threads()).isEqualTo(15);
    assertThat(container.totals().fds()).isEqualTo(4);

    InstanceSnapshot nginx = instance(scan, NGINX_CGROUP);
    assertThat(nginx.identity().app().id()).isEqualTo("systemd/nginx.service");
    assertThat(nginx.memory().limitBytes()).isEqualTo(-1);

    InstanceSnapshot python = instance(scan, "pid:300");
    assertThat(python.identity().app().id()).isEqualTo("process/python3.11");
    assertThat(python.cgroupOwned()).isFalse();
    assertThat(python.cpu()).isNull();
    assertThat(python.totals()).isEqualTo(new InstanceSnapshot.ProcessTotals(70, 15, 2, 1,
        3000 * 1024L, 750 * 1024L, 101, 202));
    assertThat(counters.total()).isZero();
  }

  @Test
  void shouldNameAContainerByItsWorkloadAcrossARestart() throws IOException {
    FixtureTree t = typicalHost(dir);
    Path bundles = t.root.resolve("run/containerd/io.containerd.runtime.v2.task/k8s.io");
    String restarted = "cc" + CONTAINER_ID.substring(2);
    for (String id : List.of(CONTAINER_ID, restarted)) {
      Files.createDirectories(bundles.resolve(id));
      Files.writeString(bundles.resolve(id).resolve("config.json"), "{\"ociVersion\":\"1.1.0\",\"annotations\":{"
          + "\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.container-name\":\"app\","
          + "\"io.kubernetes.cri.image-name\":\"registry/checkout:1.4.2\","
          + "\"io.kubernetes.cri.sandbox-name\":\"checkout-7d9f8b6c5d-x2x4q\","
          + "\"io.kubernetes.cri.sandbox-namespace\":\"shop\"}}");
    }
    ProcFs fs = new ProcFs(t.proc, t.root, 100, problems);
    HostScanner scanner = new HostScanner(fs, new CgroupReader(t.proc, t.sys, 100, problems),
        io.peregrine.agent.container.RuntimeContainerMetadata.forHost(t.root, problems), problems, 12);
    AppSampler apps = new AppSampler(RecordStamp.counting(ListenTrackerTest.NODE, "run-1", 5_000), "apps", 120);

    io.peregrine.schema.AppSample before = apps.update(scanner.scan(1_000)).stream()
        .filter(a -> CONTAINER_ID.equals(a.getContainerId())).findFirst().orElseThrow();
    assertThat(before.getInstance().getApp().getId()).isEqualTo("k8s/shop/checkout");
    assertThat(before.getInstance().getApp().getWorkload()).isEqualTo("Deployment/checkout");
    assertThat(before.getInstance().getApp().getContainer()).isEqualTo("app");
    assertThat(before.getImage()).isEqualTo("registry/checkout:1.4.2");
    assertThat(before.getKubernetes().getPodUid()).isEqualTo("f9329f0f-1a54-4401-b133-79ed11b6c4db");
    assertThat(before.getKubernetes().getPod()).isEqualTo("checkout-7d9f8b6c5d-x2x4q");

    // The container restarts: a new id, a new cgroup, new processes; the same application.
    String cgroup = CONTAINER_CGROUP.replace(CONTAINER_ID, restarted);
    for (int pid : new int[] {100, 101}) {
      FixtureTree.delete(t.proc.resolve(Integer.toString(pid)));
    }
    t.process(110).comm("server").exe("/app/server").cgroup(cgroup).start(900).threads(12).write();
    t.cgroupFiles(cgroup, FixtureTree.v2Accounting(1_000, 1_000, 1 << 20, 0, 1L << 30, 0, 0, 0));
    io.peregrine.schema.AppSample after = apps.update(scanner.scan(6_000)).stream()
        .filter(a -> restarted.equals(a.getContainerId())).findFirst().orElseThrow();
    assertThat(after.getInstance().getApp()).isEqualTo(before.getInstance().getApp());
    assertThat(after.getInstance().getInstanceId()).isEqualTo(restarted);
    assertThat(counters.total()).isZero();
  }

  @Test
  void shouldSeparateTheApplicationsOfOneProcessGroup() {
    FixtureTree tree = typicalHost(dir);
    // A shell and the JVM it started share a process group, hence an instance id.
    tree.process(303).comm("java").exe("/usr/lib/jvm/bin/java").ppid(302).pgrp(302).cgroup(SESSION_CGROUP).write();
    HostScan scan = scanner(tree, problems).scan(1_000);

    assertThat(scan.instances()).containsKeys("process/bash pid:302", "process/java pid:302");
    assertThat(scan.instance("process/java pid:302").leader().pid()).isEqualTo(303);
  }

  @Test
  void shouldGiveEachSocketTheLowestPidHoldingItAndKeepTheRestUnowned() {
    HostScan scan = scanner(typicalHost(dir), problems).scan(1_000);

    Map<Long, Integer> owners = scan.sockets().stream()
        .collect(Collectors.toMap(s -> s.socket().inode(), SocketSnapshot::ownerPid, (a, b) -> a));
    // The listen socket is shared by the nginx master and its forked worker.
    assertThat(owners).containsEntry(9100L, 200).containsEntry(9101L, 201).containsEntry(9200L, 300)
        .containsEntry(9001L, 100).containsEntry(9002L, 100);
    assertThat(scan.sockets()).extracting(s -> s.socket().state())
        .doesNotContain(TcpState.TIME_WAIT);
    assertThat(scan.sockets()).allMatch(s -> s.netns() == HostScan.ROOT_NETNS);
  }

  @Test
  void shouldReadOnlyNewDescriptorLinksOnLaterScans() {
    FixtureTree tree = typicalHost(dir);
    HostScanner scanner = scanner(tree, problems);
    scanner.scan(1_000);
    long afterFirst = scanner.readlinks();

    scanner.scan(2_000);
    assertThat(scanner.readlinks()).as("links read by an unchanged host's second scan").isEqualTo(afterFirst);

    tree.process(302).comm("bash").exe("/usr/bin/bash").cgroup(SESSION_CGROUP).fd(9, "/tmp/log").write();
    HostScan third = scanner.scan(3_000);
    assertThat(scanner.readlinks() - afterFirst).isEqualTo(1);
    assertThat(third.process(302).fds()).isEqualTo(1);
  }

  @Test
  void shouldFindTheOwnerOfANewSocketBehindAReusedDescriptorNumber() {
    FixtureTree tree = typicalHost(dir);
    HostScanner scanner = scanner(tree, problems);
    scanner.scan(1_000);
    long before = scanner.readlinks();

    // python closes its connection and opens another one, which gets the same descriptor number.
    tree.relink(300, 3, "socket:[9300]");
    tree.tcp(List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        line("10.0.0.5", 80, "10.0.0.9", 51000, TcpState.ESTABLISHED, 9101),
        line("10.0.0.5", 44002, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9300)));
    HostScan scan = scanner.scan(2_000);

    assertThat(scan.sockets()).filteredOn(s -> s.socket().inode() == 9300)
        .singleElement().extracting(SocketSnapshot::ownerPid).isEqualTo(300);
    // Found by reading again the one descriptor whose connection left the tables.
    assertThat(scanner.readlinks() - before).isEqualTo(1);
    assertThat(scanner.fullFdPasses()).isZero();
  }

  @Test
  void shouldNotRescanEveryDescriptorEachTimeForASocketNobodyHolds() {
    FixtureTree tree = typicalHost(dir);
    List<String> withOrphan = List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        // accepted by the kernel, not yet by nginx: no descriptor holds it
        line("10.0.0.5", 80, "10.0.0.3", 50000, TcpState.ESTABLISHED, 9999));
    tree.tcp(withOrphan);
    HostScanner scanner = scanner(tree, problems);
    scanner.scan(1_000);
    long afterFirst = scanner.readlinks();
    scanner.scan(2_000);
    scanner.scan(3_000);

    assertThat(scanner.readlinks()).isEqualTo(afterFirst);
    assertThat(scanner.latest().sockets()).filteredOn(s -> s.socket().inode() == 9999)
        .singleElement().extracting(SocketSnapshot::owned).isEqualTo(false);
  }

  @Test
  void shouldTellAReusedPidAndAnExecInPlaceFromTheSameProcess() {
    FixtureTree tree = typicalHost(dir);
    HostScanner scanner = scanner(tree, problems);
    scanner.scan(1_000);

    tree.process(302).comm("sh").exe("/usr/bin/dash").cgroup(SESSION_CGROUP).write();  // exec: same start
    tree.process(301).comm("sleep").exe("/usr/bin/sleep").start(9_000).cgroup(SESSION_CGROUP).write();  // pid reuse
    tree.process(200).comm("nginx: master").exe("/usr/sbin/nginx").cgroup(NGINX_CGROUP).start(300)
        .socket(6, 9100).write();  // renamed itself: same executable
    HostScan scan = scanner.scan(2_000);

    assertThat(scan.process(302).execed()).isTrue();
    assertThat(scan.process(302).exe()).isEqualTo("/usr/bin/dash");
    assertThat(scan.process(302).identity().app().id()).isEqualTo("process/dash");
    assertThat(scan.process(301).execed()).isFalse();
    assertThat(scan.process(301).startTicks()).isEqualTo(9_000);
    assertThat(scan.process(301).exe()).isEqualTo("/usr/bin/sleep");
    assertThat(scan.process(301).instanceId()).isEqualTo("pid:301");
    assertThat(scan.process(200).execed()).isFalse();
    assertThat(scan.process(200).comm()).isEqualTo("nginx: master");
  }

  /**
   * The files read at every scan stay open between scans: what they read is the current content,
   * and those of processes and cgroups that went away are closed after the next scan.
   */
  @Test
  void shouldReadKeptFilesAfreshAndCloseThoseOfProcessesAndCgroupsGone() {
    FixtureTree tree = typicalHost(dir);
    HostScanner scanner = scanner(tree, problems);
    scanner.scan(1_000);
    int kept = scanner.keptFiles();
    assertThat(kept).isPositive();

    tree.process(300).comm("python3").exe("/usr/bin/python3.11").cgroup(SESSION_CGROUP).cpu(90, 30)
        .rss(4000, 100).io(700, 800).socket(3, 9200).write();
    tree.cgroupFiles(CONTAINER_CGROUP, FixtureTree.v2Accounting(9_000_000, 1_000_000, 100 << 20, 20 << 20,
        1L << 30, 3, 5_000_000, 7_000_000));
    HostScan second = scanner.scan(2_000);
    assertThat(scanner.keptFiles()).isEqualTo(kept);
    assertThat(second.process(300).utimeTicks()).isEqualTo(90);
    assertThat(instance(second, "pid:300").totals()).isEqualTo(new InstanceSnapshot.ProcessTotals(110, 35, 2, 1,
        6000 * 1024L, 350 * 1024L, 701, 802));
    InstanceSnapshot container = instance(second, CONTAINER_ID);
    assertThat(container.cpu().userNanos()).isEqualTo(9_000_000_000L);
    assertThat(container.memory().anonBytes()).isEqualTo(100L << 20);
    assertThat(container.memory().oomKills()).isEqualTo(3);

    // python3's child exits; the nginx unit stops, its cgroup removed.
    tree.remove(301);
    tree.remove(200);
    tree.remove(201);
    FixtureTree.delete(tree.sys.resolve("fs/cgroup" + NGINX_CGROUP));
    HostScan third = scanner.scan(3_000);
    assertThat(third.processes()).extracting(ProcessSnapshot::pid).containsExactly(100, 101, 300, 302);
    scanner.scan(4_000);
    // The stat of the 6 processes left (kernel thread and noise included), the status and io of
    // the two plain ones, the container's 8 accounting files; limits, read once a minute, closed.
    assertThat(scanner.keptFiles()).isLessThan(kept).isEqualTo(6 + 2 * 2 + 8);
    scanner.close();
    assertThat(scanner.keptFiles()).isZero();
    assertThat(scanner.scan(5_000).processes()).hasSize(4);  // closing only drops the handles
  }

  @Test
  void shouldSkipBadOrVanishingProcessesAndCountWhy() throws IOException {
    FixtureTree tree = typicalHost(dir);
    Files.writeString(tree.proc.resolve("300/stat"), "300 (python3) S 1 300");  // cut short
    Files.createDirectories(tree.proc.resolve("555"));                          // gone: no files left
    Files.delete(tree.proc.resolve("201/cgroup"));                              // exiting mid-scan
    HostScan scan = scanner(tree, problems).scan(1_000);

    assertThat(scan.processes()).extracting(ProcessSnapshot::pid).containsExactly(100, 101, 200, 301, 302);
    assertThat(scan.processesComplete()).isTrue();
    assertThat(Fixtures.reported(counters)).contains("/proc/<pid>/stat VANISHED", "/proc/<pid>/cgroup VANISHED");
    assertThat(counters.snapshot().keySet()).anyMatch(k -> k.source().equals("/proc/<pid>/stat")
        && k.cause() != Cause.VANISHED);
  }

  @Test
  void shouldReadTheTablesAndAddressesOfOtherNetworkNamespaces() {
    FixtureTree tree = typicalHost(dir).selfNetns(4026531840L);
    tree.process(100).comm("server").exe("/app/server").cgroup(CONTAINER_CGROUP).start(500).netns(4026532111L)
        .socket(3, 9001).socket(4, 9002).write();
    tree.tcpOf(100, List.of(
            line("0.0.0.0", 8080, "0.0.0.0", 0, TcpState.LISTEN, 9001),
            line("10.244.1.5", 8080, "10.244.1.1", 40000, TcpState.ESTABLISHED, 9002)),
        List.of(), FixtureTree.fibTrie("10.244.1.5"));
    tree.tcp6(List.of());
    HostScan scan = scanner(tree, problems).scan(1_000);

    assertThat(scan.process(100).netns()).isEqualTo(4026532111L);
    assertThat(scan.process(200).netns()).isEqualTo(HostScan.ROOT_NETNS);
    assertThat(scan.sockets()).filteredOn(s -> s.netns() == 4026532111L)
        .extracting(s -> s.socket().inode() + "@" + s.ownerPid()).containsExactly("9001@100", "9002@100");
    assertThat(scan.netnsAddresses().get(4026532111L)).extracting(Object::toString).containsExactly("10.244.1.5");
    assertThat(scan.unreadNetns()).isEmpty();
  }

  @Test
  void shouldReadTheTablesOfManyNamespacesInTurns() {
    FixtureTree tree = typicalHost(dir).selfNetns(4026531840L);
    tree.process(100).comm("server").exe("/app/server").cgroup(CONTAINER_CGROUP).netns(4026532111L)
        .socket(3, 9001).write();
    tree.tcpOf(100, List.of(line("0.0.0.0", 8080, "0.0.0.0", 0, TcpState.LISTEN, 9001)), List.of(),
        FixtureTree.fibTrie("10.244.1.5"));
    tree.process(101).comm("server").exe("/app/server").cgroup(CONTAINER_CGROUP).netns(4026532222L)
        .socket(3, 9005).write();
    tree.tcpOf(101, List.of(line("0.0.0.0", 9090, "0.0.0.0", 0, TcpState.LISTEN, 9005)), List.of(),
        FixtureTree.fibTrie("10.244.1.6"));
    tree.tcp6(List.of());
    HostScanner scanner = new HostScanner(new ProcFs(tree.proc, tree.root, 100, problems),
        new CgroupReader(tree.proc, tree.sys, 100, problems), ContainerMetadata.NONE, problems, 12, 1);

    HostScan first = scanner.scan(1_000);
    HostScan second = scanner.scan(2_000);
    HostScan third = scanner.scan(3_000);

    assertThat(first.unreadNetns()).containsExactly(4026532222L);
    assertThat(second.unreadNetns()).containsExactly(4026532111L);
    assertThat(third.unreadNetns()).containsExactly(4026532222L);
    assertThat(second.sockets()).extracting(s -> s.socket().inode()).contains(9005L).doesNotContain(9001L);
    assertThat(second.netnsAddresses()).containsOnlyKeys(4026532111L, 4026532222L);
  }

  @Test
  void shouldMapTheCapturedPythonServerToItsSockets() throws IOException {
    // host-debian12-vm, with its descriptor and exe links rebuilt from the recorded fd.txt/exe.txt.
    FixtureTree tree = new FixtureTree(dir).withNodeFiles();
    Path captured = Fixtures.root(FixtureTree.FIXTURE).resolve("proc");
    for (int pid : new int[] {2, 16207, 16208}) {
      tree.copyCapturedProcess(pid);
      Path p = tree.proc.resolve(Integer.toString(pid));
      Files.createDirectories(p.resolve("fd"));
      for (String l : Files.readAllLines(captured.resolve(pid + "/fd.txt"))) {
        String[] f = l.split(" ", 2);
        if (f.length == 2) {
          Files.createSymbolicLink(p.resolve("fd").resolve(f[0]), Path.of(f[1]));
        }
      }
      String exe = Files.readString(captured.resolve(pid + "/exe.txt")).trim();
      if (!exe.isEmpty()) {
        Files.createSymbolicLink(p.resolve("exe"), Path.of(exe));
      }
    }
    tree.copyCapturedTables();
    HostScan scan = scanner(tree, problems).scan(1_000);

    assertThat(scan.processes()).extracting(ProcessSnapshot::pid).containsExactly(16207, 16208);
    assertThat(scan.process(16207).comm()).isEqualTo("x) (y z");
    assertThat(scan.process(16208).identity().app().id()).isEqualTo("process/python3.11");
    assertThat(scan.process(16208).instanceId()).isEqualTo("pid:16200");
    assertThat(scan.sockets()).filteredOn(SocketSnapshot::owned)
        .extracting(s -> s.socket().inode()).containsExactlyInAnyOrder(
            28682L, 28683L, 28684L, 28685L, 28686L, 28687L, 28688L, 28689L, 28690L);
    assertThat(scan.sockets()).filteredOn(SocketSnapshot::owned).allMatch(s -> s.ownerPid() == 16208);
    // Other programs' loopback connections of the capture have no process in the tree.
    assertThat(scan.sockets()).filteredOn(s -> !s.owned()).isNotEmpty();
  }
}
