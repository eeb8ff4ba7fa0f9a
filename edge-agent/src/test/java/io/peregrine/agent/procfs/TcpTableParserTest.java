package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.IpAddressTest.ip;
import static io.peregrine.agent.procfs.TcpState.ESTABLISHED;
import static io.peregrine.agent.procfs.TcpState.LISTEN;
import static io.peregrine.agent.procfs.TcpState.TIME_WAIT;
import static io.peregrine.agent.procfs.TcpTableParser.TCP6_SOURCE;
import static io.peregrine.agent.procfs.TcpTableParser.TCP_SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TcpTableParserTest {

  /** The fixtures were captured on x86-64. */
  private static final ByteOrder CAPTURE_ORDER = ByteOrder.LITTLE_ENDIAN;
  private static final byte[] TCP = bytes("host-debian12-vm/proc/net/tcp");
  private static final byte[] TCP6 = bytes("host-debian12-vm/proc/net/tcp6");
  private static final int LISTEN_OR_ESTABLISHED = TcpState.mask(LISTEN, ESTABLISHED);
  private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr "
      + "tm->when retrnsmt   uid  timeout inode\n";

  static TcpSocket socket(TcpState state, String local, int localPort, String remote,
      int remotePort, int uid, long inode, boolean ipv6Table) {
    return new TcpSocket(state, ip(local), localPort, ip(remote), remotePort, uid, inode, ipv6Table);
  }

  record Case(String name, byte[] content, boolean ipv6, int mask, ByteOrder order,
      List<TcpSocket> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        // See host-debian12-vm/README.md for who held these sockets.
        new Case("captured tcp: listens and connections, TIME_WAIT skipped", TCP, false,
            LISTEN_OR_ESTABLISHED, CAPTURE_ORDER, List.of(
                socket(LISTEN, "0.0.0.0", 2024, "0.0.0.0", 0, 0, 1670, false),
                socket(LISTEN, "127.0.0.1", 48090, "0.0.0.0", 0, 0, 28682, false),
                socket(ESTABLISHED, "127.0.0.1", 43438, "127.0.0.1", 48090, 0, 28685, false),
                socket(ESTABLISHED, "127.0.0.1", 48090, "127.0.0.1", 43438, 0, 28686, false),
                socket(ESTABLISHED, "127.0.0.1", 42576, "127.0.0.1", 48092, 0, 28689, false)),
            Set.of()),
        new Case("captured tcp6: dual-stack listen, ::1, IPv4-mapped peer shown as IPv4", TCP6,
            true, LISTEN_OR_ESTABLISHED, CAPTURE_ORDER, List.of(
                socket(LISTEN, "::", 48092, "::", 0, 0, 28684, true),
                socket(LISTEN, "::1", 48091, "::", 0, 0, 28683, true),
                socket(ESTABLISHED, "::1", 48091, "::1", 37284, 0, 28688, true),
                socket(ESTABLISHED, "127.0.0.1", 48092, "127.0.0.1", 42576, 0, 28690, true),
                socket(ESTABLISHED, "::1", 37284, "::1", 48091, 0, 28687, true)),
            Set.of()),
        new Case("captured tcp, TIME_WAIT only: orphan sockets have inode 0", TCP, false,
            TIME_WAIT.bit(), CAPTURE_ORDER, List.of(
                socket(TIME_WAIT, "127.0.0.1", 48080, "127.0.0.1", 54068, 0, 0, false)),
            Set.of()),
        new Case("a global IPv6 address", text(HEADER
            + "   0: B80D0120000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
            + "00000000:00000000 00:00000000 00000000  1000        0 4711 1 0 100 0 0 10 0\n"),
            true, TcpState.ALL, CAPTURE_ORDER,
            List.of(socket(LISTEN, "2001:db8::1", 8080, "::", 0, 1000, 4711, true)), Set.of()),
        new Case("content of a big-endian host", text(HEADER
            + "   0: 7F000001:0050 0A000002:D431 01 00000000:00000000 00:00000000 00000000 "
            + "    0        0 99 1 0 20 4 30 10 -1\n"), false, TcpState.ALL, ByteOrder.BIG_ENDIAN,
            List.of(socket(ESTABLISHED, "127.0.0.1", 80, "10.0.0.2", 54321, 0, 99, false)),
            Set.of()),
        new Case("cut inside the third line: the first two kept", cutInside(TCP, "   2: 0100007F:A9"),
            false, TcpState.ALL, CAPTURE_ORDER, List.of(
                socket(LISTEN, "0.0.0.0", 2024, "0.0.0.0", 0, 0, 1670, false),
                socket(LISTEN, "127.0.0.1", 48090, "0.0.0.0", 0, 0, 28682, false)),
            problems(TCP_SOURCE, Cause.TRUNCATED)),
        new Case("corrupt address, unknown state, missing inode: lines skipped", text(HEADER
            + "   0: 0100007G:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7 1\n"
            + "   1: 0100007F:0050 00000000:0000 1F 00000000:00000000 00:00000000 00000000 0 0 8 1\n"
            + "   2: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0\n"
            + "   3: 0100007F:0051 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 9 1\n"),
            false, TcpState.ALL, CAPTURE_ORDER,
            List.of(socket(LISTEN, "127.0.0.1", 81, "0.0.0.0", 0, 0, 9, false)),
            problems(TCP_SOURCE, Cause.MALFORMED_LINE, Cause.BAD_NUMBER)),
        new Case("another file: tcp6 read as tcp", TCP6, false, LISTEN_OR_ESTABLISHED,
            CAPTURE_ORDER, List.of(), problems(TCP_SOURCE, Cause.MALFORMED_LINE)),
        new Case("another file: /proc/net/dev", bytes("host-debian12-vm/proc/net/dev"), true,
            TcpState.ALL, CAPTURE_ORDER, List.of(), problems(TCP6_SOURCE, Cause.BAD_NUMBER)),
        new Case("empty", new byte[0], true, TcpState.ALL, CAPTURE_ORDER, List.of(),
            problems(TCP6_SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldDecodeAddressesPortsStatesAndInodes(Case c) {
    ProblemCounters problems = new ProblemCounters();
    List<TcpSocket> sockets = new ArrayList<>();
    int added = TcpTableParser.parse(c.content(), c.content().length, c.ipv6(), c.mask(),
        c.order(), sockets, problems);
    assertThat(sockets).isEqualTo(c.expected());
    assertThat(added).isEqualTo(c.expected().size());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }

  @Test
  void shouldKeepEveryLineWithTheFullMask() {
    List<TcpSocket> sockets = new ArrayList<>();
    TcpTableParser.parse(TCP6, TCP6.length, true, TcpState.ALL, CAPTURE_ORDER, sockets,
        ParseProblems.ignoring());
    // 178 lines: the header, 2 listens, 3 established, 172 TIME_WAIT of other processes.
    assertThat(sockets).hasSize(177);
    assertThat(sockets.stream().filter(s -> s.state() == TIME_WAIT)).hasSize(172)
        .allMatch(s -> s.inode() == 0);
  }
}
