package io.peregrine.agent.collect;

import static io.peregrine.agent.l7.http2.Http2Frames.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.ebpf.ConnectionRecord;
import io.peregrine.agent.ebpf.Http2Chunk;
import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.ebpf.ProcessRecord;
import io.peregrine.agent.ebpf.RecordLayout;
import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Decoders;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.IpFamily;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SensorEventsTest {

  static final Instant T0 = Instant.parse("2026-11-24T22:00:00.123456789Z");
  static final InetAddress LOOPBACK = address("127.0.0.1");
  static final InetAddress V6 = address("2001:db8:0:0:0:0:0:1");
  static final InetAddress MAPPED = address("::ffff:10.1.2.3");
  static final byte[] GET = "GET /users/42 HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(US_ASCII);
  static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(US_ASCII);

  /** A stand-in decoder for a made-up line protocol: "CMD key" answered by "+OK" or "-ERR". */
  static final class LineDecoder implements ProtocolDecoder {
    @Override
    public Protocol protocol() {
      return Protocol.REDIS;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
      return request.length >= 4 && request[0] == 'C' && request[1] == 'M' && request[2] == 'D';
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
      if (request.length < 3 || request[0] == '!') {
        return null;
      }
      if (request[0] == '#') {
        throw new IllegalStateException("a broken decoder");
      }
      if (response.length == 0) {
        return Exchange.requestOnly(Protocol.REDIS, "CMD", "CMD");
      }
      boolean error = response[0] == '-';
      return new Exchange(Protocol.REDIS, "CMD", "CMD", null, error ? "error" : "ok", null, error, null, null, null);
    }
  }

  @TempDir
  Path noProc;

  final RecordStamp stamp = RecordStamp.counting(ListenTrackerTest.NODE, "run-1", 5_000);

  SensorEvents events(Decoders decoders, Path procRoot, HostScan scan) {
    ProcessIdentities ids = new ProcessIdentities(() -> scan,
        new ProcFs(procRoot, Path.of("/"), 100, ParseProblems.ignoring()),
        new CgroupReader(procRoot, Path.of("/sys"), 100, ParseProblems.ignoring()),
        new AppIdentifier(ContainerMetadata.NONE), ParseProblems.ignoring(), 100);
    return new SensorEvents(stamp, "l7", "conn", "life", decoders, ids, () -> scan, 4);
  }

  SensorEvents events() {
    return events(new Decoders(List.of(new LineDecoder())), noProc, null);
  }

  static L7Record l7(long connection, L7Record.Protocol protocol, L7Record.Side side, String method, int status,
      int flags, byte[] request, byte[] response) {
    return new L7Record(T0, 1_000, connection, 4242, 7, protocol, side, method, status, flags,
        LOOPBACK, 40000, LOOPBACK, 8080, 1_500_000, request.length, response.length, request, response);
  }

  @Test
  void shouldMapKernelHttpWhenNoHttpDecoderIsRegistered() {
    SensorEvents events = events();
    L7Event e = events.l7(l7(1, L7Record.Protocol.HTTP, L7Record.Side.CLIENT, "GET", 200, 0, GET, OK));
    assertThat(e.getProtocol()).isEqualTo(Protocol.HTTP);
    assertThat(e.getMethod()).isEqualTo("GET");
    assertThat(e.getResource()).isNull();
    assertThat(e.getStatus()).isEqualTo("200");
    assertThat(e.getStatusCode()).isEqualTo(200);
    assertThat(e.getError()).isFalse();
    assertThat(e.getSide()).isEqualTo(Side.CLIENT);
    assertThat(e.getClientIp()).isEqualTo("127.0.0.1");
    assertThat(e.getClientPort()).isEqualTo(40000);
    assertThat(e.getServerIp()).isEqualTo("127.0.0.1");
    assertThat(e.getServerPort()).isEqualTo(8080);
    assertThat(e.getLatencyNs()).isEqualTo(1_500_000);
    assertThat(e.getRequestBytes()).isEqualTo(GET.length);
    assertThat(e.getResponseBytes()).isEqualTo(OK.length);
    assertThat(e.getTimestamp()).isEqualTo(Instant.ofEpochMilli(T0.toEpochMilli()));
    assertThat(e.getPid()).isEqualTo(4242);
    assertThat(e.getNode()).isEqualTo(ListenTrackerTest.NODE);
    assertThat(e.getAgentRunId()).isEqualTo("run-1");
    assertThat(e.getSeq()).isZero();
    assertThat(e.getTls()).isFalse();
    // Gone before anyone looked (no /proc here): a plain process named by its pid.
    assertThat(e.getInstance().getApp().getKind()).isEqualTo(AppKind.PROCESS);
    assertThat(e.getInstance().getInstanceId()).isEqualTo("pid:4242");

    L7Event server = events.l7(l7(2, L7Record.Protocol.HTTP, L7Record.Side.SERVER, "GET", 503, 0, GET, OK));
    assertThat(server.getSide()).isEqualTo(Side.SERVER);
    assertThat(server.getStatus()).isEqualTo("503");
    assertThat(server.getError()).isTrue();
    assertThat(server.getClientPort()).isEqualTo(8080);  // the peer of a server is the client
    assertThat(server.getServerPort()).isEqualTo(40000);
    assertThat(server.getSeq()).isEqualTo(1);
  }

  @Test
  void shouldGiveAnExecutionTheTextItsConnectionPreparedUntilTheConnectionCloses() {
    SensorEvents events = events(Decoders.all(), noProc, null);
    List<DecoderFixtures.Fixture> seq = DecoderFixtures.sequence("postgres", "statement-lifecycle");
    DecoderFixtures.Fixture parse = seq.get(2);  // Parse S_1 + Bind + Execute
    DecoderFixtures.Fixture bind = seq.get(3);   // Bind S_1 + Execute: no text
    events.l7(l7(7, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, parse.request(), parse.response()));
    L7Event e = events.l7(l7(7, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, bind.request(),
        bind.response()));
    assertThat(e.getMethod()).isEqualTo("SELECT");
    assertThat(e.getResource()).isEqualTo("SELECT name FROM users WHERE id = $1");
    // another connection has statements of its own (pgjdbc names them S_1, S_2 ... on each)
    L7Event other = events.l7(l7(8, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, bind.request(),
        bind.response()));
    assertThat(other.getMethod()).isEqualTo("EXECUTE");
    assertThat(other.getResource()).isNull();
    // a new connection that reuses the id after the CLOSE starts with none
    events.connection(connection(ConnectionRecord.Kind.CLOSE, 7, 4242));
    L7Event reused = events.l7(l7(7, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, bind.request(),
        bind.response()));
    assertThat(reused.getMethod()).isEqualTo("EXECUTE");
    assertThat(reused.getResource()).isNull();
  }

  @Test
  void shouldEmitOneEventPerCommandOfAPipelineWithTheTurnsLatencyAndItsBytesOnTheFirst() {
    SensorEvents events = events(Decoders.all(), noProc, null);
    DecoderFixtures.Fixture f = DecoderFixtures.fixture("redis", "pipeline");
    List<L7Event> out = new java.util.ArrayList<>();
    int n = events.l7(new L7Record(T0, 1_000, 3, 4242, 7, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0,
        LOOPBACK, 40000, LOOPBACK, 6379, 2_000_000, 300, 90, f.request(), f.response()), out::add);
    assertThat(n).isEqualTo(3);
    assertThat(out).extracting(L7Event::getMethod).containsExactly("SET", "INCR", "LPUSH");
    assertThat(out).extracting(L7Event::getStatus).containsExactly("ok", "ok", "error");
    assertThat(out).extracting(L7Event::getLatencyNs).containsOnly(2_000_000L);
    assertThat(out).extracting(L7Event::getRequestBytes).containsExactly(300L, 0L, 0L);
    assertThat(out).extracting(L7Event::getResponseBytes).containsExactly(90L, 0L, 0L);
    assertThat(out).extracting(L7Event::getSeq).containsExactly(0L, 1L, 2L);
    // without a response: every command of the turn timed out
    out.clear();
    events.l7(new L7Record(T0, 1_000, 3, 4242, 7, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0,
        RecordLayout.L7_F_NO_RESPONSE, LOOPBACK, 40000, LOOPBACK, 6379, 2_000_000, 300, 0, f.request(), new byte[0]),
        out::add);
    assertThat(out).extracting(L7Event::getStatus).containsExactly("timeout", "timeout", "timeout");
  }

  @Test
  void shouldReportTimeoutAsErrorWhenNoResponseCame() {
    L7Event e = events().l7(l7(1, L7Record.Protocol.HTTP, L7Record.Side.CLIENT, "POST", 0,
        RecordLayout.L7_F_NO_RESPONSE, GET, new byte[0]));
    assertThat(e.getStatus()).isEqualTo("timeout");
    assertThat(e.getStatusCode()).isNull();
    assertThat(e.getError()).isTrue();
    assertThat(e.getMethod()).isEqualTo("POST");

    L7Event decoded = events().l7(l7(1, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0,
        RecordLayout.L7_F_NO_RESPONSE, "CMD a".getBytes(US_ASCII), "+OK".getBytes(US_ASCII)));
    assertThat(decoded.getProtocol()).isEqualTo(Protocol.REDIS);
    assertThat(decoded.getStatus()).isEqualTo("timeout");
    assertThat(decoded.getError()).isTrue();
    assertThat(decoded.getMethod()).isEqualTo("CMD");
  }

  @Test
  void shouldRememberTheProtocolOfAConnectionUntilItCloses() {
    SensorEvents events = events();
    byte[] cmd = "CMD key".getBytes(US_ASCII);
    byte[] ambiguous = "xyz".getBytes(US_ASCII);
    assertThat(events.l7(l7(9, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, ambiguous,
        "+OK".getBytes(US_ASCII)))).isNull();
    assertThat(events.unrecognised()).isEqualTo(1);

    L7Event first = events.l7(l7(9, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, cmd,
        "-ERR no".getBytes(US_ASCII)));
    assertThat(first.getProtocol()).isEqualTo(Protocol.REDIS);
    assertThat(first.getStatus()).isEqualTo("error");
    assertThat(first.getError()).isTrue();
    L7Event next = events.l7(l7(9, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, ambiguous,
        "+OK".getBytes(US_ASCII)));
    assertThat(next.getProtocol()).isEqualTo(Protocol.REDIS);
    assertThat(next.getStatus()).isEqualTo("ok");
    assertThat(events.rememberedConnections()).isEqualTo(1);

    events.connection(connection(ConnectionRecord.Kind.CLOSE, 9, 4242));
    assertThat(events.rememberedConnections()).isZero();
    assertThat(events.l7(l7(9, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, ambiguous,
        "+OK".getBytes(US_ASCII)))).isNull();
    assertThat(events.unrecognised()).isEqualTo(2);
  }

  @Test
  void shouldForgetTheOldestConnectionsBeyondTheBound() {
    SensorEvents events = events();
    for (long c = 1; c <= 10; c++) {
      events.l7(l7(c, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, "CMD k".getBytes(US_ASCII),
          "+OK".getBytes(US_ASCII)));
    }
    assertThat(events.rememberedConnections()).isEqualTo(4);
  }

  @Test
  void shouldCountDecodeFailuresAndStillReportTheExchange() {
    SensorEvents events = events();
    events.l7(l7(3, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, "CMD x".getBytes(US_ASCII),
        "+OK".getBytes(US_ASCII)));
    L7Event unreadable = events.l7(l7(3, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0,
        "!!!!".getBytes(US_ASCII), "+OK".getBytes(US_ASCII)));
    assertThat(unreadable.getProtocol()).isEqualTo(Protocol.REDIS);
    assertThat(unreadable.getStatus()).isEqualTo("unknown");
    assertThat(unreadable.getMethod()).isNull();
    assertThat(unreadable.getError()).isFalse();
    L7Event thrown = events.l7(l7(3, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0,
        "####".getBytes(US_ASCII), "+OK".getBytes(US_ASCII)));
    assertThat(thrown.getStatus()).isEqualTo("unknown");
    assertThat(events.decodeFailures(Protocol.REDIS)).isEqualTo(2);
    assertThat(events.decodeFailures(Protocol.HTTP)).isZero();
  }

  @Test
  void shouldFallBackToTheKernelsHttpFieldsWhenTheHttpDecoderCannotRead() {
    ProtocolDecoder failingHttp = new ProtocolDecoder() {
      @Override
      public Protocol protocol() {
        return Protocol.HTTP;
      }

      @Override
      public boolean recognizes(byte[] request, int serverPort) {
        return false;
      }

      @Override
      public Exchange decode(byte[] request, byte[] response) {
        return request.length > 10 ? null : Exchange.requestOnly(Protocol.HTTP, null, "/short");
      }
    };
    SensorEvents events = events(new Decoders(List.of(failingHttp)), noProc, null);
    L7Event e = events.l7(l7(1, L7Record.Protocol.HTTP, L7Record.Side.CLIENT, "DELETE", 404, 0, GET, OK));
    assertThat(e.getMethod()).isEqualTo("DELETE");
    assertThat(e.getStatus()).isEqualTo("404");
    assertThat(e.getError()).isFalse();  // 4xx is an answer
    assertThat(events.decodeFailures(Protocol.HTTP)).isEqualTo(1);
    // The decoder read the request but not the status: the kernel's status completes it.
    L7Event partial = events.l7(l7(1, L7Record.Protocol.HTTP, L7Record.Side.CLIENT, "GET", 502, 0,
        "GET /".getBytes(US_ASCII), OK));
    assertThat(partial.getResource()).isEqualTo("/short");
    assertThat(partial.getMethod()).isEqualTo("GET");
    assertThat(partial.getStatus()).isEqualTo("502");
    assertThat(partial.getStatusCode()).isEqualTo(502);
    assertThat(partial.getError()).isTrue();
  }

  @Test
  void shouldKeepBoundaryAndGarbageValuesWithinTheSchema() {
    SensorEvents events = events();
    // Status outside HTTP's range, negative counters, empty payloads, an IPv6 and a mapped address.
    L7Record odd = new L7Record(Instant.EPOCH, 0, 0, 0, -1, L7Record.Protocol.HTTP, L7Record.Side.SERVER, null,
        65535, 0xff & ~RecordLayout.L7_F_NO_RESPONSE, V6, 65535, MAPPED, 0, -5, -1, Long.MIN_VALUE, new byte[0],
        new byte[0]);
    L7Event e = events.l7(odd);
    assertThat(e.getStatus()).isEqualTo("unknown");
    assertThat(e.getStatusCode()).isNull();
    assertThat(e.getMethod()).isNull();
    assertThat(e.getLatencyNs()).isZero();
    assertThat(e.getRequestBytes()).isZero();
    assertThat(e.getResponseBytes()).isZero();
    assertThat(e.getServerIp()).isEqualTo("2001:db8::1");
    assertThat(e.getServerPort()).isEqualTo(65535);
    assertThat(e.getClientIp()).isEqualTo("10.1.2.3");
    assertThat(e.getClientPort()).isZero();
    assertThat(events.rememberedConnections()).isZero();  // connection id 0 is no connection
  }

  @Test
  void shouldCarryTheDecodersDnsOrKafkaDetails() {
    io.peregrine.schema.DnsDetails dns = io.peregrine.schema.DnsDetails.newBuilder().setQuestionName("example.com")
        .setQuestionType("A").setRcode("NOERROR").setAnswerIps(List.of("93.184.216.34")).build();
    io.peregrine.schema.KafkaDetails kafka = io.peregrine.schema.KafkaDetails.newBuilder().setApiKey(0)
        .setApiVersion(9).setClientId("producer-1").build();
    ProtocolDecoder detailed = new ProtocolDecoder() {
      @Override
      public Protocol protocol() {
        return Protocol.DNS;
      }

      @Override
      public boolean recognizes(byte[] request, int serverPort) {
        return request.length > 0 && (request[0] == 'D' || request[0] == 'K');
      }

      @Override
      public Exchange decode(byte[] request, byte[] response) {
        return request[0] == 'D'
            ? new Exchange(Protocol.DNS, "QUERY", "example.com", null, "NOERROR", null, false, null, dns, null)
            : new Exchange(Protocol.KAFKA, "Produce", "t", null, "ok", null, false, null, null, kafka);
      }
    };
    SensorEvents events = events(new Decoders(List.of(detailed)), noProc, null);
    L7Event d = events.l7(l7(1, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, "D?".getBytes(US_ASCII),
        "R".getBytes(US_ASCII)));
    assertThat(d.getDns()).isEqualTo(dns);
    assertThat(d.getKafka()).isNull();
    assertThat(d.getActualServerIp()).isNull();
    assertThat(d.getActualServerPort()).isNull();
    L7Event k = events.l7(l7(2, L7Record.Protocol.UNKNOWN, L7Record.Side.CLIENT, null, 0, 0, "K?".getBytes(US_ASCII),
        "R".getBytes(US_ASCII)));
    assertThat(k.getKafka()).isEqualTo(kafka);
    assertThat(k.getDns()).isNull();
    L7Event plain = events().l7(l7(3, L7Record.Protocol.HTTP, L7Record.Side.CLIENT, "GET", 200, 0, GET, OK));
    assertThat(plain.getDns()).isNull();
    assertThat(plain.getKafka()).isNull();
  }

  @Test
  void shouldNameEveryAddressRightAmongManyThatShareTheRecentAddressesTable() throws Exception {
    SensorEvents events = events();
    java.util.Random random = new java.util.Random(5);
    List<InetAddress> addresses = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      byte[] v4 = new byte[4];
      random.nextBytes(v4);
      addresses.add(InetAddress.getByAddress(v4));
      byte[] v6 = new byte[16];
      System.arraycopy(v4, 0, v6, 12, 4);  // an IPv6 address whose last bytes are an IPv4 one's
      v6[0] = 0x20;
      addresses.add(InetAddress.getByAddress(v6));
    }
    addresses.add(LOOPBACK);
    addresses.add(V6);
    addresses.add(MAPPED);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < addresses.size(); i++) {
        InetAddress client = addresses.get(i);
        InetAddress server = addresses.get(random.nextInt(addresses.size()));
        // Fresh instances, as the sensor's thread makes them per record.
        InetAddress c = InetAddress.getByAddress(client.getAddress());
        InetAddress s = InetAddress.getByAddress(server.getAddress());
        L7Event e = events.l7(new L7Record(T0, 1_000, 0, 4242, 7, L7Record.Protocol.HTTP, L7Record.Side.SERVER,
            "GET", 200, 0, s, 80, c, 40000, 1_000, 1, 1, new byte[0], new byte[0]));
        assertThat(e.getClientIp()).isEqualTo(SensorEvents.ip(client).toString());
        assertThat(e.getServerIp()).isEqualTo(SensorEvents.ip(server).toString());
      }
    }
  }

  @Test
  void shouldNeverThrowOnRandomPayloads() {
    SensorEvents events = events();
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      byte[] req = new byte[random.nextInt(40)];
      byte[] resp = new byte[random.nextInt(40)];
      random.nextBytes(req);
      random.nextBytes(resp);
      if (random.nextBoolean() && req.length > 3) {
        req[0] = 'C';
        req[1] = 'M';
        req[2] = 'D';
      }
      L7Record r = l7(random.nextInt(8), random.nextBoolean() ? L7Record.Protocol.HTTP : L7Record.Protocol.UNKNOWN,
          random.nextBoolean() ? L7Record.Side.CLIENT : L7Record.Side.SERVER, null, random.nextInt(1 << 16),
          random.nextInt(16), req, resp);
      assertThatCode(() -> events.l7(r)).doesNotThrowAnyException();
    }
  }

  static ConnectionRecord connection(ConnectionRecord.Kind kind, long id, int pid) {
    return new ConnectionRecord(kind, T0, 0, id, pid, 5, ConnectionRecord.Direction.OUTBOUND, 1, LOOPBACK, 40000,
        LOOPBACK, 8080, 100, 200, 0, 0, 0, 0, false);
  }

  @Test
  void shouldMapConnectionRecords() {
    SensorEvents events = events();
    ConnectionEvent open = events.connection(new ConnectionRecord(ConnectionRecord.Kind.OPEN, T0, 0, 5, 4242, 9,
        ConnectionRecord.Direction.OUTBOUND, 1, LOOPBACK, 40000, LOOPBACK, 8080, 0, 0, 123_456, 0, 87, 0, false));
    assertThat(open.getKind()).isEqualTo(ConnectionEventKind.OPEN);
    assertThat(open.getSource()).isEqualTo(Collector.EBPF);
    assertThat(open.getDirection()).isEqualTo(ConnectionDirection.OUTBOUND);
    assertThat(open.getFd()).isEqualTo(9);
    assertThat(open.getFamily()).isEqualTo(IpFamily.IPV4);
    assertThat(open.getLocalIp()).isEqualTo("127.0.0.1");
    assertThat(open.getLocalPort()).isEqualTo(40000);
    assertThat(open.getRemotePort()).isEqualTo(8080);
    assertThat(open.getConnectDurationNs()).isEqualTo(123_456);
    assertThat(open.getRttUs()).isEqualTo(87);
    assertThat(open.getBytesSent()).isZero();
    assertThat(open.getFailureReason()).isNull();
    assertThat(open.getActiveConnections()).isNull();
    assertThat(open.getSeq()).isZero();

    ConnectionEvent accepted = events.connection(new ConnectionRecord(ConnectionRecord.Kind.OPEN, T0, 0, 6, 4242, 10,
        ConnectionRecord.Direction.INBOUND, 1, V6, 8080, V6, 50000, 0, 0, 999, 0, 0, 0, false));
    assertThat(accepted.getDirection()).isEqualTo(ConnectionDirection.INBOUND);
    assertThat(accepted.getConnectDurationNs()).isNull();  // only for outbound
    assertThat(accepted.getRttUs()).isNull();  // 0 is unknown
    assertThat(accepted.getFamily()).isEqualTo(IpFamily.IPV6);

    ConnectionEvent close = events.connection(new ConnectionRecord(ConnectionRecord.Kind.CLOSE, T0, 0, 5, 4242, 9,
        ConnectionRecord.Direction.OUTBOUND, 7, LOOPBACK, 40000, LOOPBACK, 8080, 1_000, 2_000, 0, 3, 90, 0, false));
    assertThat(close.getBytesSent()).isEqualTo(1_000);
    assertThat(close.getBytesReceived()).isEqualTo(2_000);
    assertThat(close.getRetransmits()).isEqualTo(3);
    assertThat(close.getConnectDurationNs()).isNull();

    ConnectionEvent failed = events.connection(new ConnectionRecord(ConnectionRecord.Kind.FAILED_CONNECT, T0, 0, 0,
        4242, -1, ConnectionRecord.Direction.UNKNOWN, 7, LOOPBACK, 0, LOOPBACK, 1, 0, 0, 5_000, 0, 0, 111, false));
    assertThat(failed.getKind()).isEqualTo(ConnectionEventKind.FAILED_CONNECT);
    assertThat(failed.getDirection()).isEqualTo(ConnectionDirection.OUTBOUND);
    assertThat(failed.getFailureReason()).isEqualTo("ECONNREFUSED");
    assertThat(failed.getFd()).isNull();
    assertThat(failed.getConnectDurationNs()).isEqualTo(5_000);

    ConnectionEvent retransmit = events.connection(new ConnectionRecord(ConnectionRecord.Kind.RETRANSMIT, T0, 0, 5,
        4242, 9, ConnectionRecord.Direction.OUTBOUND, 1, LOOPBACK, 40000, LOOPBACK, 8080, 0, 0, 0, 17, 0, 0, false));
    assertThat(retransmit.getRetransmits()).isEqualTo(1);
    assertThat(List.of(open, accepted, close, failed, retransmit)).extracting(ConnectionEvent::getSeq)
        .containsExactly(0L, 1L, 2L, 3L, 4L);
  }

  @Test
  void shouldLeaveAdoptedConnectionsToProcfs() {
    SensorEvents events = events();
    // Established before the sensor started: ConnectionTracker reports its OPEN (found on the first
    // scan, not counted as opened) and its CLOSE; the sensor's records would report it twice.
    ConnectionRecord adopted = new ConnectionRecord(ConnectionRecord.Kind.ADOPTED, T0, 0, 5, 4242, 9,
        ConnectionRecord.Direction.OUTBOUND, 1, LOOPBACK, 40000, LOOPBACK, 8080, 0, 0, 0, 0, 50, 0, true);
    ConnectionRecord close = new ConnectionRecord(ConnectionRecord.Kind.CLOSE, T0, 0, 5, 4242, 9,
        ConnectionRecord.Direction.OUTBOUND, 7, LOOPBACK, 40000, LOOPBACK, 8080, 10, 20, 0, 0, 50, 0, true);
    ConnectionRecord retransmit = new ConnectionRecord(ConnectionRecord.Kind.RETRANSMIT, T0, 0, 5, 4242, 9,
        ConnectionRecord.Direction.OUTBOUND, 1, LOOPBACK, 40000, LOOPBACK, 8080, 0, 0, 0, 1, 0, 0, false);
    assertThat(events.connection(adopted)).isNull();
    assertThat(events.connection(retransmit).getKind()).isEqualTo(ConnectionEventKind.RETRANSMIT);
    assertThat(events.connection(close)).isNull();
    assertThat(events.unowned()).isZero();
  }

  @Test
  void shouldFindTheOwnerOfAnUntrackedRetransmitInTheLatestScanOrDropIt(@TempDir Path root) {
    ConnectionRecord untracked = new ConnectionRecord(ConnectionRecord.Kind.RETRANSMIT, T0, 0, 0, 0, -1,
        ConnectionRecord.Direction.UNKNOWN, 1, address("10.0.0.5"), 44000, address("10.0.0.7"), 5432, 0, 0, 0, 1,
        0, 0, false);
    SensorEvents none = events();
    assertThat(none.connection(untracked)).isNull();
    assertThat(none.unowned()).isEqualTo(1);

    FixtureTree tree = HostScannerTest.typicalHost(root);
    ScanProblems problems = new ScanProblems(new io.peregrine.agent.procfs.ProblemCounters(), null);
    HostScan scan = HostScannerTest.scanner(tree, problems).scan(1_000);
    SensorEvents events = events(Decoders.all(), tree.proc, scan);
    ConnectionEvent e = events.connection(untracked);
    assertThat(e).isNotNull();
    assertThat(e.getPid()).isEqualTo(300);
    assertThat(e.getInstance()).isEqualTo(AvroMapping.instance(scan.process(300).identity()));
    assertThat(e.getDirection()).isEqualTo(ConnectionDirection.UNKNOWN);
    assertThat(e.getRetransmits()).isEqualTo(1);
  }

  @Test
  void shouldMapProcessRecordsWithExactExitStatus() {
    SensorEvents events = events();
    ProcessEvent exec = events.process(new ProcessRecord(ProcessRecord.Kind.EXEC, T0, 0, 31337, 1, T0.minusSeconds(1),
        "worker", "/usr/bin/worker", 0));
    assertThat(exec.getKind()).isEqualTo(ProcessEventKind.EXEC);
    assertThat(exec.getSource()).isEqualTo(Collector.EBPF);
    assertThat(exec.getPid()).isEqualTo(31337);
    assertThat(exec.getPpid()).isEqualTo(1);
    assertThat(exec.getComm()).isEqualTo("worker");
    assertThat(exec.getExe()).isEqualTo("/usr/bin/worker");  // gone already: the path it was executed by
    assertThat(exec.getProcessStartedAt()).isEqualTo(Instant.ofEpochMilli(T0.minusSeconds(1).toEpochMilli()));
    assertThat(exec.getInstance().getApp().getId()).isEqualTo("process/worker");
    assertThat(exec.getCgroupPath()).isEqualTo("/");
    assertThat(exec.getExitCode()).isNull();
    assertThat(exec.getSignal()).isNull();

    ProcessEvent exit = events.process(new ProcessRecord(ProcessRecord.Kind.EXIT, T0, 0, 31337, 1, T0, "worker",
        null, 3 << 8));
    assertThat(exit.getExitCode()).isEqualTo(3);
    assertThat(exit.getSignal()).isNull();
    assertThat(exit.getInstance()).isEqualTo(exec.getInstance());
    ProcessEvent killed = events.process(new ProcessRecord(ProcessRecord.Kind.EXIT, T0, 0, 31338, 0, null, "",
        null, 15));
    assertThat(killed.getExitCode()).isNull();
    assertThat(killed.getSignal()).isEqualTo(15);
    assertThat(killed.getPpid()).isNull();
    assertThat(killed.getProcessStartedAt()).isNull();
    assertThat(killed.getInstance().getApp().getId()).isEqualTo("process/pid-31338");
    ProcessEvent oom = events.process(new ProcessRecord(ProcessRecord.Kind.OOM_KILL, T0, 0, 31339, 0, null, "hog",
        null, 9));
    assertThat(oom.getKind()).isEqualTo(ProcessEventKind.OOM_KILL);
    assertThat(oom.getSignal()).isEqualTo(9);
    assertThat(List.of(exec, exit, killed, oom)).extracting(ProcessEvent::getSeq).containsExactly(0L, 1L, 2L, 3L);
  }

  @Test
  void shouldIdentifyALiveProcessAsTheProcfsScanDoes() {
    int pid = (int) ProcessHandle.current().pid();
    SensorEvents events = events(Decoders.all(), Path.of("/proc"), null);
    ProcessEvent exec = events.process(new ProcessRecord(ProcessRecord.Kind.EXEC, T0, 0, pid, 1, T0, "java",
        "/usr/bin/java", 0));
    assertThat(exec.getExe()).isEqualTo(ProcessHandle.current().info().command().orElseThrow());
    assertThat(exec.getCmdline()).contains("java");
    ProcFs procFs = ProcFs.host(ParseProblems.ignoring());
    assertThat(exec.getInstance()).isEqualTo(AvroMapping.instance(new AppIdentifier(ContainerMetadata.NONE).identify(
        CgroupReader.host(ParseProblems.ignoring()).processCgroups(pid).orElseThrow(),
        procFs.pidStat(pid).orElseThrow().pgrp(), procFs.exe(pid).orElseThrow(), ParseProblems.ignoring())));
  }

  static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  // -------------------------------------------------------------------------------------- HTTP/2

  static Http2Chunk chunk(long seq, boolean write, byte[] bytes, long mono) {
    // the observer is the server: it reads requests and writes responses
    return new Http2Chunk(T0.plusNanos(mono - 1_000), mono, mono + 50, 99, 4242, 8, seq, L7Record.Side.SERVER, write,
        RecordLayout.L7_F_TLS, LOOPBACK, 8443, address("10.0.0.9"), 51000, bytes.length, bytes);
  }

  @Test
  void shouldMapEachHttp2StreamToAnEventAndCloseTheRest() {
    SensorEvents events = events(Decoders.all(), noProc, null);
    byte[] req1 = concat(preface(), frame(HEADERS, END_HEADERS | END_STREAM, 1,
        block(indexed(3), literalIndexing(1, "api.example:443"), literalIndexing(31, "application/grpc"),
            literalIndexing(4, "/shop.Cart/Add"))));
    assertThat(events.http2(chunk(0, false, req1, 1_000))).isEmpty();
    byte[] req3 = frame(HEADERS, END_HEADERS | END_STREAM, 3, block(indexed(3), indexed(64), indexed(63),
        literalIndexing(4, "/shop.Cart/Remove")));
    assertThat(events.http2(chunk(1, false, req3, 2_000))).isEmpty();
    byte[] resp1 = concat(frame(HEADERS, END_HEADERS, 1, block(indexed(8), literalIndexing(31, "application/grpc"))),
        frame(DATA, 0, 1, new byte[10]), frame(HEADERS, END_HEADERS | END_STREAM, 1, block(literalNew("grpc-status", "14"))));
    List<L7Event> out = events.http2(chunk(2, true, resp1, 1_001_000));
    assertThat(out).singleElement().satisfies(e -> {
      assertThat(e.getProtocol()).isEqualTo(Protocol.GRPC);
      assertThat(e.getSide()).isEqualTo(Side.SERVER);
      assertThat(e.getMethod()).isEqualTo("POST");
      assertThat(e.getResource()).isEqualTo("/shop.Cart/Add");
      assertThat(e.getServerName()).isEqualTo("api.example");
      assertThat(e.getStatus()).isEqualTo("grpc:UNAVAILABLE");
      assertThat(e.getStatusCode()).isEqualTo(14);
      assertThat(e.getError()).isTrue();
      assertThat(e.getLatencyNs()).isEqualTo(1_001_050 - 1_000);
      assertThat(e.getTimestamp()).isEqualTo(Instant.ofEpochMilli(T0.toEpochMilli()));
      assertThat(e.getTls()).isTrue();
      assertThat(e.getPid()).isEqualTo(4242);
      assertThat(e.getServerIp()).isEqualTo("127.0.0.1");
      assertThat(e.getServerPort()).isEqualTo(8443);
      assertThat(e.getClientIp()).isEqualTo("10.0.0.9");
      assertThat(e.getClientPort()).isEqualTo(51000);
      assertThat(e.getRequestBytes()).isEqualTo(req1.length - preface().length);
      assertThat(e.getResponseBytes()).isEqualTo(resp1.length);
    });
    assertThat(events.http2Connections()).isEqualTo(1);
    // stream 3 never got its response: the close reports it as a timeout, and forgets the connection
    List<L7Event> closed = events.http2Closed(new ConnectionRecord(ConnectionRecord.Kind.CLOSE, T0, 5_000_000, 99, 4242,
        8, ConnectionRecord.Direction.INBOUND, 7, LOOPBACK, 8443, address("10.0.0.9"), 51000, 0, 0, 0, 0, 0, 0, false));
    assertThat(closed).singleElement().satisfies(e -> {
      assertThat(e.getResource()).isEqualTo("/shop.Cart/Remove");
      assertThat(e.getStatus()).isEqualTo(SensorEvents.TIMEOUT);
      assertThat(e.getError()).isTrue();
      assertThat(e.getLatencyNs()).isEqualTo(5_000_000 - 2_000);
    });
    assertThat(events.http2Connections()).isZero();
    assertThat(events.http2Stats().streams()).isEqualTo(2);
  }
}
