package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessTrackerTest {

  @TempDir
  Path dir;

  final ScanProblems problems = new ScanProblems(new ProblemCounters(), null);
  final RecordStamp stamp = RecordStamp.counting(ListenTrackerTest.NODE, "run-1", 5_000);

  static String describe(ProcessEvent e) {
    return e.getKind() + " " + e.getPid() + " " + e.getComm() + " " + e.getInstance().getApp().getId();
  }

  @Test
  void shouldReportExecAndExitBetweenScansButNotTheProcessesAlreadyRunning() {
    FixtureTree tree = HostScannerTest.typicalHost(dir);
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    ProcessTracker tracker = new ProcessTracker(stamp, "lifecycle");
    assertThat(tracker.update(scanner.scan(2_000_000_000_000L))).isEmpty();

    tree.remove(101);
    tree.process(301).comm("sleep").exe("/usr/bin/sleep").args("sleep", "30").start(9_000)
        .cgroup(HostScannerTest.SESSION_CGROUP).write();                                   // pid reused
    tree.process(302).comm("sh").exe("/usr/bin/dash").cgroup(HostScannerTest.SESSION_CGROUP).write();  // exec
    tree.process(500).comm("curl").exe("/usr/bin/curl").args("curl", "-s", "http://x").start(8_000)
        .cgroup(HostScannerTest.NGINX_CGROUP).write();
    List<ProcessEvent> events = tracker.update(scanner.scan(2_000_000_005_000L));

    assertThat(events).extracting(ProcessTrackerTest::describe).containsExactlyInAnyOrder(
        "EXIT 101 server unknown/" + HostScannerTest.CONTAINER_CGROUP.substring(1),
        "EXIT 301 python3 process/python3.11",
        "EXEC 301 sleep process/sleep",
        "EXEC 302 sh process/dash",
        "EXEC 500 curl systemd/nginx.service");
    ProcessEvent curl = events.stream().filter(e -> e.getPid() == 500).findFirst().orElseThrow();
    assertThat(curl.getCmdline()).isEqualTo("curl -s http://x");
    assertThat(curl.getCgroupPath()).isEqualTo(HostScannerTest.NGINX_CGROUP);
    assertThat(curl.getExe()).isEqualTo("/usr/bin/curl");
    // btime of the captured /proc/stat plus 8,000 ticks at USER_HZ 100
    assertThat(curl.getProcessStartedAt()).isEqualTo(Instant.ofEpochMilli(1_795_549_303_000L + 80_000));
    assertThat(curl.getTimestamp()).isEqualTo(curl.getProcessStartedAt());
    ProcessEvent exit = events.stream().filter(e -> e.getKind() == ProcessEventKind.EXIT && e.getPid() == 101)
        .findFirst().orElseThrow();
    assertThat(exit.getTimestamp()).isEqualTo(Instant.ofEpochMilli(2_000_000_005_000L));
    assertThat(exit.getExitCode()).isNull();
    ProcessEvent exec = events.stream().filter(e -> e.getPid() == 302).findFirst().orElseThrow();
    assertThat(exec.getTimestamp()).isEqualTo(Instant.ofEpochMilli(2_000_000_005_000L));

    assertThat(tracker.update(scanner.scan(2_000_000_010_000L))).isEmpty();
  }

  @Test
  void shouldNotReportExitsWhenProcessesCouldNotBeListed() {
    HostScanner scanner = HostScannerTest.scanner(HostScannerTest.typicalHost(dir), problems);
    ProcessTracker tracker = new ProcessTracker(stamp, "lifecycle");
    tracker.update(scanner.scan(10_000));

    HostScan blind = new HostScan(15_000, 1, 100, List.of(), java.util.Map.of(), java.util.Map.of(), List.of(),
        java.util.Map.of(), false, java.util.Set.of());
    assertThat(tracker.update(blind)).isEmpty();
    assertThat(tracker.update(scanner.scan(20_000))).isEmpty();
  }

  @Test
  void shouldReportNothingForAnIntervalTheSensorCoveredThroughout() {
    FixtureTree tree = HostScannerTest.typicalHost(dir);
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    SensorCoverage coverage = new SensorCoverage(-1);
    ProcessTracker tracker = new ProcessTracker(stamp, "lifecycle", coverage);
    tracker.update(scanner.scan(2_000_000_000_000L));
    coverage.running(2_000_000_001_000L);

    tree.remove(101);
    assertThat(tracker.update(scanner.scan(2_000_000_005_000L))).extracting(ProcessTrackerTest::describe)
        .containsExactly("EXIT 101 server unknown/" + HostScannerTest.CONTAINER_CGROUP.substring(1));

    tree.remove(302);
    tree.process(500).comm("curl").exe("/usr/bin/curl").start(8_000).cgroup(HostScannerTest.NGINX_CGROUP).write();
    assertThat(tracker.update(scanner.scan(2_000_000_010_000L))).isEmpty();

    coverage.interrupted();
    tree.remove(500);
    assertThat(tracker.update(scanner.scan(2_000_000_015_000L))).extracting(ProcessTrackerTest::describe)
        .containsExactly("EXIT 500 curl systemd/nginx.service");
  }
}
