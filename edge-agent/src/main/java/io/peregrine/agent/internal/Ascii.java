package io.peregrine.agent.internal;

import java.nio.charset.StandardCharsets;

/**
 * In-place parsing of ASCII byte ranges, as procfs and cgroupfs print them. Every method takes a
 * half-open range {@code [from, to)} and never allocates, except {@link #string}. Numeric parsers
 * return {@link AsciiCursor#NO_VALUE} (or NaN) instead of throwing: callers decide what a bad
 * number means for their file.
 */
public final class Ascii {

  private static final double[] POWERS_OF_TEN = {
      1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
      1e16, 1e17, 1e18};

  private Ascii() {
  }

  public static boolean equals(byte[] buf, int from, int to, String s) {
    int n = s.length();
    if (to - from != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (buf[from + i] != (byte) s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  public static boolean startsWith(byte[] buf, int from, int to, String prefix) {
    int n = prefix.length();
    if (to - from < n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (buf[from + i] != (byte) prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Decimal integer with an optional leading '-'; {@link AsciiCursor#NO_VALUE} when the range is
   * empty, holds anything but digits, or overflows a long.
   */
  public static long parseLong(byte[] buf, int from, int to) {
    if (from >= to) {
      return AsciiCursor.NO_VALUE;
    }
    boolean negative = buf[from] == '-';
    int i = negative ? from + 1 : from;
    if (i >= to) {
      return AsciiCursor.NO_VALUE;
    }
    long value = 0;
    for (; i < to; i++) {
      int d = buf[i] - '0';
      if (d < 0 || d > 9) {
        return AsciiCursor.NO_VALUE;
      }
      if (value > (Long.MAX_VALUE - d) / 10) {
        return AsciiCursor.NO_VALUE;
      }
      value = value * 10 + d;
    }
    return negative ? -value : value;
  }

  /** Unsigned hexadecimal of at most 15 digits (so the result stays non-negative). */
  public static long parseHex(byte[] buf, int from, int to) {
    if (from >= to || to - from > 15) {
      return AsciiCursor.NO_VALUE;
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      int d = hexDigit(buf[i]);
      if (d < 0) {
        return AsciiCursor.NO_VALUE;
      }
      value = (value << 4) | d;
    }
    return value;
  }

  public static int hexDigit(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }

  /**
   * Plain decimal such as {@code 0.12} or {@code 3} (no exponent), as the kernel prints load
   * averages and PSI shares; NaN when malformed. Correctly rounded for up to 18 significant
   * digits, which is all these files ever print.
   */
  public static double parseDecimal(byte[] buf, int from, int to) {
    if (from >= to) {
      return Double.NaN;
    }
    boolean negative = buf[from] == '-';
    int i = negative ? from + 1 : from;
    long mantissa = 0;
    int digits = 0;
    int fractionDigits = -1;
    for (; i < to; i++) {
      byte b = buf[i];
      if (b == '.') {
        if (fractionDigits >= 0) {
          return Double.NaN;
        }
        fractionDigits = 0;
        continue;
      }
      int d = b - '0';
      if (d < 0 || d > 9 || ++digits > 18) {
        return Double.NaN;
      }
      mantissa = mantissa * 10 + d;
      if (fractionDigits >= 0) {
        fractionDigits++;
      }
    }
    if (digits == 0) {
      return Double.NaN;
    }
    double value = fractionDigits > 0 ? mantissa / POWERS_OF_TEN[fractionDigits] : mantissa;
    return negative ? -value : value;
  }

  public static String string(byte[] buf, int from, int to) {
    return new String(buf, from, to - from, StandardCharsets.UTF_8);
  }

  /** First index of {@code b} in the range, or -1. */
  public static int indexOf(byte[] buf, int from, int to, byte b) {
    return AsciiCursor.indexOf(buf, b, from, to);
  }

  /** Last index of {@code b} in the range, or -1. */
  public static int lastIndexOf(byte[] buf, int from, int to, byte b) {
    for (int i = to - 1; i >= from; i--) {
      if (buf[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** Start of the range after leading whitespace (blanks and newlines). */
  public static int trimStart(byte[] buf, int from, int to) {
    while (from < to && isSpace(buf[from])) {
      from++;
    }
    return from;
  }

  /** End of the range before trailing whitespace (blanks and newlines). */
  public static int trimEnd(byte[] buf, int from, int to) {
    while (to > from && isSpace(buf[to - 1])) {
      to--;
    }
    return to;
  }

  public static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }
}
