package io.peregrine.agent.cgroup;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cut;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link IoStat#v1BlkioReadWrite} over the captured blkio files and broken variants of them. */
class IoStatBlkioTest {

  private static final String SOURCE = "cgroup v1 blkio.throttle.io_service_bytes";
  private static final String DIR = "cgroup-v1-blkio-captured/sys/fs/cgroup/blkio/";
  private static final byte[] RECURSIVE =
      bytes(DIR + "peregrine-fixture-throttled/blkio.throttle.io_service_bytes_recursive");

  /** @param counted expected return value; read and write the sums */
  record Case(String name, byte[] content, int counted, long read, long write, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured recursive bytes (parent and child)", RECURSIVE, 2, 8 << 20, 6 << 20, Set.of()),
        new Case("captured own bytes", bytes(DIR + "peregrine-fixture-throttled/blkio.throttle.io_service_bytes"),
            2, 8 << 20, 4 << 20, Set.of()),
        new Case("captured operations", bytes(DIR + "peregrine-fixture-throttled/blkio.throttle.io_serviced_recursive"),
            2, 8, 6, Set.of()),
        new Case("Linux 3.10 layout (no Discard), two devices",
            text("8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Async 0\n8:0 Total 300\n"
                + "253:1 Read 5\n253:1 Write 7\n253:1 Sync 12\n253:1 Async 0\n253:1 Total 12\nTotal 312\n"),
            4, 105, 207, Set.of()),
        new Case("not counting: only the grand total", text("Total 0\n"), 0, 0, 0, Set.of()),
        new Case("empty", new byte[0], 0, 0, 0, Set.of()),
        new Case("largest counter", text("8:0 Read 9223372036854775807\n8:0 Write 0\n"),
            2, Long.MAX_VALUE, 0, Set.of()),
        new Case("counter past a long", text("8:0 Read 9223372036854775808\n8:0 Write 1\n"),
            1, 0, 1, problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("cut inside the last line", cut(RECURSIVE, RECURSIVE.length - 3),
            2, 8 << 20, 6 << 20, problems(SOURCE, Cause.TRUNCATED)),
        new Case("cut inside the Write count", cut(RECURSIVE, 25),
            1, 8 << 20, 0, problems(SOURCE, Cause.TRUNCATED)),
        new Case("garbage lines skipped",
            text("garbage\n8:x Read 5\n8:0 Read\n:0 Write 3\n8:0 Read 10\n8:0 Write -4\n8:0 Write 6\n"),
            2, 10, 6, problems(SOURCE, Cause.MALFORMED_LINE, Cause.BAD_NUMBER)),
        new Case("another format: v2 io.stat", text("8:0 rbytes=1 wbytes=2 rios=1 wios=1\n"),
            0, 0, 0, Set.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldSumReadAndWriteOverDevices(Case c) {
    ProblemCounters problems = new ProblemCounters();
    long[] rw = {-1, -1};
    assertThat(IoStat.v1BlkioReadWrite(c.content(), c.content().length, SOURCE, rw, problems))
        .isEqualTo(c.counted());
    assertThat(rw).containsExactly(c.read(), c.write());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
