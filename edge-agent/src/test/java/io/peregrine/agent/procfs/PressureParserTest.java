package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PressureParserTest {

  private static final String SOURCE = "/proc/pressure/cpu";

  record Case(String name, byte[] content, Optional<PressureStall> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured /proc/pressure/cpu", bytes("host-debian12-vm/proc/pressure/cpu"),
            Optional.of(new PressureStall(53.19, 26.29, 11.45, 106991932, 0, 0, 0, 0)), Set.of()),
        new Case("captured /proc/pressure/io", bytes("host-debian12-vm/proc/pressure/io"),
            Optional.of(new PressureStall(0.56, 0.18, 0.04, 2238657, 0.36, 0.10, 0.02, 1794476)),
            Set.of()),
        new Case("captured cgroup v2 cpu.pressure",
            bytes("cgroup-v2-captured-no-controllers/sys/fs/cgroup/unified/peregrine-fixture/cpu.pressure"),
            Optional.of(new PressureStall(1.08, 0.19, 0.04, 124074, 1.08, 0.19, 0.04, 121790)),
            Set.of()),
        new Case("kernel before 5.13: no full line for cpu",
            text("some avg10=1.50 avg60=1.00 avg300=0.50 total=12345\n"),
            Optional.of(new PressureStall(1.5, 1.0, 0.5, 12345, 0, 0, 0, 0)), Set.of()),
        new Case("a key added by a later kernel is ignored",
            text("some avg10=1.50 avg60=1.00 avg300=0.50 avg900=0.25 total=12345\n"),
            Optional.of(new PressureStall(1.5, 1.0, 0.5, 12345, 0, 0, 0, 0)), Set.of()),
        new Case("corrupt full line: some kept",
            text("some avg10=1.50 avg60=1.00 avg300=0.50 total=12345\nfull avg10=x avg60=0 avg300=0 total=1\n"),
            Optional.of(new PressureStall(1.5, 1.0, 0.5, 12345, 0, 0, 0, 0)),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("some without total", text("some avg10=1.50 avg60=1.00 avg300=0.50\n"),
            Optional.empty(), problems(SOURCE, Cause.MALFORMED_LINE, Cause.MISSING_FIELD)),
        new Case("cut inside the some line",
            cutInside(bytes("host-debian12-vm/proc/pressure/cpu"), "some avg10=53"),
            Optional.empty(), problems(SOURCE, Cause.TRUNCATED, Cause.MISSING_FIELD)),
        new Case("another file: /proc/loadavg", bytes("host-debian12-vm/proc/loadavg"),
            Optional.empty(), problems(SOURCE, Cause.MALFORMED_LINE, Cause.MISSING_FIELD)),
        new Case("empty", new byte[0], Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldParseStallSharesAndTotalsOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(PressureParser.parse(c.content(), c.content().length, SOURCE, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
