package io.peregrine.agent.collect;

import static io.peregrine.agent.collect.FixtureTree.line;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.IpFamily;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionTrackerTest {

  @TempDir
  Path dir;

  final ScanProblems problems = new ScanProblems(new ProblemCounters(), null);
  final RecordStamp stamp = RecordStamp.counting(ListenTrackerTest.NODE, "run-1", 5_000);

  static String describe(ConnectionEvent e) {
    String s = e.getKind() + " " + e.getDirection() + " " + e.getInstance().getApp().getId() + " pid " + e.getPid()
        + " " + e.getLocalIp() + ":" + e.getLocalPort() + " -> " + e.getRemoteIp() + ":" + e.getRemotePort();
    return e.getKind() == ConnectionEventKind.STATS
        ? s + " active " + e.getActiveConnections() + " opened " + e.getConnectionsOpened() : s;
  }

  @Test
  void shouldOpenConnectionsFoundOnTheFirstScanWithoutCountingThemAsOpened() {
    HostScanner scanner = HostScannerTest.scanner(HostScannerTest.typicalHost(dir), problems);
    ConnectionTracker tracker = new ConnectionTracker(stamp, "connections");

    List<ConnectionEvent> events = tracker.update(scanner.scan(10_000));

    String container = "unknown/" + HostScannerTest.CONTAINER_CGROUP.substring(1);
    assertThat(events).extracting(ConnectionTrackerTest::describe).containsExactlyInAnyOrder(
        "OPEN INBOUND systemd/nginx.service pid 201 10.0.0.5:80 -> 10.0.0.9:51000",
        "OPEN OUTBOUND process/python3.11 pid 300 10.0.0.5:44000 -> 10.0.0.7:5432",
        // an IPv4 client of a dual-stack listen: tcp6 lists it as ::ffff:10.0.0.9
        "OPEN INBOUND " + container + " pid 100 10.0.0.5:8080 -> 10.0.0.9:53000",
        "STATS INBOUND systemd/nginx.service pid 201 10.0.0.5:80 -> 10.0.0.9:0 active 1 opened 0",
        "STATS OUTBOUND process/python3.11 pid 300 10.0.0.5:0 -> 10.0.0.7:5432 active 1 opened 0",
        "STATS INBOUND " + container + " pid 100 10.0.0.5:8080 -> 10.0.0.9:0 active 1 opened 0");
    assertThat(events).allMatch(e -> e.getFamily() == IpFamily.IPV4);
    assertThat(events).extracting(ConnectionEvent::getSeq).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    assertThat(tracker.openConnections()).isEqualTo(3);
  }

  @Test
  void shouldCloseConnectionsThatAreGoneAndOpenNewOnes() {
    FixtureTree tree = HostScannerTest.typicalHost(dir);
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    ConnectionTracker tracker = new ConnectionTracker(stamp, "connections");
    tracker.update(scanner.scan(10_000));

    // python's connection closes; it opens two others to the same database, one on the same fd.
    tree.relink(300, 3, "socket:[9300]");
    tree.process(301).comm("python3").exe("/usr/bin/python3.11").ppid(300).pgrp(300)
        .cgroup(HostScannerTest.SESSION_CGROUP).socket(4, 9301).write();
    tree.tcp(List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        line("10.0.0.5", 80, "10.0.0.9", 51000, TcpState.ESTABLISHED, 9101),
        line("10.0.0.5", 44002, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9300),
        line("10.0.0.5", 44004, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9301),
        line("10.0.0.5", 44000, "10.0.0.7", 5432, TcpState.TIME_WAIT, 0)));
    List<ConnectionEvent> events = tracker.update(scanner.scan(15_000));

    assertThat(events).filteredOn(e -> e.getKind() != ConnectionEventKind.STATS)
        .extracting(ConnectionTrackerTest::describe).containsExactlyInAnyOrder(
            "CLOSE OUTBOUND process/python3.11 pid 300 10.0.0.5:44000 -> 10.0.0.7:5432",
            "OPEN OUTBOUND process/python3.11 pid 300 10.0.0.5:44002 -> 10.0.0.7:5432",
            "OPEN OUTBOUND process/python3.11 pid 301 10.0.0.5:44004 -> 10.0.0.7:5432");
    assertThat(events).filteredOn(e -> e.getKind() == ConnectionEventKind.STATS)
        .extracting(ConnectionTrackerTest::describe).contains(
            "STATS OUTBOUND process/python3.11 pid 301 10.0.0.5:0 -> 10.0.0.7:5432 active 2 opened 2",
            "STATS INBOUND systemd/nginx.service pid 201 10.0.0.5:80 -> 10.0.0.9:0 active 1 opened 0");
    assertThat(events).filteredOn(e -> e.getKind() == ConnectionEventKind.CLOSE)
        .singleElement().satisfies(e -> {
          assertThat(e.getBytesSent()).isZero();
          assertThat(e.getTimestamp().toEpochMilli()).isEqualTo(15_000);
        });
  }

  @Test
  void shouldNotCloseConnectionsWhenProcessesCouldNotBeListed() {
    HostScanner scanner = HostScannerTest.scanner(HostScannerTest.typicalHost(dir), problems);
    ConnectionTracker tracker = new ConnectionTracker(stamp, "connections");
    tracker.update(scanner.scan(10_000));

    HostScan blind = new HostScan(15_000, 1, 100, List.of(), java.util.Map.of(), java.util.Map.of(), List.of(),
        java.util.Map.of(), false, java.util.Set.of());
    assertThat(tracker.update(blind)).isEmpty();
    assertThat(tracker.openConnections()).isEqualTo(3);
  }

  @Test
  void shouldLeaveToTheSensorTheConnectionsItSawAndKeepThoseOpenedBeforeIt() {
    FixtureTree tree = HostScannerTest.typicalHost(dir);
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    SensorCoverage coverage = new SensorCoverage(201);  // nginx's worker plays the agent, which eBPF ignores
    ConnectionTracker tracker = new ConnectionTracker(stamp, "connections", coverage);
    assertThat(tracker.update(scanner.scan(10_000))).filteredOn(e -> e.getKind() == ConnectionEventKind.OPEN)
        .hasSize(3);
    coverage.running(12_000);

    // Established during an interval the sensor only partly covered: still procfs's.
    tree.process(301).comm("python3").exe("/usr/bin/python3.11").ppid(300).pgrp(300)
        .cgroup(HostScannerTest.SESSION_CGROUP).socket(4, 9301).write();
    tree.tcp(List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        line("10.0.0.5", 80, "10.0.0.9", 51000, TcpState.ESTABLISHED, 9101),
        line("10.0.0.5", 44000, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9200),
        line("10.0.0.5", 44004, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9301)));
    assertThat(tracker.update(scanner.scan(15_000))).filteredOn(e -> e.getKind() == ConnectionEventKind.OPEN)
        .extracting(ConnectionTrackerTest::describe)
        .containsExactly("OPEN OUTBOUND process/python3.11 pid 301 10.0.0.5:44004 -> 10.0.0.7:5432");

    // Established while the sensor ran throughout: the sensor's, but counted in STATS; the
    // agent's own (pid 201 here) stays procfs's.
    tree.process(302).comm("bash").exe("/usr/bin/bash").cgroup(HostScannerTest.SESSION_CGROUP).socket(5, 9302)
        .write();
    tree.process(201).comm("nginx").exe("/usr/sbin/nginx").ppid(200).pgrp(200).cgroup(HostScannerTest.NGINX_CGROUP)
        .start(301).socket(6, 9100).socket(7, 9101).socket(8, 9303).write();
    tree.tcp(List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        line("10.0.0.5", 80, "10.0.0.9", 51000, TcpState.ESTABLISHED, 9101),
        line("10.0.0.5", 44004, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9301),
        line("10.0.0.5", 44006, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9302),
        line("10.0.0.5", 80, "10.0.0.10", 51000, TcpState.ESTABLISHED, 9303)));
    List<ConnectionEvent> events = tracker.update(scanner.scan(20_000));
    assertThat(events).filteredOn(e -> e.getKind() != ConnectionEventKind.STATS)
        .extracting(ConnectionTrackerTest::describe).containsExactlyInAnyOrder(
            "CLOSE OUTBOUND process/python3.11 pid 300 10.0.0.5:44000 -> 10.0.0.7:5432",
            "OPEN INBOUND systemd/nginx.service pid 201 10.0.0.5:80 -> 10.0.0.10:51000");
    assertThat(events).filteredOn(e -> e.getKind() == ConnectionEventKind.STATS)
        .extracting(ConnectionTrackerTest::describe).contains(
            "STATS OUTBOUND process/bash pid 302 10.0.0.5:0 -> 10.0.0.7:5432 active 1 opened 1");

    // The sensor's connection closes: no CLOSE from here either.
    tree.tcp(List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        line("10.0.0.5", 80, "10.0.0.9", 51000, TcpState.ESTABLISHED, 9101),
        line("10.0.0.5", 44004, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9301),
        line("10.0.0.5", 80, "10.0.0.10", 51000, TcpState.ESTABLISHED, 9303)));
    assertThat(tracker.update(scanner.scan(25_000))).filteredOn(e -> e.getKind() != ConnectionEventKind.STATS)
        .isEmpty();

    // The loader restarts: what happens meanwhile is procfs's again.
    coverage.interrupted();
    tree.tcp(List.of(
        line("0.0.0.0", 80, "0.0.0.0", 0, TcpState.LISTEN, 9100),
        line("10.0.0.5", 80, "10.0.0.9", 51000, TcpState.ESTABLISHED, 9101),
        line("10.0.0.5", 44004, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9301),
        line("10.0.0.5", 44006, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9302),
        line("10.0.0.5", 80, "10.0.0.10", 51000, TcpState.ESTABLISHED, 9303)));
    assertThat(tracker.update(scanner.scan(30_000))).filteredOn(e -> e.getKind() == ConnectionEventKind.OPEN)
        .extracting(ConnectionTrackerTest::describe)
        .containsExactly("OPEN OUTBOUND process/bash pid 302 10.0.0.5:44006 -> 10.0.0.7:5432");
  }
}
