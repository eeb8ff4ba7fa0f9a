package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.KernelStatParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KernelStatParserTest {

  private static final byte[] CAPTURED = bytes("host-debian12-vm/proc/stat");

  record Case(String name, byte[] content, int userHz, Optional<KernelStat> expected,
      Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static CpuTimes ticks(int hz, long... t) {
    double h = hz;
    return new CpuTimes(t[0] / h, t[1] / h, t[2] / h, t[3] / h, t[4] / h, t[5] / h, t[6] / h,
        t[7] / h);
  }

  static Stream<Case> cases() {
    KernelStat captured = new KernelStat(ticks(100, 43244, 0, 6681, 367887, 285, 0, 65, 53), 2,
        1128093, 1795549303, 16251, 3, 0);
    return Stream.of(
        new Case("captured /proc/stat", CAPTURED, 100, Optional.of(captured), Set.of()),
        new Case("captured, USER_HZ 1000", CAPTURED, 1000, Optional.of(new KernelStat(
            ticks(1000, 43244, 0, 6681, 367887, 285, 0, 65, 53), 2, 1128093, 1795549303, 16251, 3,
            0)), Set.of()),
        new Case("kernel before 2.6.11: no steal, no guest",
            text("cpu  100 5 50 1000 7 1 2\ncpu0 100 5 50 1000 7 1 2\nctxt 9\n"), 100,
            Optional.of(new KernelStat(ticks(100, 100, 5, 50, 1000, 7, 1, 2, 0), 1, 9, -1, -1, -1,
                -1)), Set.of()),
        new Case("cut inside the intr line: cpu kept, truncation reported",
            cutInside(CAPTURED, "intr 451145 0 0"), 100,
            Optional.of(new KernelStat(ticks(100, 43244, 0, 6681, 367887, 285, 0, 65, 53), 2, -1,
                -1, -1, -1, -1)),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("cut inside the cpu line", cutInside(CAPTURED, "cpu  43244 0 66"), 100,
            Optional.empty(), problems(SOURCE, Cause.TRUNCATED, Cause.MISSING_FIELD)),
        new Case("corrupt number in the cpu line",
            text("cpu  43244 0 66x1 367887 285 0 65 53 0 0\nctxt 5\n"), 100, Optional.empty(),
            problems(SOURCE, Cause.BAD_NUMBER, Cause.MISSING_FIELD)),
        new Case("cpu line with three fields", text("cpu  1 2 3\n"), 100, Optional.empty(),
            problems(SOURCE, Cause.MALFORMED_LINE, Cause.MISSING_FIELD)),
        new Case("corrupt ctxt: the rest is kept",
            text("cpu  1 2 3 4 5 6 7 8 0 0\nctxt twelve\nprocesses 7\n"), 100,
            Optional.of(new KernelStat(ticks(100, 1, 2, 3, 4, 5, 6, 7, 8), 0, -1, -1, 7, -1, -1)),
            problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("another file: /proc/meminfo", bytes("host-debian12-vm/proc/meminfo"), 100,
            Optional.empty(), problems(SOURCE, Cause.MISSING_FIELD)),
        new Case("empty file", new byte[0], 100, Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldParseCpuTimesAndCountersOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(KernelStatParser.parse(c.content(), c.content().length, c.userHz(), problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
