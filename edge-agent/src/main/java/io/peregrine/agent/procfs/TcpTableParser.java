package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Parses /proc/net/tcp and /proc/net/tcp6 (proc(5), net/ipv4/tcp_ipv4.c {@code get_tcp4_sock}):
 * <pre>
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
 *    1: 0100007F:BBDA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 28682 ...
 * </pre>
 * Addresses are the in-memory bytes of the kernel's network-order address, printed one 32-bit word
 * at a time with {@code %08X} in host byte order: on little-endian hosts each word's bytes appear
 * reversed ({@code 0100007F} is 127.0.0.1). Ports are printed after {@code ntohs}, so they read as
 * plain hex. The host byte order is a parameter so that fixtures captured on one architecture parse
 * the same on another.
 *
 * <p>Lines whose state is outside the caller's mask are skipped before any address is decoded: on
 * a busy host most lines are TIME_WAIT, which no collector wants.
 */
public final class TcpTableParser {

  public static final String TCP_SOURCE = "/proc/net/tcp";
  public static final String TCP6_SOURCE = "/proc/net/tcp6";

  private TcpTableParser() {
  }

  /**
   * Appends the sockets of the table whose state is in {@code stateMask} to {@code out}.
   *
   * @param ipv6 true for tcp6 content (32-hex-digit addresses)
   * @param stateMask {@link TcpState#mask} of the states to keep, {@link TcpState#ALL} for every one
   * @param hostOrder byte order of the host that produced the content,
   *     {@link ByteOrder#nativeOrder()} for the running one
   * @return the number of sockets appended
   */
  public static int parse(byte[] buf, int length, boolean ipv6, int stateMask, ByteOrder hostOrder,
      List<TcpSocket> out, ParseProblems problems) {
    String source = ipv6 ? TCP6_SOURCE : TCP_SOURCE;
    if (length == 0) {
      // Unlike the other files, the header line is always printed; empty means a failed read.
      problems.report(source, Cause.EMPTY);
      return 0;
    }
    int addressDigits = ipv6 ? 32 : 8;
    boolean swap = hostOrder == ByteOrder.LITTLE_ENDIAN;
    AsciiCursor c = new AsciiCursor(buf, length);
    int added = 0;
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      if (c.tokenIs("sl")) {
        continue;  // header
      }
      if (!c.nextToken()) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      int localStart = c.tokenStart();
      int localEnd = c.tokenEnd();
      if (!c.nextToken()) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      int remoteStart = c.tokenStart();
      int remoteEnd = c.tokenEnd();
      if (!c.nextToken()) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      TcpState state = TcpState.of(c.tokenEnd() - c.tokenStart() == 2 ? c.tokenAsHex() : -1);
      if (state == null) {
        problems.report(source, Cause.BAD_NUMBER);
        continue;
      }
      if ((stateMask & state.bit()) == 0) {
        continue;
      }
      // tx_queue:rx_queue, tr:tm->when, retrnsmt, then uid, timeout, inode.
      if (!c.skipTokens(3)) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      long uid = c.nextLong();
      if (!c.skipTokens(1)) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      long inode = c.nextLong();
      if (uid < 0 || uid > 0xFFFF_FFFFL || inode < 0) {
        problems.report(source, uid == AsciiCursor.NO_VALUE || inode == AsciiCursor.NO_VALUE
            ? Cause.MALFORMED_LINE : Cause.BAD_NUMBER);
        continue;
      }
      IpAddress local = address(buf, localStart, localEnd, addressDigits, swap);
      int localPort = port(buf, localStart, localEnd, addressDigits);
      IpAddress remote = address(buf, remoteStart, remoteEnd, addressDigits, swap);
      int remotePort = port(buf, remoteStart, remoteEnd, addressDigits);
      if (local == null || remote == null || localPort < 0 || remotePort < 0) {
        problems.report(source, Cause.MALFORMED_LINE);
        continue;
      }
      out.add(new TcpSocket(state, local, localPort, remote, remotePort, (int) uid, inode, ipv6));
      added++;
    }
    if (c.truncatedTail()) {
      problems.report(source, Cause.TRUNCATED);
    }
    return added;
  }

  /** {@code HEX:PORT} with exactly {@code digits} address digits and 4 port digits. */
  private static boolean wellFormed(byte[] b, int s, int e, int digits) {
    return e - s == digits + 5 && b[s + digits] == ':';
  }

  private static IpAddress address(byte[] b, int s, int e, int digits, boolean swap) {
    if (!wellFormed(b, s, e, digits)) {
      return null;
    }
    if (digits == 8) {
      long w = Ascii.parseHex(b, s, s + 8);
      return w < 0 ? null : IpAddress.ipv4(networkOrder(w, swap));
    }
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 4; i++) {
      long w = Ascii.parseHex(b, s + 8 * i, s + 8 * i + 8);
      if (w < 0) {
        return null;
      }
      long word = networkOrder(w, swap) & 0xFFFF_FFFFL;
      if (i < 2) {
        hi = (hi << 32) | word;
      } else {
        lo = (lo << 32) | word;
      }
    }
    return IpAddress.ipv6(hi, lo);
  }

  private static int networkOrder(long word, boolean swap) {
    return swap ? Integer.reverseBytes((int) word) : (int) word;
  }

  private static int port(byte[] b, int s, int e, int digits) {
    if (!wellFormed(b, s, e, digits)) {
      return -1;
    }
    long port = Ascii.parseHex(b, s + digits + 1, e);
    return port < 0 ? -1 : (int) port;
  }
}
