package io.peregrine.agent.cgroup;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CgroupFilesTest {

  private static final String V1 = "cgroup-v1-captured/sys/fs/cgroup/";
  private static final String V1_LIMITED = "/peregrine-fixture-limited/";
  private static final String V1_UNLIMITED = "/peregrine-fixture-unlimited/";
  private static final String V2_CORE =
      "cgroup-v2-captured-no-controllers/sys/fs/cgroup/unified/peregrine-fixture/";
  private static final String V2_POD = "cgroup-v2-constructed/sys/fs/cgroup/kubepods.slice/"
      + "kubepods-burstable.slice/kubepods-burstable-podf9329f0f_1a54_4401_b133_79ed11b6c4db.slice/"
      + "cri-containerd-bb78a5bb9e706c5bfa8fa2c31073aab2124362303d54a13a147d242faa6af1a7.scope/";
  private static final String V2_UNIT = "cgroup-v2-constructed/sys/fs/cgroup/system.slice/nginx.service/";

  /** One parser applied to fresh builders. */
  enum File {
    V2_CPU_STAT((b, cpu, mem, p) -> CgroupFiles.v2CpuStat(b, b.length, cpu, p)),
    V2_CPU_MAX((b, cpu, mem, p) -> CgroupFiles.v2CpuMax(b, b.length, cpu, p)),
    V2_MEMORY_CURRENT((b, cpu, mem, p) -> CgroupFiles.v2MemoryCurrent(b, b.length, mem, p)),
    V2_MEMORY_STAT((b, cpu, mem, p) -> CgroupFiles.v2MemoryStat(b, b.length, mem, p)),
    V2_MEMORY_MAX((b, cpu, mem, p) -> CgroupFiles.v2MemoryMax(b, b.length, mem, p)),
    V2_MEMORY_EVENTS((b, cpu, mem, p) -> CgroupFiles.v2MemoryEvents(b, b.length, mem, p)),
    V1_CPUACCT_USAGE((b, cpu, mem, p) -> CgroupFiles.v1CpuacctUsage(b, b.length, cpu, p)),
    V1_CPUACCT_STAT((b, cpu, mem, p) -> CgroupFiles.v1CpuacctStat(b, b.length, 100, cpu, p)),
    V1_CPU_STAT((b, cpu, mem, p) -> CgroupFiles.v1CpuStat(b, b.length, cpu, p)),
    V1_CFS_QUOTA((b, cpu, mem, p) -> CgroupFiles.v1CfsQuota(b, b.length, cpu, p)),
    V1_CFS_PERIOD((b, cpu, mem, p) -> CgroupFiles.v1CfsPeriod(b, b.length, cpu, p)),
    V1_MEMORY_USAGE((b, cpu, mem, p) -> CgroupFiles.v1MemoryUsage(b, b.length, mem, p)),
    V1_MEMORY_STAT((b, cpu, mem, p) -> CgroupFiles.v1MemoryStat(b, b.length, mem, p)),
    V1_MEMORY_LIMIT((b, cpu, mem, p) -> CgroupFiles.v1MemoryLimit(b, b.length, mem, p)),
    V1_OOM_CONTROL((b, cpu, mem, p) -> CgroupFiles.v1OomControl(b, b.length, mem, p));

    interface Parse {
      boolean apply(byte[] content, CgroupCpu.Builder cpu, CgroupMemory.Builder memory,
          ParseProblems problems);
    }

    final Parse parse;

    File(Parse parse) {
      this.parse = parse;
    }
  }

  private static CgroupCpu cpu(long usage, long user, long system, long periods, long throttled,
      long throttledNanos, long quota, long period) {
    return new CgroupCpu(usage, user, system, periods, throttled, throttledNanos, quota, period);
  }

  private static final CgroupCpu NO_CPU = new CgroupCpu.Builder().build();
  private static final CgroupMemory NO_MEMORY = new CgroupMemory.Builder().build();

  private static CgroupMemory memory(long usage, long anon, long file, long limit, long oom) {
    return new CgroupMemory(usage, anon, file, limit, oom);
  }

  /** expected is a CgroupCpu or a CgroupMemory: what the builders hold afterwards. */
  record Case(String name, File file, byte[] content, boolean usable, Object expected,
      Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    Set<String> ok = Set.of();
    return Stream.of(
        // v1, captured
        new Case("v1 cpu.stat, throttled", File.V1_CPU_STAT, bytes(V1 + "cpu" + V1_LIMITED + "cpu.stat"),
            true, cpu(-1, -1, -1, 34, 31, 2367031559L, -1, -1), ok),
        new Case("v1 cpuacct.usage", File.V1_CPUACCT_USAGE,
            bytes(V1 + "cpuacct" + V1_LIMITED + "cpuacct.usage"), true,
            cpu(626454409, -1, -1, -1, -1, -1, -1, -1), ok),
        new Case("v1 cpuacct.stat, USER_HZ ticks to ns", File.V1_CPUACCT_STAT,
            bytes(V1 + "cpuacct" + V1_LIMITED + "cpuacct.stat"), true,
            cpu(-1, 500_000_000, 120_000_000, -1, -1, -1, -1, -1), ok),
        new Case("v1 cpu.cfs_quota_us", File.V1_CFS_QUOTA,
            bytes(V1 + "cpu" + V1_LIMITED + "cpu.cfs_quota_us"), true,
            cpu(-1, -1, -1, -1, -1, -1, 20000, -1), ok),
        new Case("v1 cpu.cfs_quota_us unlimited", File.V1_CFS_QUOTA,
            bytes(V1 + "cpu" + V1_UNLIMITED + "cpu.cfs_quota_us"), true, NO_CPU, ok),
        new Case("v1 cpu.cfs_period_us", File.V1_CFS_PERIOD,
            bytes(V1 + "cpu" + V1_LIMITED + "cpu.cfs_period_us"), true,
            cpu(-1, -1, -1, -1, -1, -1, -1, 100000), ok),
        new Case("v1 memory.usage_in_bytes", File.V1_MEMORY_USAGE,
            bytes(V1 + "memory" + V1_LIMITED + "memory.usage_in_bytes"), true,
            memory(7254016, -1, -1, -1, -1), ok),
        new Case("v1 memory.stat: total_rss and total_cache", File.V1_MEMORY_STAT,
            bytes(V1 + "memory" + V1_UNLIMITED + "memory.stat"), true,
            memory(-1, 7036928, 16879616, -1, -1), ok),
        new Case("v1 memory.limit_in_bytes", File.V1_MEMORY_LIMIT,
            bytes(V1 + "memory" + V1_LIMITED + "memory.limit_in_bytes"), true,
            memory(-1, -1, -1, 67108864, -1), ok),
        new Case("v1 memory.limit_in_bytes unlimited (PAGE_COUNTER_MAX)", File.V1_MEMORY_LIMIT,
            bytes(V1 + "memory" + V1_UNLIMITED + "memory.limit_in_bytes"), true, NO_MEMORY, ok),
        new Case("v1 memory.oom_control after an OOM kill", File.V1_OOM_CONTROL,
            bytes(V1 + "memory" + V1_LIMITED + "memory.oom_control"), true,
            memory(-1, -1, -1, -1, 1), ok),
        // v1, constructed
        new Case("v1 memory.stat of a kernel without total_*", File.V1_MEMORY_STAT,
            text("cache 4096\nrss 8192\nmapped_file 0\n"), true, memory(-1, 8192, 4096, -1, -1), ok),
        new Case("v1 memory.oom_control before Linux 4.13", File.V1_OOM_CONTROL,
            text("oom_kill_disable 0\nunder_oom 0\n"), false, NO_MEMORY,
            problems("cgroup v1 memory.oom_control", Cause.MISSING_FIELD)),
        // v2, captured without the cpu controller
        new Case("v2 cpu.stat without the cpu controller: no throttling keys", File.V2_CPU_STAT,
            bytes(V2_CORE + "cpu.stat"), true,
            cpu(1004079000L, 991834000L, 12245000L, -1, -1, -1, -1, -1), ok),
        // v2, constructed from cgroup-v2.rst
        new Case("v2 cpu.stat, throttled", File.V2_CPU_STAT, bytes(V2_POD + "cpu.stat"), true,
            cpu(8412339077000L, 6112094412000L, 2300244665000L, 918244, 10329, 412877301000L, -1,
                -1), ok),
        new Case("v2 cpu.max with a quota", File.V2_CPU_MAX, bytes(V2_POD + "cpu.max"), true,
            cpu(-1, -1, -1, -1, -1, -1, 50000, 100000), ok),
        new Case("v2 cpu.max unlimited", File.V2_CPU_MAX, bytes(V2_UNIT + "cpu.max"), true,
            cpu(-1, -1, -1, -1, -1, -1, -1, 100000), ok),
        new Case("v2 memory.current", File.V2_MEMORY_CURRENT, bytes(V2_POD + "memory.current"),
            true, memory(201326592, -1, -1, -1, -1), ok),
        new Case("v2 memory.stat", File.V2_MEMORY_STAT, bytes(V2_POD + "memory.stat"), true,
            memory(-1, 150994944, 41943040, -1, -1), ok),
        new Case("v2 memory.max", File.V2_MEMORY_MAX, bytes(V2_POD + "memory.max"), true,
            memory(-1, -1, -1, 268435456, -1), ok),
        new Case("v2 memory.max unlimited", File.V2_MEMORY_MAX, bytes(V2_UNIT + "memory.max"),
            true, NO_MEMORY, ok),
        new Case("v2 memory.events", File.V2_MEMORY_EVENTS, bytes(V2_POD + "memory.events"), true,
            memory(-1, -1, -1, -1, 2), ok),
        // negative
        new Case("v2 cpu.stat cut inside usage_usec", File.V2_CPU_STAT,
            cutInside(bytes(V2_POD + "cpu.stat"), "usage_usec 84"), false, NO_CPU,
            problems("cgroup v2 cpu.stat", Cause.TRUNCATED, Cause.MISSING_FIELD)),
        new Case("v2 cpu.stat cut after usage: usage kept", File.V2_CPU_STAT,
            cutInside(bytes(V2_POD + "cpu.stat"), "user_usec 61"), true,
            cpu(8412339077000L, -1, -1, -1, -1, -1, -1, -1),
            problems("cgroup v2 cpu.stat", Cause.TRUNCATED)),
        new Case("v2 cpu.stat holding memory.stat", File.V2_CPU_STAT,
            bytes(V2_POD + "memory.stat"), false, NO_CPU,
            problems("cgroup v2 cpu.stat", Cause.MISSING_FIELD)),
        new Case("v2 cpu.stat with a corrupt usage", File.V2_CPU_STAT,
            text("usage_usec 12x\nuser_usec 1\nsystem_usec 1\n"), false, NO_CPU,
            problems("cgroup v2 cpu.stat", Cause.BAD_NUMBER, Cause.MISSING_FIELD)),
        new Case("v2 cpu.max with a zero quota", File.V2_CPU_MAX, text("0 100000\n"), false,
            NO_CPU, problems("cgroup v2 cpu.max", Cause.BAD_NUMBER)),
        new Case("v2 cpu.max without period", File.V2_CPU_MAX, text("max\n"), false, NO_CPU,
            problems("cgroup v2 cpu.max", Cause.BAD_NUMBER)),
        new Case("v2 memory.max with two values", File.V2_MEMORY_MAX, text("12 34\n"), false,
            NO_MEMORY, problems("cgroup v2 memory.max", Cause.MALFORMED_LINE)),
        new Case("v2 memory.current truncated", File.V2_MEMORY_CURRENT, text("2013"), false,
            NO_MEMORY, problems("cgroup v2 memory.current", Cause.TRUNCATED)),
        new Case("v2 memory.current negative", File.V2_MEMORY_CURRENT, text("-5\n"), false,
            NO_MEMORY, problems("cgroup v2 memory.current", Cause.BAD_NUMBER)),
        new Case("v2 memory.current empty", File.V2_MEMORY_CURRENT, new byte[0], false, NO_MEMORY,
            problems("cgroup v2 memory.current", Cause.EMPTY)),
        new Case("v2 memory.stat holding cpu.stat", File.V2_MEMORY_STAT,
            bytes(V2_POD + "cpu.stat"), false, NO_MEMORY,
            problems("cgroup v2 memory.stat", Cause.MISSING_FIELD)),
        new Case("v1 memory.limit_in_bytes holding memory.stat", File.V1_MEMORY_LIMIT,
            bytes(V1 + "memory" + V1_LIMITED + "memory.stat"), false, NO_MEMORY,
            problems("cgroup v1 memory.limit_in_bytes", Cause.BAD_NUMBER)),
        new Case("v1 cpu.stat empty", File.V1_CPU_STAT, new byte[0], false, NO_CPU,
            problems("cgroup v1 cpu.stat", Cause.EMPTY, Cause.MISSING_FIELD)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldFillTheBuilderOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    CgroupCpu.Builder cpu = new CgroupCpu.Builder();
    CgroupMemory.Builder memory = new CgroupMemory.Builder();
    assertThat(c.file().parse.apply(c.content(), cpu, memory, problems)).isEqualTo(c.usable());
    assertThat(c.expected() instanceof CgroupCpu ? cpu.build() : memory.build())
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
