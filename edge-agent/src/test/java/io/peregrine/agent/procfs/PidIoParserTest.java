package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.PidIoParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PidIoParserTest {

  private static final byte[] PYTHON = bytes("host-debian12-vm/proc/16208/io");

  record Case(String name, byte[] content, Optional<PidIo> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured: python3", PYTHON,
            Optional.of(new PidIo(1802068, 2417, 1349, 30, 4096, 0, 0)), Set.of()),
        new Case("captured: kthreadd", bytes("host-debian12-vm/proc/2/io"),
            Optional.of(new PidIo(0, 0, 0, 0, 0, 0, 0)), Set.of()),
        new Case("cut inside write_bytes", cutInside(PYTHON, "write_bytes: "), Optional.empty(),
            problems(SOURCE, Cause.TRUNCATED, Cause.MISSING_FIELD)),
        new Case("corrupt read_bytes", text("read_bytes: -\nwrite_bytes: 5\n"), Optional.empty(),
            problems(SOURCE, Cause.BAD_NUMBER, Cause.MISSING_FIELD)),
        new Case("only the block-layer counters", text("read_bytes: 8\nwrite_bytes: 5\n"),
            Optional.of(new PidIo(-1, -1, -1, -1, 8, 5, -1)), Set.of()),
        new Case("another file: /proc/meminfo", bytes("host-debian12-vm/proc/meminfo"),
            Optional.empty(), problems(SOURCE, Cause.MISSING_FIELD)),
        new Case("empty", new byte[0], Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldParseIoCountersOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(PidIoParser.parse(c.content(), c.content().length, problems)).isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
