package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.AppSample;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppSamplerTest {

  @TempDir
  Path dir;

  final ScanProblems problems = new ScanProblems(new ProblemCounters(), null);
  final RecordStamp stamp = RecordStamp.counting(ListenTrackerTest.NODE, "run-1", 5_000);

  static Map<String, AppSample> byInstance(List<AppSample> samples) {
    return samples.stream().collect(Collectors.toMap(s -> s.getInstance().getInstanceId(), s -> s));
  }

  @Test
  void shouldDescribeAContainerByItsCgroupAndAPlainProcessByItsProcFiles() {
    HostScanner scanner = HostScannerTest.scanner(HostScannerTest.typicalHost(dir), problems);
    Map<String, AppSample> samples = byInstance(new AppSampler(stamp, "apps", 120).update(scanner.scan(10_000)));

    assertThat(samples).containsOnlyKeys(HostScannerTest.CONTAINER_ID, HostScannerTest.NGINX_CGROUP, "pid:300",
        "pid:302");
    AppSample c = samples.get(HostScannerTest.CONTAINER_ID);
    assertThat(c.getInstance().getApp().getKind()).isEqualTo(AppKind.UNKNOWN);
    assertThat(c.getCgroupPath()).isEqualTo(HostScannerTest.CONTAINER_CGROUP);
    assertThat(c.getContainerId()).isEqualTo(HostScannerTest.CONTAINER_ID);
    assertThat(c.getExecutable()).isEqualTo("/app/server");
    assertThat(c.getProcesses()).isEqualTo(2);
    assertThat(c.getThreads()).isEqualTo(15);
    assertThat(c.getOpenFds()).isEqualTo(4);
    assertThat(c.getCpuUserSecondsTotal()).isEqualTo(4.0);
    assertThat(c.getCpuSystemSecondsTotal()).isEqualTo(1.0);
    assertThat(c.getCpuThrottledSecondsTotal()).isCloseTo(0.12, within(1e-9));
    assertThat(c.getCpuPeriodsTotal()).isEqualTo(100);
    assertThat(c.getCpuThrottledPeriodsTotal()).isEqualTo(7);
    assertThat(c.getCpuLimitCores()).isEqualTo(2.0);
    assertThat(c.getMemoryRssBytes()).isEqualTo(300L << 20);
    assertThat(c.getMemoryCacheBytes()).isEqualTo(20L << 20);
    assertThat(c.getMemoryLimitBytes()).isEqualTo(1L << 30);
    assertThat(c.getOomKillsTotal()).isEqualTo(2);
    assertThat(c.getDiskReadBytesTotal()).isEqualTo(5_000_000);
    assertThat(c.getDiskWrittenBytesTotal()).isEqualTo(7_000_000);
    assertThat(c.getDiskReadsTotal()).isEqualTo(12);
    assertThat(c.getDiskWritesTotal()).isEqualTo(34);
    assertThat(c.getPressure().getCpu().getSomeTotalUs()).isEqualTo(123456);
    assertThat(c.getRestartsTotal()).isZero();
    assertThat(c.getIntervalMs()).isEqualTo(5_000);

    AppSample nginx = samples.get(HostScannerTest.NGINX_CGROUP);
    assertThat(nginx.getMemoryLimitBytes()).isNull();
    assertThat(nginx.getProcesses()).isEqualTo(2);

    AppSample py = samples.get("pid:300");
    assertThat(py.getCgroupPath()).isEqualTo(HostScannerTest.SESSION_CGROUP);
    assertThat(py.getContainerId()).isNull();
    assertThat(py.getCpuUserSecondsTotal()).isCloseTo(0.70, within(1e-9));
    assertThat(py.getCpuSystemSecondsTotal()).isCloseTo(0.15, within(1e-9));
    assertThat(py.getMemoryRssBytes()).isEqualTo(3000 * 1024L);
    assertThat(py.getMemoryCacheBytes()).isEqualTo(750 * 1024L);
    assertThat(py.getMemoryLimitBytes()).isNull();
    assertThat(py.getCpuLimitCores()).isNull();
    assertThat(py.getDiskReadBytesTotal()).isEqualTo(101);
    assertThat(py.getDiskWrittenBytesTotal()).isEqualTo(202);
    assertThat(py.getPressure()).isNull();
    assertThat(py.getStartedAt().toEpochMilli()).isEqualTo(1_795_549_303_000L + 10_000);
  }

  @Test
  void shouldCountARestartWhenTheMainProcessIsReplaced() {
    FixtureTree tree = HostScannerTest.typicalHost(dir);
    HostScanner scanner = HostScannerTest.scanner(tree, problems);
    AppSampler sampler = new AppSampler(stamp, "apps", 120);
    sampler.update(scanner.scan(10_000));

    // A worker of the container exits and another starts: not a restart.
    tree.remove(101);
    tree.process(102).comm("server").exe("/app/server").ppid(100).cgroup(HostScannerTest.CONTAINER_CGROUP)
        .start(900).write();
    // nginx restarts: master and worker replaced in the same unit.
    tree.remove(200);
    tree.remove(201);
    tree.process(210).comm("nginx").exe("/usr/sbin/nginx").cgroup(HostScannerTest.NGINX_CGROUP).start(5_000)
        .write();
    Map<String, AppSample> second = byInstance(sampler.update(scanner.scan(15_000)));
    assertThat(second.get(HostScannerTest.NGINX_CGROUP).getRestartsTotal()).isEqualTo(1);
    assertThat(second.get(HostScannerTest.CONTAINER_ID).getRestartsTotal()).isZero();

    // nginx down for a while, then back: another restart.
    tree.remove(210);
    assertThat(byInstance(sampler.update(scanner.scan(20_000)))).doesNotContainKey(HostScannerTest.NGINX_CGROUP);
    tree.process(220).comm("nginx").exe("/usr/sbin/nginx").cgroup(HostScannerTest.NGINX_CGROUP).start(6_000)
        .write();
    assertThat(byInstance(sampler.update(scanner.scan(25_000))).get(HostScannerTest.NGINX_CGROUP)
        .getRestartsTotal()).isEqualTo(2);
  }
}
