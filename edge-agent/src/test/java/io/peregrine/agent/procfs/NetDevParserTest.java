package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.NetDevParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NetDevParserTest {

  private static final byte[] CAPTURED = bytes("host-debian12-vm/proc/net/dev");
  private static final String HEADER = ""
      + "Inter-|   Receive                                                |  Transmit\n"
      + " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      + "drop fifo colls carrier compressed\n";

  private static final NetDevStat LO = new NetDevStat("lo", 5971566, 11674, 0, 0, 5971566, 11674, 0, 0);
  private static final NetDevStat IFB0 = new NetDevStat("ifb0", 0, 0, 0, 0, 0, 0, 0, 0);
  private static final NetDevStat IFB1 = new NetDevStat("ifb1", 0, 0, 0, 0, 0, 0, 0, 0);
  private static final NetDevStat ETH0 = new NetDevStat("eth0", 73834199, 2464, 0, 0, 313049, 2162, 0, 0);

  record Case(String name, byte[] content, List<NetDevStat> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured /proc/net/dev", CAPTURED, List.of(LO, IFB0, IFB1, ETH0), Set.of()),
        new Case("old format without a blank after the colon", text(HEADER
            + "  eth1:12345678901 20 1 2 0 0 0 0 99 9 3 4 0 0 0 0\n"),
            List.of(new NetDevStat("eth1", 12345678901L, 20, 1, 2, 99, 9, 3, 4)), Set.of()),
        new Case("corrupt counter: line skipped", text(HEADER
            + "  eth1: 1 2 3 4 5 6 7 8 9 1O 11 12 13 14 15 16\n"), List.of(),
            problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("too few counters", text(HEADER + "  eth1: 1 2 3\n"), List.of(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("cut inside eth0", cutInside(CAPTURED, "eth0: 7383"), List.of(LO, IFB0, IFB1),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("another file: /proc/loadavg", bytes("host-debian12-vm/proc/loadavg"), List.of(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("empty", new byte[0], List.of(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldParseInterfaceCountersOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(NetDevParser.parse(c.content(), c.content().length, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
