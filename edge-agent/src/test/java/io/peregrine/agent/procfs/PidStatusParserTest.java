package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.PidStatusParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PidStatusParserTest {

  private static final long K = 1024;
  private static final byte[] PYTHON = bytes("host-debian12-vm/proc/16208/status");

  record Case(String name, byte[] content, Optional<PidStatus> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured: python3", PYTHON, Optional.of(new PidStatus(0, 0, 14556 * K,
            7480 * K, 7076 * K, 0, 0, 1, 16208, 16, 14)), Set.of()),
        new Case("captured: kthreadd has no Vm lines", bytes("host-debian12-vm/proc/2/status"),
            Optional.of(new PidStatus(0, 0, -1, -1, -1, -1, -1, 1, 2, 65, 0)), Set.of()),
        new Case("process in a container: NStgid ends with its pid there, uid differs",
            text("Name:\tnginx\nUid:\t101\t101\t101\t101\nNStgid:\t52011\t7\nThreads:\t2\n"),
            Optional.of(new PidStatus(101, 101, -1, -1, -1, -1, -1, 2, 7, -1, -1)), Set.of()),
        new Case("cut inside VmRSS", cutInside(PYTHON, "VmRSS:\t   14"),
            Optional.of(new PidStatus(0, 0, -1, -1, -1, -1, -1, -1, 16208, -1, -1)),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("corrupt VmRSS", text("Uid:\t0\t0\t0\t0\nVmRSS:\t  x kB\nThreads:\t4\n"),
            Optional.of(new PidStatus(0, 0, -1, -1, -1, -1, -1, 4, -1, -1, -1)),
            problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("another file: /proc/<pid>/stat", bytes("host-debian12-vm/proc/16208/stat"),
            Optional.empty(), problems(SOURCE, Cause.MISSING_FIELD)),
        new Case("empty", new byte[0], Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldParseIdentityMemoryAndThreadsOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(PidStatusParser.parse(c.content(), c.content().length, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
