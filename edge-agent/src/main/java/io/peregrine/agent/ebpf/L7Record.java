package io.peregrine.agent.ebpf;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One request paired with its response by the kernel, as seen by one process (the client or the
 * server side of the exchange). The payload prefixes are what protocol decoders work on; the kernel
 * itself only recognised HTTP/1.x (method and status).
 *
 * @param start when the request started: CLIENT, entry of the write that sent its first bytes;
 *     SERVER, return of the read that received them
 * @param startMonotonicNanos the same instant on the kernel's monotonic clock
 * @param method HTTP method when the kernel recognised one, else null
 * @param status HTTP status parsed by the kernel, 0 when none (not HTTP, or no response)
 * @param flags {@link RecordLayout}{@code .L7_F_*} bits
 * @param latencyNanos request start to the return of the response's first read (CLIENT) or write
 *     (SERVER); for a request without response, to the close
 * @param requestBytes all bytes of the request
 * @param responseBytes bytes of the response's first read/write (the kernel does not wait for more)
 * @param request the first bytes of the request (at most the capture size)
 * @param response the first bytes of the response
 */
public record L7Record(
    Instant start,
    long startMonotonicNanos,
    long connectionId,
    int pid,
    int fd,
    Protocol protocol,
    Side side,
    String method,
    int status,
    int flags,
    InetAddress localAddress,
    int localPort,
    InetAddress remoteAddress,
    int remotePort,
    long latencyNanos,
    long requestBytes,
    long responseBytes,
    byte[] request,
    byte[] response)
    implements SensorRecord {

  /** What the kernel recognised; user-space decoders refine UNKNOWN from the payloads. */
  public enum Protocol { HTTP, UNKNOWN }

  public enum Side { CLIENT, SERVER }

  public Duration latency() {
    return Duration.ofNanos(latencyNanos);
  }

  /** The connection closed before any response byte. */
  public boolean noResponse() {
    return (flags & RecordLayout.L7_F_NO_RESPONSE) != 0;
  }

  public boolean requestTruncated() {
    return (flags & RecordLayout.L7_F_REQ_TRUNCATED) != 0;
  }

  /** The payloads are TLS plaintext, read by the sensor's OpenSSL probes. */
  public boolean tls() {
    return (flags & RecordLayout.L7_F_TLS) != 0;
  }

  public boolean responseTruncated() {
    return (flags & RecordLayout.L7_F_RESP_TRUNCATED) != 0;
  }

  public InetAddress clientAddress() {
    return side == Side.CLIENT ? localAddress : remoteAddress;
  }

  public int clientPort() {
    return side == Side.CLIENT ? localPort : remotePort;
  }

  public InetAddress serverAddress() {
    return side == Side.CLIENT ? remoteAddress : localAddress;
  }

  public int serverPort() {
    return side == Side.CLIENT ? remotePort : localPort;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof L7Record r
        && start.equals(r.start)
        && startMonotonicNanos == r.startMonotonicNanos
        && connectionId == r.connectionId
        && pid == r.pid
        && fd == r.fd
        && protocol == r.protocol
        && side == r.side
        && Objects.equals(method, r.method)
        && status == r.status
        && flags == r.flags
        && localAddress.equals(r.localAddress)
        && localPort == r.localPort
        && remoteAddress.equals(r.remoteAddress)
        && remotePort == r.remotePort
        && latencyNanos == r.latencyNanos
        && requestBytes == r.requestBytes
        && responseBytes == r.responseBytes
        && Arrays.equals(request, r.request)
        && Arrays.equals(response, r.response);
  }

  @Override
  public int hashCode() {
    return Objects.hash(startMonotonicNanos, connectionId, pid, fd, status, latencyNanos)
        + 31 * Arrays.hashCode(request) + 17 * Arrays.hashCode(response);
  }

  @Override
  public String toString() {
    return "L7Record[" + side + " " + protocol + " pid=" + pid + " fd=" + fd
        + " " + localAddress.getHostAddress() + ":" + localPort
        + "->" + remoteAddress.getHostAddress() + ":" + remotePort
        + " status=" + status + " latency=" + latencyNanos + "ns flags=" + flags
        + " request=\"" + printable(request, 80) + "\"]";
  }

  private static String printable(byte[] bytes, int max) {
    String s = new String(bytes, 0, Math.min(bytes.length, max), StandardCharsets.ISO_8859_1);
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '.');
    }
    return b.toString();
  }
}
