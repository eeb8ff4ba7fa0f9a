package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cut;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.LoadAvgParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LoadAvgParserTest {

  private static final byte[] CAPTURED = bytes("host-debian12-vm/proc/loadavg");

  record Case(String name, byte[] content, Optional<LoadAvg> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured /proc/loadavg", CAPTURED,
            Optional.of(new LoadAvg(2.41, 0.99, 0.54, 3, 113, 16251)), Set.of()),
        new Case("only the three averages", text("1.00 2.00 3.00\n"),
            Optional.of(new LoadAvg(1, 2, 3, -1, -1, -1)), Set.of()),
        new Case("corrupt task counts: averages kept", text("1.00 2.00 3.00 x/y 77\n"),
            Optional.of(new LoadAvg(1, 2, 3, -1, -1, 77)), problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("corrupt average", text("1.00 2,00 3.00 1/2 3\n"), Optional.empty(),
            problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("two fields", text("1.00 2.00\n"), Optional.empty(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("truncated", cut(CAPTURED, 10), Optional.empty(),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("another file: /proc/uptime", bytes("host-debian12-vm/proc/uptime"),
            Optional.empty(), problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("empty", new byte[0], Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldParseLoadAveragesOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(LoadAvgParser.parse(c.content(), c.content().length, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
