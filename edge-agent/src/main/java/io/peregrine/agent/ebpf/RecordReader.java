package io.peregrine.agent.ebpf;

import static io.peregrine.agent.ebpf.RecordLayout.*;

import io.peregrine.agent.ebpf.MalformedRecordException.Reason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads one record (the bytes of one frame, after its length prefix) into its Java type. A pure
 * function over bytes: absolute reads at {@code off}, nothing retained, no exception but
 * {@link MalformedRecordException} for any input.
 */
public final class RecordReader {

  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;
  private static final String[] HTTP_METHODS = {
    null, "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "CONNECT", "TRACE"
  };
  private static final byte[] EMPTY = new byte[0];

  private RecordReader() {}

  /**
   * @param buf little-endian buffer holding the record at [off, off + len)
   * @param clock maps the kernel's monotonic timestamps to wall-clock time
   */
  public static SensorRecord read(ByteBuffer buf, int off, int len, KernelClock clock)
      throws MalformedRecordException {
    if (buf.order() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalArgumentException("buffer must be little-endian");
    }
    if (off < 0 || len < 0 || off > buf.limit() - len) {
      throw new IllegalArgumentException("record [" + off + ", +" + len + ") outside the buffer");
    }
    if (len < HDR_SIZE) {
      throw new MalformedRecordException(Reason.TOO_SHORT, "record of " + len + " bytes");
    }
    int magic = u16(buf, off + HDR_MAGIC);
    if (magic != MAGIC) {
      throw new MalformedRecordException(Reason.BAD_MAGIC, String.format("0x%04x", magic));
    }
    int version = u8(buf, off + HDR_VERSION);
    if (version != VERSION) {
      throw new MalformedRecordException(Reason.UNSUPPORTED_VERSION, "version " + version);
    }
    long size = u32(buf, off + HDR_RECORD_SIZE);
    if (size != len) {
      throw new MalformedRecordException(Reason.SIZE_MISMATCH, "header says " + size + ", frame has " + len);
    }
    int type = u8(buf, off + HDR_TYPE);
    switch (type) {
      case REC_CONN:
        return connection(buf, off, len, clock);
      case REC_L7:
        return l7(buf, off, len, clock);
      case REC_PROC:
        return process(buf, off, len, clock);
      case REC_H2:
        return http2(buf, off, len, clock);
      case REC_HELLO:
        return hello(buf, off, len);
      case REC_STATS:
        return stats(buf, off, len, clock);
      default:
        throw new MalformedRecordException(Reason.UNKNOWN_TYPE, "type " + type);
    }
  }

  static ConnectionRecord connection(ByteBuffer b, int off, int len, KernelClock clock)
      throws MalformedRecordException {
    need(len, CONN_SIZE, "connection");
    long ts = b.getLong(off + HDR_TS_NS);
    int kindCode = u8(b, off + CONN_KIND);
    ConnectionRecord.Kind kind = switch (kindCode) {
      case CONN_OPEN -> ConnectionRecord.Kind.OPEN;
      case CONN_CLOSE -> ConnectionRecord.Kind.CLOSE;
      case CONN_FAILED -> ConnectionRecord.Kind.FAILED_CONNECT;
      case CONN_RETRANSMIT -> ConnectionRecord.Kind.RETRANSMIT;
      case CONN_ADOPTED -> ConnectionRecord.Kind.ADOPTED;
      default -> throw new MalformedRecordException(Reason.BAD_VALUE, "connection kind " + kindCode);
    };
    int a = off + CONN_ADDR;
    int family = u16(b, a + ADDR_FAMILY);
    return new ConnectionRecord(
        kind,
        clock.toInstant(ts),
        ts,
        b.getLong(off + CONN_CONN_ID),
        b.getInt(off + CONN_PID),
        b.getInt(off + CONN_FD),
        direction(u8(b, off + CONN_DIRECTION)),
        u8(b, off + CONN_TCP_STATE),
        address(b, a + ADDR_LOCAL, family),
        u16(b, a + ADDR_LOCAL_PORT),
        address(b, a + ADDR_REMOTE, family),
        u16(b, a + ADDR_REMOTE_PORT),
        b.getLong(off + CONN_BYTES_SENT),
        b.getLong(off + CONN_BYTES_RECEIVED),
        b.getLong(off + CONN_CONNECT_NS),
        u32(b, off + CONN_RETRANSMITS),
        u32(b, off + CONN_SRTT_US),
        b.getInt(off + CONN_ERROR),
        (u8(b, off + CONN_FLAGS) & CONN_F_ADOPTED) != 0);
  }

