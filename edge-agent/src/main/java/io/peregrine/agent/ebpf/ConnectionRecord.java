package io.peregrine.agent.ebpf;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A TCP connection event from the kernel: established (connect or accept), closed, failed
 * connect, or retransmission. Addresses are normalised: an IPv4-mapped IPv6 address (a dual-stack
 * socket talking IPv4) is reported as the IPv4 address.
 *
 * @param connectionId random id the kernel gave the connection; its {@link L7Record}s carry it too;
 *     0 for a retransmit on an untracked socket and for failed connects
 * @param pid owning process (thread group id), 0 when unknown (retransmit of an untracked socket)
 * @param fd descriptor in that process, -1 when unknown
 * @param tcpState kernel TCP state at the event (1 ESTABLISHED ... 7 CLOSE)
 * @param bytesSent for CLOSE, payload bytes the process wrote over the connection's lifetime
 * @param bytesReceived for CLOSE, payload bytes the process read
 * @param connectNanos for OUTBOUND OPEN and FAILED_CONNECT, connect(2) entry to the outcome
 * @param retransmits kernel's total_retrans for the socket
 * @param srttMicros smoothed RTT, 0 when unknown
 * @param errno for FAILED_CONNECT, the socket error (0 when the connect was abandoned before any
 *     answer, e.g. closed by the application's own timeout)
 * @param adopted the connection was established before the sensor started and adopted by it
 *     (ADOPTED, and its CLOSE): its opening was not seen, and byte counts start at the adoption
 */
public record ConnectionRecord(
    Kind kind,
    Instant timestamp,
    long monotonicNanos,
    long connectionId,
    int pid,
    int fd,
    Direction direction,
    int tcpState,
    InetAddress localAddress,
    int localPort,
    InetAddress remoteAddress,
    int remotePort,
    long bytesSent,
    long bytesReceived,
    long connectNanos,
    long retransmits,
    long srttMicros,
    int errno,
    boolean adopted)
    implements SensorRecord {

  /** ADOPTED: established before the sensor started, tracked from now on (no OPEN was seen). */
  public enum Kind { OPEN, CLOSE, FAILED_CONNECT, RETRANSMIT, ADOPTED }

  public enum Direction { OUTBOUND, INBOUND, UNKNOWN }

  public boolean ipv4() {
    return localAddress instanceof Inet4Address;
  }

  /** Time to connect, for OUTBOUND OPEN and FAILED_CONNECT. */
  public Optional<Duration> connectDuration() {
    return (kind == Kind.OPEN && direction == Direction.OUTBOUND) || kind == Kind.FAILED_CONNECT
        ? Optional.of(Duration.ofNanos(connectNanos))
        : Optional.empty();
  }

  /** The errno name of a failed connect ({@code ECONNREFUSED}, ...), else empty. */
  public Optional<String> failureReason() {
    return kind == Kind.FAILED_CONNECT ? Optional.of(Errno.name(errno)) : Optional.empty();
  }

  public OptionalInt fdIfKnown() {
    return fd >= 0 ? OptionalInt.of(fd) : OptionalInt.empty();
  }
}
