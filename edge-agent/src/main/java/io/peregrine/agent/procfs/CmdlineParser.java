package io.peregrine.agent.procfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses /proc/&lt;pid&gt;/cmdline: arguments separated (and normally terminated) by NUL. It is empty
 * for kernel threads and zombies. A process may overwrite its argument area (nginx, postgres do:
 * {@code postgres: checkpointer}), in which case it is one blank-separated string, returned as is.
 */
public final class CmdlineParser {

  private static final String ELLIPSIS = "...";

  private CmdlineParser() {
  }

  /** The arguments; empty for kernel threads and zombies. */
  public static List<String> args(byte[] buf, int length) {
    List<String> args = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (buf[i] == 0) {
        args.add(new String(buf, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (start < length) {
      args.add(new String(buf, start, length - start, StandardCharsets.UTF_8));
    }
    return args;
  }

  /**
   * The arguments joined by single spaces, cut to at most {@code maxBytes} UTF-8 bytes (the
   * ellipsis included) on a character boundary.
   *
   * @return empty when there are no arguments (kernel thread, zombie)
   */
  public static Optional<Cmdline> joined(byte[] buf, int length, int maxBytes) {
    if (maxBytes < ELLIPSIS.length()) {
      throw new IllegalArgumentException("maxBytes must leave room for the ellipsis: " + maxBytes);
    }
    int end = length;
    while (end > 0 && buf[end - 1] == 0) {
      end--;
    }
    if (end == 0) {
      return Optional.empty();
    }
    byte[] copy = new byte[end];
    for (int i = 0; i < end; i++) {
      copy[i] = buf[i] == 0 ? (byte) ' ' : buf[i];
    }
    // Decode first: invalid UTF-8 becomes U+FFFD, so the limit is checked on what is emitted.
    String text = new String(copy, StandardCharsets.UTF_8);
    if (utf8Length(text, text.length()) <= maxBytes) {
      return Optional.of(new Cmdline(text, false));
    }
    int budget = maxBytes - ELLIPSIS.length();
    int cut = 0;
    int bytes = 0;
    while (cut < text.length()) {
      int cp = text.codePointAt(cut);
      int n = utf8Length(cp);
      if (bytes + n > budget) {
        break;
      }
      bytes += n;
      cut += Character.charCount(cp);
    }
    return Optional.of(new Cmdline(text.substring(0, cut) + ELLIPSIS, true));
  }

  private static int utf8Length(String s, int end) {
    int bytes = 0;
    for (int i = 0; i < end; ) {
      int cp = s.codePointAt(i);
      bytes += utf8Length(cp);
      i += Character.charCount(cp);
    }
    return bytes;
  }

  private static int utf8Length(int codePoint) {
    if (codePoint < 0x80) {
      return 1;
    }
    if (codePoint < 0x800) {
      return 2;
    }
    return codePoint < 0x10000 ? 3 : 4;
  }
}