  static L7Record l7(ByteBuffer b, int off, int len, KernelClock clock) throws MalformedRecordException {
    need(len, L7_SIZE, "L7");
    int reqLen = u16(b, off + L7_REQ_LEN);
    int respLen = u16(b, off + L7_RESP_LEN);
    if (reqLen > MAX_CAPTURE || respLen > MAX_CAPTURE) {
      throw new MalformedRecordException(Reason.BAD_VALUE, "payload lengths " + reqLen + "/" + respLen);
    }
    if (L7_SIZE + reqLen + respLen != len) {
      throw new MalformedRecordException(Reason.TOO_SHORT,
          "L7 record of " + len + " bytes with payloads " + reqLen + "+" + respLen);
    }
    int protocolCode = u8(b, off + L7_PROTOCOL);
    L7Record.Protocol protocol = switch (protocolCode) {
      case PROTO_HTTP -> L7Record.Protocol.HTTP;
      case PROTO_UNKNOWN -> L7Record.Protocol.UNKNOWN;
      default -> throw new MalformedRecordException(Reason.BAD_VALUE, "protocol " + protocolCode);
    };
    int sideCode = u8(b, off + L7_SIDE);
    L7Record.Side side = switch (sideCode) {
      case SIDE_CLIENT -> L7Record.Side.CLIENT;
      case SIDE_SERVER -> L7Record.Side.SERVER;
      default -> throw new MalformedRecordException(Reason.BAD_VALUE, "side " + sideCode);
    };
    int methodCode = u8(b, off + L7_METHOD);
    if (methodCode >= HTTP_METHODS.length) {
      throw new MalformedRecordException(Reason.BAD_VALUE, "HTTP method " + methodCode);
    }
    int a = off + L7_ADDR;
    int family = u16(b, a + ADDR_FAMILY);
    long ts = b.getLong(off + HDR_TS_NS);
    return new L7Record(
        clock.toInstant(ts),
        ts,
        b.getLong(off + L7_CONN_ID),
        b.getInt(off + L7_PID),
        b.getInt(off + L7_FD),
        protocol,
        side,
        HTTP_METHODS[methodCode],
        u16(b, off + L7_STATUS),
        u8(b, off + L7_FLAGS),
        address(b, a + ADDR_LOCAL, family),
        u16(b, a + ADDR_LOCAL_PORT),
        address(b, a + ADDR_REMOTE, family),
        u16(b, a + ADDR_REMOTE_PORT),
        b.getLong(off + L7_LATENCY_NS),
        b.getLong(off + L7_REQUEST_BYTES),
        b.getLong(off + L7_RESPONSE_BYTES),
        bytes(b, off + L7_SIZE, reqLen),
        bytes(b, off + L7_SIZE + reqLen, respLen));
  }

  static Http2Chunk http2(ByteBuffer b, int off, int len, KernelClock clock) throws MalformedRecordException {
    need(len, H2_SIZE, "HTTP/2 chunk");
    int n = u16(b, off + H2_LEN);
    if (n > H2_MAX_CAPTURE) {
      throw new MalformedRecordException(Reason.BAD_VALUE, "payload length " + n);
    }
    if (H2_SIZE + n != len) {
      throw new MalformedRecordException(Reason.TOO_SHORT, "HTTP/2 chunk of " + len + " bytes with payload " + n);
    }
    long total = b.getLong(off + H2_TOTAL);
    if (total < n) {
      throw new MalformedRecordException(Reason.BAD_VALUE, "call of " + total + " bytes, " + n + " captured");
    }
    int sideCode = u8(b, off + H2_SIDE);
    L7Record.Side side = switch (sideCode) {
      case SIDE_CLIENT -> L7Record.Side.CLIENT;
      case SIDE_SERVER -> L7Record.Side.SERVER;
      default -> throw new MalformedRecordException(Reason.BAD_VALUE, "side " + sideCode);
    };
    int a = off + H2_ADDR;
    int family = u16(b, a + ADDR_FAMILY);
    long ts = b.getLong(off + HDR_TS_NS);
    return new Http2Chunk(
        clock.toInstant(ts),
        ts,
        b.getLong(off + H2_END_NS),
        b.getLong(off + H2_CONN_ID),
        b.getInt(off + H2_PID),
        b.getInt(off + H2_FD),
        u32(b, off + H2_SEQ),
        side,
        u8(b, off + H2_IS_WRITE) != 0,
        u8(b, off + H2_FLAGS),
        address(b, a + ADDR_LOCAL, family),
        u16(b, a + ADDR_LOCAL_PORT),
        address(b, a + ADDR_REMOTE, family),
        u16(b, a + ADDR_REMOTE_PORT),
        total,
        bytes(b, off + H2_SIZE, n));
  }

  static ProcessRecord process(ByteBuffer b, int off, int len, KernelClock clock)
      throws MalformedRecordException {
    need(len, PROC_SIZE, "process");
    int kindCode = u8(b, off + PROC_KIND);
    ProcessRecord.Kind kind = switch (kindCode) {
      case PROC_EXEC -> ProcessRecord.Kind.EXEC;
      case PROC_EXIT -> ProcessRecord.Kind.EXIT;
      case PROC_OOM_KILL -> ProcessRecord.Kind.OOM_KILL;
      default -> throw new MalformedRecordException(Reason.BAD_VALUE, "process kind " + kindCode);
    };
    int filenameLen = u16(b, off + PROC_FILENAME_LEN);
    if (filenameLen >= PROC_FILENAME_CAP) {
      throw new MalformedRecordException(Reason.BAD_VALUE, "filename length " + filenameLen);
    }
    long ts = b.getLong(off + HDR_TS_NS);
    long start = b.getLong(off + PROC_START_NS);
    return new ProcessRecord(
        kind,
        clock.toInstant(ts),
        ts,
        b.getInt(off + PROC_PID),
        b.getInt(off + PROC_PPID),
        start == 0 ? null : clock.toInstant(start),
        cString(b, off + PROC_COMM, PROC_COMM_LEN),
        kind == ProcessRecord.Kind.EXEC ? string(b, off + PROC_FILENAME, filenameLen) : null,
        b.getInt(off + PROC_EXIT_CODE));
  }

