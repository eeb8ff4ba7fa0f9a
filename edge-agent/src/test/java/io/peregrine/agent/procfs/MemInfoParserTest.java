package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.MemInfoParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MemInfoParserTest {

  private static final byte[] CAPTURED = bytes("host-debian12-vm/proc/meminfo");
  private static final long K = 1024;

  record Case(String name, byte[] content, Optional<MemInfo> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured /proc/meminfo (kB to bytes; SwapCached is not Cached)", CAPTURED,
            Optional.of(new MemInfo(24684084 * K, 23811228 * K, 23893508 * K, 3560 * K,
                285276 * K, 8872 * K, 0, 0)), Set.of()),
        new Case("kernel before 3.14: no MemAvailable",
            text("MemTotal:  1000 kB\nMemFree:  500 kB\nBuffers:  10 kB\nCached:  20 kB\n"
                + "SwapTotal:  0 kB\nSwapFree:  0 kB\n"),
            Optional.of(new MemInfo(1000 * K, 500 * K, -1, 10 * K, 20 * K, -1, 0, 0)), Set.of()),
        new Case("cut inside Cached: what precedes is kept", cutInside(CAPTURED, "Cached:    "),
            Optional.of(new MemInfo(24684084 * K, 23811228 * K, 23893508 * K, 3560 * K, -1, -1,
                -1, -1)), problems(SOURCE, Cause.TRUNCATED)),
        new Case("corrupt MemFree", text("MemTotal: 1000 kB\nMemFree: lots kB\n"),
            Optional.of(new MemInfo(1000 * K, -1, -1, -1, -1, -1, -1, -1)),
            problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("another file: /proc/net/dev", bytes("host-debian12-vm/proc/net/dev"),
            Optional.empty(), problems(SOURCE, Cause.MISSING_FIELD)),
        new Case("empty", new byte[0], Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldConvertKibibytesToBytesOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(MemInfoParser.parse(c.content(), c.content().length, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
