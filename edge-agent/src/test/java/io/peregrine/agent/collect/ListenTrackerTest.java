package io.peregrine.agent.collect;

import static io.peregrine.agent.collect.FixtureTree.line;
import static io.peregrine.agent.collect.HostScannerTest.CONTAINER_CGROUP;
import static io.peregrine.agent.collect.HostScannerTest.NGINX_CGROUP;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.Collector;
import io.peregrine.schema.IpFamily;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NodeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenTrackerTest {

  static final NodeId NODE = NodeId.newBuilder().setHostname("node-a")
      .setMachineId("3d1219c7c4c5404aaa1f6d2a48adfda4").build();

  @TempDir
  Path dir;

  final ScanProblems problems = new ScanProblems(new ProblemCounters(), null);
  final RecordStamp stamp = RecordStamp.counting(NODE, "run-1", 5_000);

  static String describe(ListenEvent e) {
    return ListenTracker.key(e) + " " + e.getInstance().getApp().getId() + " pid " + e.getPid()
        + (e.getListening() ? "" : " gone");
  }

  @Test
  void shouldAnnounceNewListensOnceAndReportThoseThatGoAway() {
    FixtureTree tree = HostScannerTest.typicalHost(dir);
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    ListenTracker tracker = new ListenTracker(stamp, "listens", 100);

    List<ListenEvent> first = tracker.update(scanner.scan(10_000));
    assertThat(first).extracting(ListenTrackerTest::describe).containsExactlyInAnyOrder(
        "node-a|0.0.0.0|80 systemd/nginx.service pid 200",
        "node-a|::|8080 unknown/" + CONTAINER_CGROUP.substring(1) + " pid 100");
    ListenEvent nginx = first.stream().filter(e -> e.getPort() == 80).findFirst().orElseThrow();
    assertThat(nginx.getFamily()).isEqualTo(IpFamily.IPV4);
    assertThat(nginx.getSource()).isEqualTo(Collector.PROCFS);
    assertThat(nginx.getInstance().getInstanceId()).isEqualTo(NGINX_CGROUP);
    assertThat(nginx.getFirstSeen()).isEqualTo(Instant.ofEpochMilli(10_000));
    assertThat(first).extracting(ListenEvent::getSeq).containsExactlyInAnyOrder(0L, 1L);

    assertThat(tracker.update(scanner.scan(15_000))).isEmpty();

    tree.tcp(List.of(line("10.0.0.5", 44000, "10.0.0.7", 5432, TcpState.ESTABLISHED, 9200)));
    List<ListenEvent> gone = tracker.update(scanner.scan(20_000));
    assertThat(gone).extracting(ListenTrackerTest::describe)
        .containsExactly("node-a|0.0.0.0|80 systemd/nginx.service pid 200 gone");
    assertThat(gone.get(0).getFirstSeen()).isEqualTo(Instant.ofEpochMilli(10_000));
    assertThat(gone.get(0).getLastSeen()).isEqualTo(Instant.ofEpochMilli(20_000));
    assertThat(tracker.update(scanner.scan(25_000))).isEmpty();
  }

  @Test
  void shouldReannounceOpenListensForTheCompactedTopic() {
    HostScanner scanner = HostScannerTest.scanner(HostScannerTest.typicalHost(dir), problems);
    ListenTracker tracker = new ListenTracker(stamp, "listens", 3);

    int[] counts = new int[7];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = tracker.update(scanner.scan(10_000 + i * 5_000L)).size();
    }
    assertThat(counts).containsExactly(2, 0, 0, 2, 0, 0, 2);
  }

  @Test
  void shouldReportANewOwnerWhenTheListenChangesHands() {
    FixtureTree tree = HostScannerTest.typicalHost(dir);
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    ListenTracker tracker = new ListenTracker(stamp, "listens", 100);
    tracker.update(scanner.scan(10_000));

    tree.remove(200);  // the master exits; its worker keeps the inherited socket
    List<ListenEvent> events = tracker.update(scanner.scan(15_000));
    assertThat(events).extracting(ListenTrackerTest::describe)
        .containsExactly("node-a|0.0.0.0|80 systemd/nginx.service pid 201");
    assertThat(events.get(0).getFirstSeen()).isEqualTo(Instant.ofEpochMilli(10_000));
  }

  @Test
  void shouldNameWildcardListensOfAContainerNamespaceByItsAddresses() throws IOException {
    FixtureTree tree = HostScannerTest.typicalHost(dir).selfNetns(4026531840L);
    tree.process(100).comm("server").exe("/app/server").cgroup(CONTAINER_CGROUP).netns(4026532111L)
        .socket(3, 9001).socket(4, 9003).write();
    tree.tcpOf(100, List.of(
            line("0.0.0.0", 8080, "0.0.0.0", 0, TcpState.LISTEN, 9001),
            line("127.0.0.1", 15000, "0.0.0.0", 0, TcpState.LISTEN, 9003)),
        List.of(), FixtureTree.fibTrie("10.244.1.5"));
    tree.tcp6(List.of());
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    ListenTracker tracker = new ListenTracker(stamp, "listens", 100);

    assertThat(tracker.update(scanner.scan(10_000))).extracting(ListenTracker::key)
        .containsExactlyInAnyOrder("node-a|0.0.0.0|80", "node-a|10.244.1.5|8080");

    // The namespace's table cannot be read this time: its listen is not declared gone.
    Files.delete(tree.proc.resolve("100/net/tcp"));
    assertThat(tracker.update(scanner.scan(15_000))).isEmpty();
    assertThat(scanner.latest().unreadNetns()).containsExactly(4026532111L);
  }

  @Test
  void shouldIgnoreAScanThatCouldNotListProcesses() {
    ListenTracker tracker = new ListenTracker(stamp, "listens", 100);
    HostScanner scanner = HostScannerTest.scanner(HostScannerTest.typicalHost(dir), problems);
    tracker.update(scanner.scan(10_000));

    HostScan blind = new HostScan(15_000, 1, 100, List.of(), java.util.Map.of(), java.util.Map.of(), List.of(),
        java.util.Map.of(), false, java.util.Set.of());
    assertThat(tracker.update(blind)).isEmpty();
  }
}
