package io.peregrine.agent.ebpf;

import static io.peregrine.agent.ebpf.RecordLayout.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.agent.ebpf.MalformedRecordException.Reason;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RecordReaderTest {

  private static final KernelClock CLOCK = new KernelClock(1_000, 1_700_000_000_000_000_000L);

  private static SensorRecord read(ByteBuffer b) throws MalformedRecordException {
    return RecordReader.read(b, 0, b.capacity(), CLOCK);
  }

  @Test
  void shouldReadAConnectionRecordWithWallClockTime() throws Exception {
    ByteBuffer b = Records.connection(CONN_FAILED, DIR_OUTBOUND, 321, 7, 2_000);
    b.putInt(CONN_ERROR, 111);
    b.putLong(CONN_CONNECT_NS, 55_000);

    ConnectionRecord r = (ConnectionRecord) read(b);

    assertThat(r.kind()).isEqualTo(ConnectionRecord.Kind.FAILED_CONNECT);
    assertThat(r.direction()).isEqualTo(ConnectionRecord.Direction.OUTBOUND);
    assertThat(r.timestamp()).isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 1_000));
    assertThat(r.pid()).isEqualTo(321);
    assertThat(r.fd()).isEqualTo(7);
    assertThat(r.localAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
    assertThat(r.localPort()).isEqualTo(40000);
    assertThat(r.remotePort()).isEqualTo(8080);
    assertThat(r.failureReason()).contains("ECONNREFUSED");
    assertThat(r.connectDuration()).hasValueSatisfying(d -> assertThat(d.toNanos()).isEqualTo(55_000));
  }

  @Test
  void shouldReadAnAdoptedConnectionAndTheAdoptedFlagOfItsClose() throws Exception {
    ByteBuffer adopted = Records.connection(CONN_ADOPTED, DIR_INBOUND, 9, 4, 0);
    adopted.put(CONN_FLAGS, (byte) CONN_F_ADOPTED);
    ByteBuffer close = Records.connection(CONN_CLOSE, DIR_INBOUND, 9, 4, 0);
    close.put(CONN_FLAGS, (byte) CONN_F_ADOPTED);
    ByteBuffer plainClose = Records.connection(CONN_CLOSE, DIR_INBOUND, 9, 4, 0);
    plainClose.put(CONN_FLAGS, (byte) 0xfe); // flags this reader does not know are no adoption

    ConnectionRecord a = (ConnectionRecord) read(adopted);
    assertThat(a.kind()).isEqualTo(ConnectionRecord.Kind.ADOPTED);
    assertThat(a.adopted()).isTrue();
    assertThat(a.connectDuration()).isEmpty();
    assertThat(((ConnectionRecord) read(close)).adopted()).isTrue();
    assertThat(((ConnectionRecord) read(plainClose)).adopted()).isFalse();
  }

  @Test
  void shouldReportIpv4MappedIpv6AddressesAsIpv4() throws Exception {
    ByteBuffer b = Records.connection(CONN_OPEN, DIR_INBOUND, 1, 3, 0);
    byte[] mapped = InetAddress.getByName("::ffff:10.1.2.3").getAddress(); // Java gives 4 bytes back
    byte[] v6 = new byte[16];
    v6[10] = (byte) 0xff;
    v6[11] = (byte) 0xff;
    System.arraycopy(mapped, 0, v6, 12, 4);
    b.put(CONN_ADDR + ADDR_LOCAL, v6);
    b.put(CONN_ADDR + ADDR_REMOTE, InetAddress.getByName("2001:db8::1").getAddress());
    b.putShort(CONN_ADDR + ADDR_FAMILY, (short) 10);

    ConnectionRecord r = (ConnectionRecord) read(b);

    assertThat(r.localAddress()).isEqualTo(InetAddress.getByName("10.1.2.3"));
    assertThat(r.ipv4()).isTrue();
    assertThat(r.remoteAddress()).isEqualTo(InetAddress.getByName("2001:db8::1"));
  }

  @Test
  void shouldReadAnL7RecordWithItsPayloads() throws Exception {
    byte[] req = "GET /users/17 HTTP/1.1\r\n".getBytes(US_ASCII);
    byte[] resp = "HTTP/1.1 503 Service Unavailable\r\n".getBytes(US_ASCII);

    L7Record r = (L7Record) read(Records.l7(req, resp, 503, 5_000));

    assertThat(r.protocol()).isEqualTo(L7Record.Protocol.HTTP);
    assertThat(r.side()).isEqualTo(L7Record.Side.CLIENT);
    assertThat(r.method()).isEqualTo("GET");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.request()).isEqualTo(req);
    assertThat(r.response()).isEqualTo(resp);
    assertThat(r.latency().toNanos()).isEqualTo(1_500_000);
    assertThat(r.clientPort()).isEqualTo(40000);
    assertThat(r.serverPort()).isEqualTo(8080);
    assertThat(r.noResponse()).isFalse();
    assertThat(r).isEqualTo(read(Records.l7(req, resp, 503, 5_000))); // whole-value equality
  }

  @Test
  void shouldReadAnHttp2ChunkWithItsPayload() throws Exception {
    byte[] payload = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(US_ASCII);

    Http2Chunk c = (Http2Chunk) read(Records.http2(payload, 70_000, 0xfffffffeL, false, 6_000));

    assertThat(c.payload()).isEqualTo(payload);
    assertThat(c.total()).isEqualTo(70_000);
    assertThat(c.seq()).isEqualTo(0xfffffffeL); // unsigned
    assertThat(c.side()).isEqualTo(L7Record.Side.SERVER);
    assertThat(c.write()).isFalse();
    assertThat(c.fromClient()).isTrue(); // the server read it
    assertThat(c.tls()).isTrue();
    assertThat(c.time()).isEqualTo(CLOCK.toInstant(6_000));
    assertThat(c.monotonicNanos()).isEqualTo(6_000);
    assertThat(c.endMonotonicNanos()).isEqualTo(6_900);
    assertThat(c.connectionId()).isEqualTo(78);
    assertThat(c.localPort()).isEqualTo(8443);
    assertThat(c.remotePort()).isEqualTo(51000);
    assertThat(((Http2Chunk) read(Records.http2(new byte[H2_MAX_CAPTURE], H2_MAX_CAPTURE, 1, true, 1)))
        .payload()).hasSize(H2_MAX_CAPTURE);
  }

  @Test
  void shouldReadExitStatusAndSignal() throws Exception {
    ByteBuffer exited = Records.record(REC_PROC, PROC_SIZE, 10);
    exited.put(PROC_KIND, (byte) PROC_EXIT);
    exited.putInt(PROC_EXIT_CODE, 3 << 8);
    exited.put(PROC_COMM, "sh".getBytes(US_ASCII));
    ByteBuffer killed = Records.record(REC_PROC, PROC_SIZE, 10);
    killed.put(PROC_KIND, (byte) PROC_EXIT);
    killed.putInt(PROC_EXIT_CODE, 15);

    ProcessRecord e = (ProcessRecord) read(exited);
    ProcessRecord k = (ProcessRecord) read(killed);

    assertThat(e.exitCode()).hasValue(3);
    assertThat(e.signal()).isEmpty();
    assertThat(e.comm()).isEqualTo("sh");
    assertThat(e.filename()).isNull();
    assertThat(e.startedAt()).isNull();
    assertThat(k.exitCode()).isEmpty();
    assertThat(k.signal()).hasValue(15);
  }

  @Test
  void shouldReadExecFilenameOfItsDeclaredLength() throws Exception {
    ByteBuffer b = Records.record(REC_PROC, PROC_SIZE, 10);
    b.put(PROC_KIND, (byte) PROC_EXEC);
    b.putInt(PROC_PID, 50);
    b.putInt(PROC_PPID, 49);
    b.putLong(PROC_START_NS, 500);
    b.put(PROC_FILENAME, "/bin/true\0garbage".getBytes(US_ASCII));
    b.putShort(PROC_FILENAME_LEN, (short) 9);

    ProcessRecord r = (ProcessRecord) read(b);

    assertThat(r.filename()).isEqualTo("/bin/true");
    assertThat(r.ppid()).isEqualTo(49);
    assertThat(r.startedAt()).isEqualTo(CLOCK.toInstant(500));
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        bad("bad magic", Reason.BAD_MAGIC, Records.connection(CONN_OPEN, 1, 1, 1, 0),
            b -> b.putShort(HDR_MAGIC, (short) 0x1234)),
        bad("future version", Reason.UNSUPPORTED_VERSION, Records.connection(CONN_OPEN, 1, 1, 1, 0),
            b -> b.put(HDR_VERSION, (byte) 2)),
        bad("size disagrees", Reason.SIZE_MISMATCH, Records.connection(CONN_OPEN, 1, 1, 1, 0),
            b -> b.putInt(HDR_RECORD_SIZE, 111)),
        bad("unknown type", Reason.UNKNOWN_TYPE, Records.record(42, 16, 0), b -> {}),
        bad("connection kind", Reason.BAD_VALUE, Records.connection(9, 1, 1, 1, 0), b -> {}),
        bad("connection kind after the known ones", Reason.BAD_VALUE, Records.connection(CONN_ADOPTED + 1, 1, 1, 1, 0),
            b -> {}),
        bad("address family", Reason.BAD_VALUE, Records.connection(CONN_OPEN, 1, 1, 1, 0),
            b -> b.putShort(CONN_ADDR + ADDR_FAMILY, (short) 1)),
        bad("short connection", Reason.TOO_SHORT, Records.record(REC_CONN, 100, 0), b -> {}),
        bad("L7 payload beyond the record", Reason.TOO_SHORT, Records.l7(new byte[10], new byte[0], 200, 0),
            b -> b.putShort(L7_RESP_LEN, (short) 5)),
        bad("L7 payload over the capture", Reason.BAD_VALUE, Records.l7(new byte[10], new byte[0], 200, 0),
            b -> b.putShort(L7_REQ_LEN, (short) 2000)),
        bad("L7 side", Reason.BAD_VALUE, Records.l7(new byte[0], new byte[0], 200, 0), b -> b.put(L7_SIDE, (byte) 0)),
        bad("L7 protocol", Reason.BAD_VALUE, Records.l7(new byte[0], new byte[0], 200, 0),
            b -> b.put(L7_PROTOCOL, (byte) 77)),
        bad("HTTP method", Reason.BAD_VALUE, Records.l7(new byte[0], new byte[0], 200, 0),
            b -> b.put(L7_METHOD, (byte) 10)),
        bad("HTTP/2 payload beyond the record", Reason.TOO_SHORT, Records.http2(new byte[10], 10, 0, true, 0),
            b -> b.putShort(H2_LEN, (short) 11)),
        bad("HTTP/2 payload over the capture", Reason.BAD_VALUE, Records.http2(new byte[10], 10, 0, true, 0),
            b -> b.putShort(H2_LEN, (short) (H2_MAX_CAPTURE + 1))),
        bad("HTTP/2 call shorter than its capture", Reason.BAD_VALUE, Records.http2(new byte[10], 10, 0, true, 0),
            b -> b.putLong(H2_TOTAL, 9)),
        bad("HTTP/2 side", Reason.BAD_VALUE, Records.http2(new byte[0], 0, 0, true, 0), b -> b.put(H2_SIDE, (byte) 3)),
        bad("short HTTP/2 chunk", Reason.TOO_SHORT, Records.record(REC_H2, 100, 0), b -> {}),
        bad("filename length", Reason.BAD_VALUE, Records.record(REC_PROC, PROC_SIZE, 0), b -> {
          b.put(PROC_KIND, (byte) PROC_EXEC);
          b.putShort(PROC_FILENAME_LEN, (short) 256);
        }),
        bad("counter count", Reason.BAD_VALUE, Records.record(REC_STATS, STATS_SIZE, 0),
            b -> b.putInt(STATS_NCOUNTERS, 15)),
        bad("header only", Reason.TOO_SHORT, Records.record(REC_HELLO, 16, 0), b -> {}));
  }

  private static Arguments bad(String name, Reason reason, ByteBuffer record, Consumer<ByteBuffer> damage) {
    damage.accept(record);
    return Arguments.of(name, reason, record);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void shouldRejectMalformedRecordsWithTheirReason(String name, Reason reason, ByteBuffer record) {
    assertThatThrownBy(() -> read(record))
        .isInstanceOfSatisfying(MalformedRecordException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}
