package io.peregrine.agent.internal;

import java.util.Arrays;

/**
 * Extracts selected keys from "flat keyed" files — one {@code key value} pair per line, as
 * cgroup-v2.rst names the format of cpu.stat, memory.stat and memory.events, and also what
 * /proc/meminfo, /proc/&lt;pid&gt;/io and cgroup v1 memory.stat print (a trailing ':' on the key
 * is ignored, a unit after the value too).
 *
 * <p>Keys are looked up by a linear scan of the wanted set, which beats hashing for the handful of
 * keys callers want; nothing is allocated.
 */
public final class KeyedValues {

  private KeyedValues() {
  }

  /**
   * Fills {@code values[i]} with the value of {@code keys[i]}. Keys not present keep
   * {@link AsciiCursor#NO_VALUE}; so does a present key whose value is not a number, which the
   * caller can tell apart with {@link #malformed}.
   *
   * @return bit i set when {@code keys[i]} was present (at most 64 keys)
   */
  public static long parse(byte[] buf, int length, String[] keys, long[] values) {
    if (keys.length > 64 || values.length < keys.length) {
      throw new IllegalArgumentException("at most 64 keys, and one value slot per key");
    }
    Arrays.fill(values, 0, keys.length, AsciiCursor.NO_VALUE);
    long found = 0;
    AsciiCursor c = new AsciiCursor(buf, length);
    while (c.nextLine()) {
      if (!c.nextToken()) {
        continue;
      }
      for (int i = 0; i < keys.length; i++) {
        if ((found & (1L << i)) == 0 && c.tokenIsKey(keys[i])) {
          found |= 1L << i;
          values[i] = c.nextLong();
          break;
        }
      }
    }
    return found;
  }

  /** Bit i set when key i was present but its value was not a number. */
  public static long malformed(long found, long[] values) {
    long bad = 0;
    for (int i = 0; i < 64 && i < values.length; i++) {
      if ((found & (1L << i)) != 0 && values[i] == AsciiCursor.NO_VALUE) {
        bad |= 1L << i;
      }
    }
    return bad;
  }

  /** True when the content ends with an unterminated line (a short read). */
  public static boolean truncated(byte[] buf, int length) {
    return length > 0 && buf[length - 1] != '\n';
  }
}
