package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.PidStatParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PidStatParserTest {

  private static final byte[] ODD_COMM = bytes("host-debian12-vm/proc/16207/stat");

  record Case(String name, byte[] content, Optional<PidStat> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured: comm with blanks and parentheses", ODD_COMM,
            Optional.of(new PidStat(16207, "x) (y z", 'S', 16204, 16200, 13309, 4194304, 0, 0, 1,
                209667, 2990080, 421)), Set.of()),
        new Case("captured: python3 with CPU time", bytes("host-debian12-vm/proc/16208/stat"),
            Optional.of(new PidStat(16208, "python3", 'S', 16204, 16200, 13309, 4194304, 3, 1, 1,
                209667, 18653184, 3602)), Set.of()),
        new Case("captured: kthreadd", bytes("host-debian12-vm/proc/2/stat"),
            Optional.of(new PidStat(2, "kthreadd", 'S', 0, 0, 0, 2129984, 0, 0, 1, 24, 0, 0)),
            Set.of()),
        new Case("comm holding a newline (prctl allows it)",
            text("77 (a\nb) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0 3 0 100 4096 2\n"),
            Optional.of(new PidStat(77, "a\nb", 'R', 1, 77, 77, 0, 5, 6, 3, 100, 4096, 2)),
            Set.of()),
        new Case("kernel 2.6 length: fields after rss absent",
            text("9 (init) S 0 9 9 0 -1 256 1 2 3 4 10 20 0 0 20 0 1 0 5 1000 50\n"),
            Optional.of(new PidStat(9, "init", 'S', 0, 9, 9, 256, 10, 20, 1, 5, 1000, 50)),
            Set.of()),
        new Case("cut before rss", cutInside(ODD_COMM, "209667 2990080"), Optional.empty(),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("too few fields", text("9 (init) S 0 9 9 0 -1 256 1 2 3 4 10 20\n"),
            Optional.empty(), problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("corrupt utime",
            text("9 (init) S 0 9 9 0 -1 256 1 2 3 4 1O 20 0 0 20 0 1 0 5 1000 50\n"),
            Optional.empty(), problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("no parentheses", text("9 init S 0 9 9 0 -1 256 1 2 3 4 10 20 0 0 20 0 1 0 5 1 5\n"),
            Optional.empty(), problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("another file: /proc/<pid>/status", bytes("host-debian12-vm/proc/16207/status"),
            Optional.empty(), problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("empty (process gone between open and read)", new byte[0], Optional.empty(),
            problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldParseFromTheLastParenthesisOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(PidStatParser.parse(c.content(), c.content().length, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }

  @Test
  void shouldRecogniseKernelThreadsByTheirFlag() {
    ProblemCounters problems = new ProblemCounters();
    byte[] kthreadd = bytes("host-debian12-vm/proc/2/stat");
    assertThat(PidStatParser.parse(kthreadd, kthreadd.length, problems).orElseThrow()
        .isKernelThread()).isTrue();
    assertThat(PidStatParser.parse(ODD_COMM, ODD_COMM.length, problems).orElseThrow()
        .isKernelThread()).isFalse();
  }
}
