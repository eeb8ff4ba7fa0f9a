package io.peregrine.agent.procfs;

/**
 * An IPv4 or IPv6 address as a value: 128 bits in two longs (network order, {@code hi} first),
 * IPv4 in the low 32 bits of {@code lo}. IPv4-mapped IPv6 addresses ({@code ::ffff:a.b.c.d}) are
 * normalised to IPv4 when created, as a dual-stack socket serving an IPv4 client is an IPv4
 * conversation; so equal addresses are equal values whichever socket family reported them.
 *
 * <p>{@link #toString()} is the canonical text form: dotted quad for IPv4, RFC 5952 for IPv6
 * (lower case, no leading zeros, the longest run of two or more zero groups as {@code ::}, the first
 * such run on a tie).
 */
public record IpAddress(boolean ipv4, long hi, long lo) {

  public static final IpAddress IPV4_ANY = new IpAddress(true, 0, 0);
  public static final IpAddress IPV6_ANY = new IpAddress(false, 0, 0);

  public IpAddress {
    if (ipv4 && (hi != 0 || (lo >>> 32) != 0)) {
      throw new IllegalArgumentException("IPv4 address wider than 32 bits");
    }
  }

  /** An IPv4 address from its 32 bits in network order ({@code 0x7F000001} is 127.0.0.1). */
  public static IpAddress ipv4(int address) {
    // The remote side of every listen is the wildcard: share one instance.
    return address == 0 ? IPV4_ANY : new IpAddress(true, 0, address & 0xFFFF_FFFFL);
  }

  /** An IPv6 address from its 128 bits in network order; IPv4-mapped ones become IPv4. */
  public static IpAddress ipv6(long hi, long lo) {
    if (hi == 0 && (lo >>> 32) == 0xFFFFL) {
      return ipv4((int) lo);
    }
    return hi == 0 && lo == 0 ? IPV6_ANY : new IpAddress(false, hi, lo);
  }

  /** 0.0.0.0 or :: (a listen on every address). */
  public boolean isAny() {
    return hi == 0 && lo == 0;
  }

  /** 127.0.0.0/8 or ::1. */
  public boolean isLoopback() {
    return ipv4 ? (lo >>> 24) == 127 : hi == 0 && lo == 1;
  }

  @Override
  public String toString() {
    return ipv4 ? ipv4Text((int) lo) : ipv6Text(hi, lo);
  }

  private static String ipv4Text(int a) {
    return ((a >>> 24) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "."
        + (a & 0xFF);
  }

  private static String ipv6Text(long hi, long lo) {
    int[] groups = new int[8];
    for (int i = 0; i < 4; i++) {
      groups[i] = (int) (hi >>> (48 - 16 * i)) & 0xFFFF;
      groups[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xFFFF;
    }
    // RFC 5952 4.2: compress the longest run of zero groups, only if it is at least two long.
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLength - 1;
        continue;
      }
      if (i > 0 && i != bestStart + bestLength) {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }
}
