package io.peregrine.agent.cgroup;

import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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
    ProcessCgroups gone = new ProcessCgroups("/system.slice/stopped.service", null, null, null, null);

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
        null, null);

    assertThat(reader.cpu(outside)).isEmpty();
    assertThat(reported(problems))
        .isEqualTo(problems(ProcCgroupParser.SOURCE, Cause.UNKNOWN_CGROUP_LAYOUT));
  }
}
