package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.NetSnmpParser.NETSTAT_SOURCE;
import static io.peregrine.agent.procfs.NetSnmpParser.SNMP_SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NetSnmpParserTest {

  private static final byte[] SNMP = bytes("host-debian12-vm/proc/net/snmp");
  private static final byte[] NETSTAT = bytes("host-debian12-vm/proc/net/netstat");

  record Case(String name, byte[] snmp, byte[] netstat, Optional<TcpCounters> expected,
      Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    // Tcp: 1 200 120000 -1 441 238 174 8 6 14106 13778 19 0 218 0; TcpExt ListenOverflows 13,
    // ListenDrops 13 (columns found by name in the captured files).
    TcpCounters captured = new TcpCounters(441, 238, 174, 8, 6, 14106, 13778, 19, 218, 13, 13);
    return Stream.of(
        new Case("captured snmp and netstat", SNMP, NETSTAT, Optional.of(captured), Set.of()),
        new Case("columns in another order, MaxConn -1 ignored",
            text("Tcp: CurrEstab ActiveOpens MaxConn PassiveOpens\nTcp: 5 100 -1 50\n"), new byte[0],
            Optional.of(new TcpCounters(100, 50, -1, -1, 5, -1, -1, -1, -1, -1, -1)), Set.of()),
        new Case("netstat unreadable: TcpExt counters -1", SNMP, new byte[0],
            Optional.of(new TcpCounters(441, 238, 174, 8, 6, 14106, 13778, 19, 218, -1, -1)),
            Set.of()),
        new Case("value line shorter than the header",
            text("Tcp: ActiveOpens PassiveOpens\nTcp: 5\n"), NETSTAT, Optional.empty(),
            problems(SNMP_SOURCE, Cause.MALFORMED_LINE)),
        new Case("corrupt value", text("Tcp: ActiveOpens PassiveOpens\nTcp: 5 six\n"), NETSTAT,
            Optional.empty(), problems(SNMP_SOURCE, Cause.BAD_NUMBER)),
        new Case("snmp cut after the Tcp header", cutInside(SNMP, "OutRsts InCsumErrors\nTcp: 1 2"),
            NETSTAT, Optional.empty(), problems(SNMP_SOURCE, Cause.TRUNCATED)),
        new Case("netstat cut: TcpExt lost, Tcp kept", SNMP, cutInside(NETSTAT, "TcpExt: 0 0 0"),
            Optional.of(new TcpCounters(441, 238, 174, 8, 6, 14106, 13778, 19, 218, -1, -1)),
            problems(NETSTAT_SOURCE, Cause.TRUNCATED)),
        new Case("another file: netstat given as snmp", NETSTAT, NETSTAT, Optional.empty(),
            problems(SNMP_SOURCE, Cause.MISSING_FIELD)),
        new Case("empty snmp", new byte[0], NETSTAT, Optional.empty(),
            problems(SNMP_SOURCE, Cause.EMPTY)),
        new Case("both swapped", NETSTAT, SNMP, Optional.empty(),
            problems(SNMP_SOURCE, Cause.MISSING_FIELD)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldFindTcpColumnsByNameOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(NetSnmpParser.parse(c.snmp(), c.snmp().length, c.netstat(), c.netstat().length,
        problems)).isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