  static LoaderHello hello(ByteBuffer b, int off, int len) throws MalformedRecordException {
    need(len, HELLO_SIZE, "hello");
    return new LoaderHello(
        b.getInt(off + HELLO_LOADER_PID),
        b.getInt(off + HELLO_CAPTURE_BYTES),
        b.getLong(off + HELLO_MONO_NS),
        b.getLong(off + HELLO_REALTIME_NS),
        b.getInt(off + HELLO_RING_BYTES),
        b.getInt(off + HELLO_NCPUS));
  }

  static SensorStats stats(ByteBuffer b, int off, int len, KernelClock clock) throws MalformedRecordException {
    need(len, STATS_SIZE, "stats");
    long n = u32(b, off + STATS_NCOUNTERS);
    if (n != CNT_MAX) {
      throw new MalformedRecordException(Reason.BAD_VALUE, n + " counters");
    }
    int c = off + STATS_COUNTERS;
    return new SensorStats(
        clock.toInstant(b.getLong(off + HDR_TS_NS)),
        b.getLong(off + STATS_FRAMES_WRITTEN),
        b.getLong(c + 8 * CNT_RB_DROP_CONN),
        b.getLong(c + 8 * CNT_RB_DROP_L7),
        b.getLong(c + 8 * CNT_RB_DROP_PROC),
        b.getLong(c + 8 * CNT_CONN_EMITTED),
        b.getLong(c + 8 * CNT_L7_EMITTED),
        b.getLong(c + 8 * CNT_PROC_EMITTED),
        b.getLong(c + 8 * CNT_TRACK_FAILED),
        b.getLong(c + 8 * CNT_INFLIGHT_FAILED),
        b.getLong(c + 8 * CNT_REQ_REPLACED),
        b.getLong(c + 8 * CNT_CAPTURE_FAULT),
        b.getLong(c + 8 * CNT_TLS_SKIPPED),
        b.getLong(c + 8 * CNT_HTTP2_CONNS),
        b.getLong(c + 8 * CNT_PROG_MISSES),
        b.getLong(c + 8 * CNT_PROG_RUN_NS),
        b.getLong(c + 8 * CNT_PROG_RUNS),
        b.getLong(c + 8 * CNT_ADOPTED));
  }

  private static ConnectionRecord.Direction direction(int code) {
    return switch (code) {
      case DIR_OUTBOUND -> ConnectionRecord.Direction.OUTBOUND;
      case DIR_INBOUND -> ConnectionRecord.Direction.INBOUND;
      default -> ConnectionRecord.Direction.UNKNOWN;
    };
  }

  /** An address field; IPv4-mapped IPv6 becomes the IPv4 address (InetAddress does that). */
  private static InetAddress address(ByteBuffer b, int at, int family) throws MalformedRecordException {
    byte[] raw;
    if (family == AF_INET) {
      raw = bytes(b, at, 4);
    } else if (family == AF_INET6) {
      raw = bytes(b, at, 16);
    } else {
      throw new MalformedRecordException(Reason.BAD_VALUE, "address family " + family);
    }
    try {
      return InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) { // only for a wrong length, excluded above
      throw new MalformedRecordException(Reason.BAD_VALUE, "address of " + raw.length + " bytes");
    }
  }

  private static void need(int len, int fixed, String what) throws MalformedRecordException {
    if (len < fixed) {
      throw new MalformedRecordException(Reason.TOO_SHORT, what + " record of " + len + " bytes, needs " + fixed);
    }
  }

  private static int u8(ByteBuffer b, int at) {
    return b.get(at) & 0xff;
  }

  private static int u16(ByteBuffer b, int at) {
    return b.getShort(at) & 0xffff;
  }

  private static long u32(ByteBuffer b, int at) {
    return b.getInt(at) & 0xffff_ffffL;
  }

  private static byte[] bytes(ByteBuffer b, int at, int n) {
    if (n == 0) {
      return EMPTY;
    }
    byte[] out = new byte[n];
    b.get(at, out);
    return out;
  }

  private static String string(ByteBuffer b, int at, int n) {
    if (b.hasArray()) {
      return new String(b.array(), b.arrayOffset() + at, n, StandardCharsets.UTF_8);
    }
    return new String(bytes(b, at, n), StandardCharsets.UTF_8);
  }

  /** A NUL-terminated string in a fixed field of `cap` bytes. */
  private static String cString(ByteBuffer b, int at, int cap) {
    int n = 0;
    while (n < cap && b.get(at + n) != 0) {
      n++;
    }
    return string(b, at, n);
  }
}
