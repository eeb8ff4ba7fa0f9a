package io.peregrine.agent.ebpf;

import static io.peregrine.agent.ebpf.RecordLayout.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Builds record bytes and frames the way the kernel and loader lay them out, for tests. */
final class Records {

  private Records() {}

  static ByteBuffer record(int type, int size, long tsNs) {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(HDR_MAGIC, (short) MAGIC);
    b.put(HDR_VERSION, (byte) VERSION);
    b.put(HDR_TYPE, (byte) type);
    b.putInt(HDR_RECORD_SIZE, size);
    b.putLong(HDR_TS_NS, tsNs);
    return b;
  }

  static void putIpv4(ByteBuffer b, int addrOff, int local, int localPort, int remote, int remotePort) {
    b.putInt(addrOff + ADDR_LOCAL, Integer.reverseBytes(local)); // network order in memory
    b.putInt(addrOff + ADDR_REMOTE, Integer.reverseBytes(remote));
    b.putShort(addrOff + ADDR_LOCAL_PORT, (short) localPort);
    b.putShort(addrOff + ADDR_REMOTE_PORT, (short) remotePort);
    b.putShort(addrOff + ADDR_FAMILY, (short) 2);
  }

  static ByteBuffer connection(int kind, int direction, int pid, int fd, long tsNs) {
    ByteBuffer b = record(REC_CONN, CONN_SIZE, tsNs);
    b.putLong(CONN_CONN_ID, 0x1234_5678_9abc_def1L);
    b.putInt(CONN_PID, pid);
    b.putInt(CONN_FD, fd);
    b.put(CONN_KIND, (byte) kind);
    b.put(CONN_DIRECTION, (byte) direction);
    b.put(CONN_TCP_STATE, (byte) 1);
    putIpv4(b, CONN_ADDR, 0x7f00_0001, 40000, 0x7f00_0001, 8080);
    return b;
  }

  static ByteBuffer l7(byte[] request, byte[] response, int status, long tsNs) {
    ByteBuffer b = record(REC_L7, L7_SIZE + request.length + response.length, tsNs);
    b.putLong(L7_CONN_ID, 77);
    b.putInt(L7_PID, 4242);
    b.putInt(L7_FD, 9);
    b.put(L7_PROTOCOL, (byte) PROTO_HTTP);
    b.put(L7_SIDE, (byte) SIDE_CLIENT);
    b.put(L7_METHOD, (byte) HTTP_GET);
    b.putShort(L7_STATUS, (short) status);
    b.putShort(L7_REQ_LEN, (short) request.length);
    b.putShort(L7_RESP_LEN, (short) response.length);
    putIpv4(b, L7_ADDR, 0x7f00_0001, 40000, 0x7f00_0001, 8080);
    b.putLong(L7_LATENCY_NS, 1_500_000);
    b.putLong(L7_REQUEST_BYTES, request.length);
    b.putLong(L7_RESPONSE_BYTES, response.length);
    b.put(L7_SIZE, request);
    b.put(L7_SIZE + request.length, response);
    return b;
  }

  static ByteBuffer http2(byte[] payload, long total, long seq, boolean write, long tsNs) {
    ByteBuffer b = record(REC_H2, H2_SIZE + payload.length, tsNs);
    b.putLong(H2_CONN_ID, 78);
    b.putInt(H2_PID, 4243);
    b.putInt(H2_FD, 11);
    b.putInt(H2_SEQ, (int) seq);
    b.putShort(H2_LEN, (short) payload.length);
    b.put(H2_SIDE, (byte) SIDE_SERVER);
    b.put(H2_IS_WRITE, (byte) (write ? 1 : 0));
    b.put(H2_FLAGS, (byte) L7_F_TLS);
    b.putLong(H2_TOTAL, total);
    b.putLong(H2_END_NS, tsNs + 900);
    putIpv4(b, H2_ADDR, 0x7f00_0001, 8443, 0x7f00_0001, 51000);
    b.put(H2_SIZE, payload);
    return b;
  }

  static ByteBuffer hello(long monoNs, long realtimeNs) {
    ByteBuffer b = record(REC_HELLO, HELLO_SIZE, monoNs);
    b.putInt(HELLO_LOADER_PID, 99);
    b.putInt(HELLO_CAPTURE_BYTES, MAX_CAPTURE);
    b.putLong(HELLO_MONO_NS, monoNs);
    b.putLong(HELLO_REALTIME_NS, realtimeNs);
    b.putInt(HELLO_RING_BYTES, 4 << 20);
    b.putInt(HELLO_NCPUS, 2);
    return b;
  }

  /** Length-prefixed frames of the given records, concatenated. */
  static byte[] frames(ByteBuffer... records) {
    int total = 0;
    for (ByteBuffer r : records) {
      total += FRAME_PREFIX + r.capacity();
    }
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (ByteBuffer r : records) {
      out.putInt(r.capacity());
      out.put(r.array());
    }
    return out.array();
  }

  /** Decodes every frame of {@code bytes} fed in chunks of {@code chunk} bytes. */
  static List<SensorRecord> decode(byte[] bytes, int chunk, FrameDecoder[] decoderOut) {
    List<SensorRecord> out = new ArrayList<>();
    FrameDecoder d = new FrameDecoder(out::add, new KernelClock(0, 0));
    for (int off = 0; off < bytes.length; off += chunk) {
      d.feed(bytes, off, Math.min(chunk, bytes.length - off));
    }
    d.endOfStream();
    if (decoderOut != null) {
      decoderOut[0] = d;
    }
    return out;
  }
}
