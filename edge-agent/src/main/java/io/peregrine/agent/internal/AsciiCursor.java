package io.peregrine.agent.internal;

import java.nio.charset.StandardCharsets;

/**
 * Forward-only cursor over the ASCII text of a procfs or cgroupfs file: lines, then
 * whitespace-separated tokens within the current line, parsed in place without creating strings.
 *
 * <p>Only complete lines are returned: the kernel terminates every line of these files with
 * {@code '\n'}, so a final line without one is a read that was cut short (or a file that is not
 * what the caller expects) and is reported through {@link #truncatedTail()} instead of being
 * parsed as if it were whole — a counter cut from {@code 1234} to {@code 12} would otherwise look
 * valid.
 *
 * <p>Not thread-safe; one instance per parse call (it is small and short-lived).
 */
public final class AsciiCursor {

  /** Returned by the numeric accessors when the token is missing or not a number. */
  public static final long NO_VALUE = Long.MIN_VALUE;

  private final byte[] buf;
  private final int limit;
  private int next;       // start of the line after the current one
  private int lineStart;
  private int lineEnd;    // exclusive, at the '\n'
  private int pos;        // token scan position within the current line
  private int tokenStart;
  private int tokenEnd;
  private boolean truncatedTail;

  public AsciiCursor(byte[] buf, int length) {
    this(buf, 0, length);
  }

  /** A cursor over {@code [from, length)}: the first line starts at {@code from}. */
  public AsciiCursor(byte[] buf, int from, int length) {
    if (length < 0 || length > buf.length || from < 0 || from > length) {
      throw new IllegalArgumentException(
          "range [" + from + ", " + length + ") outside buffer of " + buf.length);
    }
    this.buf = buf;
    this.limit = length;
    this.next = from;
  }

  /** Moves to the next complete line; false at the end of the input. */
  public boolean nextLine() {
    if (next >= limit) {
      return false;
    }
    int nl = indexOf(buf, (byte) '\n', next, limit);
    if (nl < 0) {
      truncatedTail = true;
      next = limit;
      return false;
    }
    lineStart = next;
    lineEnd = nl;
    pos = lineStart;
    tokenStart = tokenEnd = lineStart;
    next = nl + 1;
    return true;
  }

  /** True when the input ended with bytes that are not terminated by a newline. */
  public boolean truncatedTail() {
    return truncatedTail;
  }

  public int lineStart() {
    return lineStart;
  }

  public int lineEnd() {
    return lineEnd;
  }

  /** True when the current line has no characters other than blanks. */
  public boolean lineIsBlank() {
    for (int i = lineStart; i < lineEnd; i++) {
      if (!isBlank(buf[i])) {
        return false;
      }
    }
    return true;
  }

  /** Restarts token scanning of the current line at {@code offset} (inside the line). */
  public void seek(int offset) {
    pos = Math.max(lineStart, Math.min(offset, lineEnd));
  }

  /** Advances to the next blank-separated token of the current line; false when there is none. */
  public boolean nextToken() {
    int p = pos;
    while (p < lineEnd && isBlank(buf[p])) {
      p++;
    }
    if (p >= lineEnd) {
      pos = lineEnd;
      tokenStart = tokenEnd = lineEnd;
      return false;
    }
    int start = p;
    while (p < lineEnd && !isBlank(buf[p])) {
      p++;
    }
    tokenStart = start;
    tokenEnd = p;
    pos = p;
    return true;
  }

  /** Skips {@code n} tokens; false when the line ran out first. */
  public boolean skipTokens(int n) {
    for (int i = 0; i < n; i++) {
      if (!nextToken()) {
        return false;
      }
    }
    return true;
  }

  public int tokenStart() {
    return tokenStart;
  }

  public int tokenEnd() {
    return tokenEnd;
  }

  public boolean tokenIs(String s) {
    return Ascii.equals(buf, tokenStart, tokenEnd, s);
  }

  /** The current token compared with {@code key}, ignoring one trailing ':' on the token. */
  public boolean tokenIsKey(String key) {
    int end = tokenEnd;
    if (end > tokenStart && buf[end - 1] == ':') {
      end--;
    }
    return Ascii.equals(buf, tokenStart, end, key);
  }

  public long tokenAsLong() {
    return Ascii.parseLong(buf, tokenStart, tokenEnd);
  }

  public long tokenAsHex() {
    return Ascii.parseHex(buf, tokenStart, tokenEnd);
  }

  public double tokenAsDouble() {
    return Ascii.parseDecimal(buf, tokenStart, tokenEnd);
  }

  public String tokenAsString() {
    return new String(buf, tokenStart, tokenEnd - tokenStart, StandardCharsets.UTF_8);
  }

  /** Parses the next token as a decimal long; {@link #NO_VALUE} when missing or malformed. */
  public long nextLong() {
    return nextToken() ? tokenAsLong() : NO_VALUE;
  }

  public byte[] buffer() {
    return buf;
  }

  static boolean isBlank(byte b) {
    return b == ' ' || b == '\t' || b == '\r';
  }

  static int indexOf(byte[] buf, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
