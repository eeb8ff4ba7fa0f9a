package io.peregrine.registry.internal.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a raw request path into percent-decoded segments. Splitting happens before decoding, so
 * {@code /subjects/a%2Fb/versions} has the subject {@code a/b}; {@code +} stays a plus sign (it
 * only means space in query strings).
 */
public final class PathDecoder {

  private PathDecoder() {}

  /**
   * @throws IllegalArgumentException for a malformed escape such as {@code %zz} or a trailing {@code %}
   */
  public static List<String> segments(String rawPath) {
    String path = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
    List<String> out = new ArrayList<>();
    if (path.isEmpty()) {
      return out;
    }
    for (String segment : path.split("/", -1)) {
      out.add(decode(segment));
    }
    // A single trailing slash is tolerated: /subjects/ is /subjects.
    if (out.size() > 0 && out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1);
    }
    return out;
  }

  static String decode(String segment) {
    if (segment.indexOf('%') < 0 && segment.chars().allMatch(c -> c < 0x80)) {
      return segment;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '%') {
        if (i + 2 >= segment.length()) {
          throw new IllegalArgumentException("truncated escape in path segment '" + segment + "'");
        }
        int hi = Character.digit(segment.charAt(i + 1), 16);
        int lo = Character.digit(segment.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("bad escape in path segment '" + segment + "'");
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c < 0x100) {
        // The request line is read as ISO-8859-1: each char is one raw byte of the UTF-8 path.
        bytes.write(c);
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
