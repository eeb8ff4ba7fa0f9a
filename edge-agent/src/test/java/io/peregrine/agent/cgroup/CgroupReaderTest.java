package io.peregrine.agent.cgroup;

import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader over fixture trees used as --proc-root and --sys-root. */
class CgroupReaderTest {

  private final ProblemCounters problems = new ProblemCounters();

  private CgroupReader reader(String fixture) {
    Path root = Fixtures.root(fixture);
    return new CgroupReader(root.resolve("proc"), root.resolve("sys"), 100, problems);
  }

  @Test
  void shouldReadCapturedV1ControllersOfALimitedCgroup() {
    CgroupReader reader = reader("cgroup-v1-captured");
    ProcessCgroups cgroups = reader.processCgroups(16512).orElseThrow();

    CgroupCpu cpu = reader.cpu(cgroups).orElseThrow();
    assertThat(cpu).isEqualTo(new CgroupCpu(626454409, 500_000_000, 120_000_000, 34, 31,
        2367031559L, 20000, 100000));
    assertThat(cpu.limitCores()).hasValue(0.2);
    assertThat(reader.memory(cgroups)).hasValue(
        new CgroupMemory(7254016, 7036928, 4096, 64 * 1024 * 1024, 1));
    assertThat(reader.unifiedMount()).isEmpty();
    assertThat(reader.pressure(cgroups, "cpu")).isEmpty();
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldReadCapturedV1ControllersOfAnUnlimitedCgroup() {
    CgroupReader reader = reader("cgroup-v1-captured");
    ProcessCgroups cgroups = reader.processCgroups(16513).orElseThrow();

    CgroupCpu cpu = reader.cpu(cgroups).orElseThrow();
    assertThat(cpu.limitCores()).isEmpty();
    assertThat(cpu.throttledPeriods()).isZero();
    assertThat(reader.memory(cgroups)).hasValueSatisfying(m -> {
      assertThat(m.limit()).isEmpty();
      assertThat(m.oomKills()).isZero();
    });
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldReadTheV2CgroupOfAHybridHostWhenV1LeavesTheProcessAtTheRoot() {
    CgroupReader reader = reader("cgroup-v2-captured-no-controllers");
    ProcessCgroups cgroups = reader.processCgroups(16962).orElseThrow();

    assertThat(reader.unifiedMount()).hasValueSatisfying(p -> assertThat(p).endsWith(Path.of("unified")));
    assertThat(reader.cpu(cgroups)).hasValue(
        new CgroupCpu(1004079000L, 991834000L, 12245000L, -1, -1, -1, -1, -1));
    // No memory controller in this hierarchy: no memory.* file, and that is not a problem.
    assertThat(reader.memory(cgroups)).isEmpty();
    assertThat(reader.pressure(cgroups, "cpu"))
        .hasValueSatisfying(p -> assertThat(p.fullTotalMicros()).isEqualTo(121790));
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldReadAConstructedV2KubernetesContainer() {
    CgroupReader reader = reader("cgroup-v2-constructed");
    ProcessCgroups cgroups = reader.processCgroups(4242).orElseThrow();

    CgroupCpu cpu = reader.cpu(cgroups).orElseThrow();
    assertThat(cpu).isEqualTo(new CgroupCpu(8412339077000L, 6112094412000L, 2300244665000L,
        918244, 10329, 412877301000L, 50000, 100000));
    assertThat(cpu.limitCores()).hasValue(0.5);
    assertThat(reader.memory(cgroups)).hasValue(
        new CgroupMemory(201326592, 150994944, 41943040, 268435456, 2));
    assertThat(reader.pressure(cgroups, "cpu"))
        .hasValueSatisfying(p -> assertThat(p.someAvg10()).isEqualTo(4.21));
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldReadAConstructedV2UnitWithoutLimits() {
    CgroupReader reader = reader("cgroup-v2-constructed");
    ProcessCgroups cgroups = reader.processCgroups(4343).orElseThrow();

    assertThat(reader.cpu(cgroups)).hasValueSatisfying(c -> assertThat(c.limitCores()).isEmpty());
    assertThat(reader.memory(cgroups)).hasValue(new CgroupMemory(35721216, 9437184, 24117248, -1, 0));
    assertThat(reader.pressure(cgroups, "memory")).isEmpty();  // not in the fixture: optional
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldReportACgroupThatVanishedMidScan() {
    CgroupReader reader = reader("cgroup-v2-constructed");
    ProcessCgroups gone = new ProcessCgroups("/system.slice/stopped.service", null, null, null, null, null);

    assertThat(reader.cpu(gone)).isEmpty();
    assertThat(reader.memory(gone)).isEmpty();
    assertThat(reader.processCgroups(99999)).isEmpty();
    assertThat(reported(problems)).containsExactlyInAnyOrder(
        "cgroup v2 cpu.stat VANISHED", "/proc/<pid>/cgroup VANISHED");
  }

  @Test
  void shouldRefusePathsThatLeaveTheHierarchy() {
    CgroupReader reader = reader("cgroup-v2-constructed");
    // What a process outside the agent's cgroup namespace looks like from inside it.
    ProcessCgroups outside = new ProcessCgroups("/../../system.slice/nginx.service", null, null,
        null, null, null);

    assertThat(reader.cpu(outside)).isEmpty();
    assertThat(reported(problems))
        .isEqualTo(problems(ProcCgroupParser.SOURCE, Cause.UNKNOWN_CGROUP_LAYOUT));
  }

  @Test
  void shouldReadCapturedV1BlkioCountersWithTheCgroupsDescendants() {
    CgroupReader reader = reader("cgroup-v1-blkio-captured");

    // 8 MiB read and 4 MiB written by the parent, 2 MiB written by its child cgroup.
    assertThat(reader.io(reader.processCgroups(814).orElseThrow()))
        .hasValue(new IoStat(8 << 20, 6 << 20, 8, 6));
    assertThat(reader.io(reader.processCgroups(816).orElseThrow()))
        .hasValue(new IoStat(0, 2 << 20, 0, 2));
    assertThat(reader.io(reader.processCgroups(818).orElseThrow()))
        .hasValue(new IoStat(1 << 20, 1 << 20, 1, 1));
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldFallBackToTheCgroupsOwnBlkioCountersWithoutRecursiveFiles(@TempDir Path tree)
      throws Exception {
    Path captured = Fixtures.root("cgroup-v1-blkio-captured");
    Path dir = tree.resolve("sys/fs/cgroup/blkio/peregrine-fixture-throttled");
    Files.createDirectories(dir);
    for (String f : new String[] {"blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced"}) {
      Files.copy(captured.resolve("sys/fs/cgroup/blkio/peregrine-fixture-throttled").resolve(f), dir.resolve(f));
    }
    CgroupReader reader = new CgroupReader(tree.resolve("proc"), tree.resolve("sys"), 100, problems);
    ProcessCgroups cg = new ProcessCgroups("/", "/", "/", "/", "/peregrine-fixture-throttled", "/");

    assertThat(reader.io(cg)).hasValue(new IoStat(8 << 20, 4 << 20, 8, 4));
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldLeaveBlkioOutWhenTheKernelIsNotCountingOrTheCgroupIsTheRoot(@TempDir Path tree)
      throws Exception {
    Path dir = tree.resolve("sys/fs/cgroup/blkio/idle");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("blkio.throttle.io_service_bytes_recursive"), "Total 0\n");
    Files.writeString(dir.resolve("blkio.throttle.io_serviced_recursive"), "Total 0\n");
    Files.writeString(tree.resolve("sys/fs/cgroup/blkio/blkio.throttle.io_service_bytes_recursive"),
        "8:0 Read 1\n8:0 Write 1\nTotal 2\n");
    CgroupReader reader = new CgroupReader(tree.resolve("proc"), tree.resolve("sys"), 100, problems);

    assertThat(reader.io(new ProcessCgroups("/", "/", "/", "/", "/idle", "/"))).isEmpty();
    assertThat(reader.io(new ProcessCgroups("/", "/", "/", "/", "/", "/"))).isEmpty();
    assertThat(reader.io(new ProcessCgroups("/", "/", "/", "/", "/gone", "/"))).isEmpty();
    assertThat(reported(problems))
        .isEqualTo(problems("cgroup v1 blkio.throttle.io_service_bytes", Cause.VANISHED));
  }

  @Test
  void shouldKeepTheBytesWhenTheOperationCountsAreUnreadable(@TempDir Path tree) throws Exception {
    Path dir = tree.resolve("sys/fs/cgroup/blkio/busy");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("blkio.throttle.io_service_bytes_recursive"),
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n");
    Files.writeString(dir.resolve("blkio.throttle.io_serviced_recursive"), "8:0 Read x\n8:0 Wri");
    CgroupReader reader = new CgroupReader(tree.resolve("proc"), tree.resolve("sys"), 100, problems);

    assertThat(reader.io(new ProcessCgroups("/", "/", "/", "/", "/busy", "/")))
        .hasValue(new IoStat(4096, 8192, 0, 0));
    assertThat(reported(problems)).containsExactlyInAnyOrder(
        "cgroup v1 blkio.throttle.io_serviced BAD_NUMBER", "cgroup v1 blkio.throttle.io_serviced TRUNCATED");
  }

  @Test
  void shouldReadLimitsAgainOnlyEveryRefreshPeriod(@TempDir Path tree) throws Exception {
    Path source = Fixtures.root("cgroup-v2-constructed");
    try (java.util.stream.Stream<Path> files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = tree.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    CgroupReader reader = new CgroupReader(tree.resolve("proc"), tree.resolve("sys"), 100, problems);
    ProcessCgroups cgroups = reader.processCgroups(4242).orElseThrow();
    Path dir = tree.resolve("sys/fs/cgroup").resolve(cgroups.unified().substring(1));

    reader.beginScan(0, 12);
    assertThat(reader.cpu(cgroups).orElseThrow().limitCores()).hasValue(0.5);
    assertThat(reader.memory(cgroups).orElseThrow().limitBytes()).isEqualTo(268435456);
    Files.writeString(dir.resolve("cpu.max"), "max 100000\n");
    Files.writeString(dir.resolve("memory.max"), "536870912\n");
    Files.writeString(dir.resolve("memory.current"), "1\n");

    reader.beginScan(11, 12);
    assertThat(reader.cpu(cgroups).orElseThrow().limitCores()).hasValue(0.5);
    CgroupMemory memory = reader.memory(cgroups).orElseThrow();
    assertThat(memory.limitBytes()).isEqualTo(268435456);
    assertThat(memory.usageBytes()).isEqualTo(1);  // usage is read at every scan

    reader.beginScan(12, 12);
    assertThat(reader.cpu(cgroups).orElseThrow().limitCores()).isEmpty();
    assertThat(reader.memory(cgroups).orElseThrow().limitBytes()).isEqualTo(536870912);
    assertThat(problems.total()).isZero();
  }
}
