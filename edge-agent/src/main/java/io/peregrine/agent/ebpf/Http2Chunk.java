package io.peregrine.agent.ebpf;

import java.net.InetAddress;
import java.time.Instant;

/**
 * The first bytes of one read or write on an HTTP/2 connection, as the kernel ships them for such
 * connections instead of request/response pairs (see {@code bpf/l7/http2.h}); user space follows
 * the frames and streams ({@link io.peregrine.agent.l7.http2.Http2Connection}).
 *
 * @param time the call's time: entry of a write, return of a read
 * @param monotonicNanos the same instant on the kernel's monotonic clock
 * @param endMonotonicNanos return of the call
 * @param seq number of the chunk on its connection, from 0 for the call that carried the client
 *     preface; a gap means a chunk was lost
 * @param side whether this process is the client or the server of the connection
 * @param write this process wrote the bytes (else it read them)
 * @param flags {@link RecordLayout}{@code .L7_F_CAPTURE_FAULT} and {@code L7_F_TLS} bits
 * @param total bytes the call moved; {@code payload} holds the first of them
 */
public record Http2Chunk(
    Instant time,
    long monotonicNanos,
    long endMonotonicNanos,
    long connectionId,
    int pid,
    int fd,
    long seq,
    L7Record.Side side,
    boolean write,
    int flags,
    InetAddress localAddress,
    int localPort,
    InetAddress remoteAddress,
    int remotePort,
    long total,
    byte[] payload)
    implements SensorRecord {

  public boolean tls() {
    return (flags & RecordLayout.L7_F_TLS) != 0;
  }

  public boolean captureFault() {
    return (flags & RecordLayout.L7_F_CAPTURE_FAULT) != 0;
  }

  /** Whether these bytes travel from the client to the server. */
  public boolean fromClient() {
    return write == (side == L7Record.Side.CLIENT);
  }

  @Override
  public String toString() {
    return "Http2Chunk[" + side + (write ? " write" : " read") + " conn=" + connectionId + " seq=" + seq
        + " " + payload.length + "/" + total + " bytes]";
  }
}
