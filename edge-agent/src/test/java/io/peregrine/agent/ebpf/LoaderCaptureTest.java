package io.peregrine.agent.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the real capture holds (src/test/resources/ebpf/README.md): the decoded records, checked
 * field by field against the workload that produced them.
 */
class LoaderCaptureTest {

  private static final List<SensorRecord> RECORDS =
      Records.decode(EbpfTestSupport.resource("loader-http-curl.bin"), 4096, null);

  private static <T> List<T> of(Class<T> type) {
    return RECORDS.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static String requestLine(L7Record r) {
    String s = new String(r.request(), StandardCharsets.ISO_8859_1);
    return s.substring(0, s.indexOf("\r\n"));
  }

  @Test
  void shouldStartWithTheLoadersHelloAndEndWithItsStats() {
    assertThat(RECORDS.get(0)).isInstanceOf(LoaderHello.class);
    assertThat(RECORDS.get(RECORDS.size() - 1)).isInstanceOfSatisfying(SensorStats.class, s -> {
      assertThat(s.ringDrops()).isZero();
      assertThat(s.l7Records()).isEqualTo(4);
    });
  }

  @Test
  void shouldPairEachHttpRequestWithItsStatusOnBothSides() {
    List<L7Record> l7 = of(L7Record.class);

    assertThat(l7).extracting(L7Record::side, L7Record::method, LoaderCaptureTest::requestLine, L7Record::status)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(L7Record.Side.SERVER, "GET", "GET /index.html HTTP/1.1", 200),
            org.assertj.core.groups.Tuple.tuple(L7Record.Side.CLIENT, "GET", "GET /index.html HTTP/1.1", 200),
            org.assertj.core.groups.Tuple.tuple(L7Record.Side.SERVER, "GET", "GET /missing/42 HTTP/1.1", 404),
            org.assertj.core.groups.Tuple.tuple(L7Record.Side.CLIENT, "GET", "GET /missing/42 HTTP/1.1", 404));
    assertThat(l7).allSatisfy(r -> {
      assertThat(r.protocol()).isEqualTo(L7Record.Protocol.HTTP);
      assertThat(r.serverPort()).isEqualTo(18080);
      assertThat(new String(r.response(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.0 " + r.status());
      assertThat(r.latencyNanos()).isPositive();
      assertThat(r.requestBytes()).isEqualTo(r.request().length);
    });
    // The server's view of an exchange lies inside the client's, on the same clock.
    for (L7Record client : l7) {
      if (client.side() == L7Record.Side.CLIENT) {
        L7Record server = l7.stream()
            .filter(s -> s.side() == L7Record.Side.SERVER && s.clientPort() == client.clientPort())
            .findFirst().orElseThrow();
        assertThat(server.startMonotonicNanos()).isGreaterThan(client.startMonotonicNanos());
        assertThat(server.startMonotonicNanos() + server.latencyNanos())
            .isLessThan(client.startMonotonicNanos() + client.latencyNanos());
      }
    }
  }

  @Test
  void shouldReportOpenAndCloseOfBothEndsWithByteCounts() throws Exception {
    List<ConnectionRecord> conns = of(ConnectionRecord.class);
    List<ConnectionRecord> closes = conns.stream().filter(c -> c.kind() == ConnectionRecord.Kind.CLOSE).toList();

    assertThat(conns.stream().filter(c -> c.kind() == ConnectionRecord.Kind.OPEN)).hasSize(4);
    assertThat(closes).hasSize(4).allSatisfy(c -> {
      assertThat(c.localAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
      assertThat(c.bytesSent() + c.bytesReceived()).isPositive();
    });
    // A client's record covers the whole response: what it read over its connection (one
    // exchange per connection here; the server closes after each response).
    for (L7Record r : of(L7Record.class)) {
      if (r.side() == L7Record.Side.CLIENT) {
        ConnectionRecord close = closes.stream().filter(c -> c.connectionId() == r.connectionId()).findFirst().orElseThrow();
        assertThat(r.responseBytes()).isEqualTo(close.bytesReceived());
        assertThat(r.requestBytes()).isEqualTo(close.bytesSent());
      }
    }
    // What a client sent is what its server received, per connection.
    for (ConnectionRecord client : closes) {
      if (client.direction() == ConnectionRecord.Direction.OUTBOUND) {
        ConnectionRecord server = closes.stream()
            .filter(s -> s.direction() == ConnectionRecord.Direction.INBOUND && s.remotePort() == client.localPort())
            .findFirst().orElseThrow();
        assertThat(server.bytesReceived()).isEqualTo(client.bytesSent());
        assertThat(server.bytesSent()).isEqualTo(client.bytesReceived());
      }
    }
  }

  @Test
  void shouldReportTheRefusedIpv6Connect() throws Exception {
    ConnectionRecord failed = of(ConnectionRecord.class).stream()
        .filter(c -> c.kind() == ConnectionRecord.Kind.FAILED_CONNECT).findFirst().orElseThrow();

    assertThat(failed.remoteAddress()).isEqualTo(InetAddress.getByName("::1"));
    assertThat(failed.remotePort()).isEqualTo(18081);
    assertThat(failed.failureReason()).contains("ECONNREFUSED");
    assertThat(failed.connectDuration()).isPresent();
  }

  @Test
  void shouldReportExecAndExitWithExitCodes() {
    List<ProcessRecord> procs = of(ProcessRecord.class);
    ProcessRecord trueExec = procs.stream()
        .filter(p -> p.kind() == ProcessRecord.Kind.EXEC && "/bin/true".equals(p.filename())).findFirst().orElseThrow();
    ProcessRecord trueExit = procs.stream()
        .filter(p -> p.kind() == ProcessRecord.Kind.EXIT && p.pid() == trueExec.pid()).findFirst().orElseThrow();
    ProcessRecord shExec = procs.stream()
        .filter(p -> p.kind() == ProcessRecord.Kind.EXEC && "sh".equals(p.comm())).findFirst().orElseThrow();
    ProcessRecord shExit = procs.stream()
        .filter(p -> p.kind() == ProcessRecord.Kind.EXIT && p.pid() == shExec.pid()).findFirst().orElseThrow();
    ProcessRecord curlExit = procs.stream()
        .filter(p -> p.kind() == ProcessRecord.Kind.EXIT && "curl".equals(p.comm()))
        .reduce((a, b) -> b).orElseThrow();

    assertThat(trueExec.comm()).isEqualTo("true");
    assertThat(trueExec.ppid()).isPositive();
    assertThat(trueExec.startedAt()).isNotNull().isBefore(trueExec.timestamp().plusNanos(1));
    assertThat(trueExit.exitCode()).hasValue(0);
    assertThat(trueExit.ppid()).isEqualTo(trueExec.ppid());
    assertThat(shExit.exitCode()).hasValue(3);
    assertThat(curlExit.exitCode()).hasValue(7); // curl: failed to connect
  }
}
