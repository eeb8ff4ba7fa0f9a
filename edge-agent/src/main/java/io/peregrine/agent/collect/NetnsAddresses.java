package io.peregrine.agent.collect;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.List;

/**
 * The local addresses of a network namespace, from two files of its /proc/&lt;pid&gt;/net: they
 * name what a wildcard listen inside a container serves (its pod or container IP), since
 * {@code 0.0.0.0:8080} would otherwise be the same key for every pod of the node.
 * <ul>
 *   <li>{@code fib_trie}: IPv4. Each address of the namespace's interfaces is a leaf
 *       {@code |-- 10.244.1.5} followed by a line {@code /32 host LOCAL}.
 *   <li>{@code if_inet6}: IPv6, one line per address: 32 hex digits (network order), interface
 *       index, prefix length, scope, flags, interface name. Only global scope (0x00) is kept.
 * </ul>
 * Loopback addresses are left out: they serve nobody outside the namespace.
 */
final class NetnsAddresses {

  static final String FIB_TRIE_SOURCE = "/proc/<pid>/net/fib_trie";
  static final String IF_INET6_SOURCE = "/proc/<pid>/net/if_inet6";

  private NetnsAddresses() {
  }

  /** Appends the IPv4 addresses of {@code fib_trie} to {@code out}, each once. */
  static void parseFibTrie(byte[] buf, int length, List<IpAddress> out, ParseProblems problems) {
    AsciiCursor c = new AsciiCursor(buf, length);
    IpAddress leaf = null;
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      if (c.tokenIs("|--")) {
        leaf = c.nextToken() ? ipv4(buf, c.tokenStart(), c.tokenEnd()) : null;
        if (leaf == null) {
          problems.report(FIB_TRIE_SOURCE, Cause.MALFORMED_LINE);
        }
      } else if (c.tokenIs("/32") && leaf != null) {
        if (c.nextToken() && c.tokenIs("host") && c.nextToken() && c.tokenIs("LOCAL")
            && !leaf.isLoopback() && !out.contains(leaf)) {
          out.add(leaf);
        }
      }
    }
  }

  /** Appends the global IPv6 addresses of {@code if_inet6} to {@code out}, each once. */
  static void parseIfInet6(byte[] buf, int length, List<IpAddress> out, ParseProblems problems) {
    AsciiCursor c = new AsciiCursor(buf, length);
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      int s = c.tokenStart();
      if (c.tokenEnd() - s != 32 || !c.skipTokens(2) || !c.nextToken()) {
        problems.report(IF_INET6_SOURCE, Cause.MALFORMED_LINE);
        continue;
      }
      long scope = c.tokenAsHex();
      long hi = (Ascii.parseHex(buf, s, s + 8) << 32) | Ascii.parseHex(buf, s + 8, s + 16);
      long lo = (Ascii.parseHex(buf, s + 16, s + 24) << 32) | Ascii.parseHex(buf, s + 24, s + 32);
      if (scope < 0 || Ascii.parseHex(buf, s, s + 8) < 0 || Ascii.parseHex(buf, s + 8, s + 16) < 0
          || Ascii.parseHex(buf, s + 16, s + 24) < 0 || Ascii.parseHex(buf, s + 24, s + 32) < 0) {
        problems.report(IF_INET6_SOURCE, Cause.BAD_NUMBER);
        continue;
      }
      if (scope != 0) {
        continue;  // link-local, host (loopback), site
      }
      IpAddress a = IpAddress.ipv6(hi, lo);
      if (!a.isLoopback() && !out.contains(a)) {
        out.add(a);
      }
    }
  }

  /** A dotted quad, or null. */
  static IpAddress ipv4(byte[] buf, int from, int to) {
    int address = 0;
    int parts = 0;
    int i = from;
    while (i < to) {
      int dot = Ascii.indexOf(buf, i, to, (byte) '.');
      int end = dot < 0 ? to : dot;
      long v = end - i > 3 ? -1 : Ascii.parseLong(buf, i, end);
      if (v < 0 || v > 255) {
        return null;
      }
      address = (address << 8) | (int) v;
      parts++;
      i = end + 1;
      if (dot < 0) {
        break;
      }
      if (i == to) {
        return null;  // trailing dot
      }
    }
    return parts == 4 ? IpAddress.ipv4(address) : null;
  }
}
