package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Arrays;
import java.util.Optional;

/**
 * Parses the TCP sections of /proc/net/snmp and /proc/net/netstat. Both files hold pairs of lines
 * per protocol, a header naming the columns and a line of values:
 * <pre>
 * Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens ...
 * Tcp: 1 200 120000 -1 223 ...
 * </pre>
 * Columns are found by name, never by position: the kernel appends columns over time.
 */
public final class NetSnmpParser {

  public static final String SNMP_SOURCE = "/proc/net/snmp";
  public static final String NETSTAT_SOURCE = "/proc/net/netstat";

  private static final String[] TCP = {
      "ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab", "InSegs",
      "OutSegs", "RetransSegs", "OutRsts"};
  private static final String[] TCP_EXT = {"ListenOverflows", "ListenDrops"};

  private NetSnmpParser() {
  }

  /**
   * @param netstat content of /proc/net/netstat; may be empty (length 0) when unavailable, the
   *     TcpExt counters are then -1
   * @return empty when /proc/net/snmp has no usable {@code Tcp:} section
   */
  public static Optional<TcpCounters> parse(
      byte[] snmp, int snmpLength, byte[] netstat, int netstatLength, ParseProblems problems) {
    long[] tcp = new long[TCP.length];
    if (!section(snmp, snmpLength, "Tcp:", TCP, tcp, SNMP_SOURCE, problems)) {
      return Optional.empty();
    }
    long[] ext = new long[TCP_EXT.length];
    if (netstatLength == 0
        || !section(netstat, netstatLength, "TcpExt:", TCP_EXT, ext, NETSTAT_SOURCE, problems)) {
      Arrays.fill(ext, -1);
    }
    return Optional.of(new TcpCounters(
        tcp[0], tcp[1], tcp[2], tcp[3], tcp[4], tcp[5], tcp[6], tcp[7], tcp[8], ext[0], ext[1]));
  }

  /**
   * Reads the named columns of one section into {@code out} (-1 for a column the kernel does not
   * print). False when the section is missing or its value line is unusable.
   */
  static boolean section(byte[] buf, int length, String prefix, String[] names, long[] out,
      String source, ParseProblems problems) {
    Arrays.fill(out, -1);
    if (length == 0) {
      problems.report(source, Cause.EMPTY);
      return false;
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    int[] column = null;  // column index of names[i] in the header, -1 if absent
    boolean done = false;
    long filled = 0;
    while (!done && c.nextLine()) {
      if (!c.nextToken() || !c.tokenIs(prefix)) {
        continue;
      }
      if (column == null) {
        column = new int[names.length];
        Arrays.fill(column, -1);
        int col = 0;
        while (c.nextToken()) {
          for (int i = 0; i < names.length; i++) {
            if (column[i] < 0 && c.tokenIs(names[i])) {
              column[i] = col;
              break;
            }
          }
          col++;
        }
        continue;
      }
      int col = 0;
      while (c.nextToken()) {
        for (int i = 0; i < names.length; i++) {
          if (column[i] == col) {
            long v = c.tokenAsLong();
            if (v == AsciiCursor.NO_VALUE) {
              problems.report(source, Cause.BAD_NUMBER);
              return false;
            }
            out[i] = v;
            filled |= 1L << i;
          }
        }
        col++;
      }
      done = true;
    }
    if (!done) {
      problems.report(source, c.truncatedTail() ? Cause.TRUNCATED : Cause.MISSING_FIELD);
      return false;
    }
    for (int i = 0; i < names.length; i++) {
      if (column[i] >= 0 && (filled & (1L << i)) == 0) {
        // The header names a column the value line is too short to hold.
        problems.report(source, Cause.MALFORMED_LINE);
        return false;
      }
    }
    return true;
  }
}
