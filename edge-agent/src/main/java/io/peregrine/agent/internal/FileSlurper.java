package io.peregrine.agent.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads whole small files into one reusable buffer. procfs files report a size of 0, so they are
 * read until end of file; the buffer grows by doubling up to a cap and is then kept, so a scan of
 * thousands of /proc/&lt;pid&gt; files allocates nothing per file beyond the stream.
 *
 * <p>Not thread-safe: one per collector thread. The content is valid until the next read.
 */
public final class FileSlurper {

  /** Larger than /proc/net/tcp6 of a host with 100,000 sockets (~150 bytes per line). */
  public static final int DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

  private final int maxBytes;
  private byte[] buf;
  private int length;
  private boolean capped;

  public FileSlurper(int initialBytes, int maxBytes) {
    if (initialBytes <= 0 || maxBytes < initialBytes) {
      throw new IllegalArgumentException("need 0 < initialBytes <= maxBytes");
    }
    this.buf = new byte[initialBytes];
    this.maxBytes = maxBytes;
  }

  public FileSlurper() {
    this(64 * 1024, DEFAULT_MAX_BYTES);
  }

  /**
   * Reads {@code path} into the buffer.
   *
   * @return the number of bytes read; when the file is larger than the cap, the first
   *     {@code maxBytes} bytes and {@link #capped()} is true (parsers then see a truncated tail)
   */
  public int read(Path path) throws IOException {
    length = 0;
    capped = false;
    try (InputStream in = Files.newInputStream(path)) {
      while (true) {
        if (length == buf.length) {
          if (buf.length >= maxBytes) {
            capped = in.read() >= 0;
            return length;
          }
          byte[] bigger = new byte[(int) Math.min((long) buf.length * 2, maxBytes)];
          System.arraycopy(buf, 0, bigger, 0, length);
          buf = bigger;
        }
        int n = in.read(buf, length, buf.length - length);
        if (n < 0) {
          return length;
        }
        length += n;
      }
    }
  }

  public byte[] buffer() {
    return buf;
  }

  public int length() {
    return length;
  }

  public boolean capped() {
    return capped;
  }
}
