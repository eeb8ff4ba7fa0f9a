package io.peregrine.agent.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads whole small files into one reusable buffer. procfs files report a size of 0, so they are
 * read until end of file; the buffer grows by doubling up to a cap and is then kept, so a scan of
 * thousands of /proc/&lt;pid&gt; files allocates nothing per file beyond the stream.
 *
 * <p>Files read at every scan can be kept open ({@link #keepOpen}, {@link #readKept}) and read
 * again from offset 0: on procfs and cgroupfs a read at offset 0 makes the kernel render the
 * content afresh, and it spares the path walk of an open, which is most of the cost of a small
 * file (on this project's 2-core VM: /proc/&lt;pid&gt;/stat 11 us opened, read and closed, 4.6 us
 * read again; a file on ext4 5.5 and 0.8 us). A kept file stays the file its path named when
 * opened, which is what these filesystems guarantee for as long as it is worth reading: a pid
 * reused by a new process is a new /proc/&lt;pid&gt; whose files the old handle does not read (ESRCH),
 * a removed cgroup's files fail (ENODEV). A failed read of a kept file closes it and opens the
 * path again, so that failure is the path's own. Files not read between two {@link #sweep}s
 * are closed.
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
  private ByteBuffer view;
  /** Open files by path, and the sweep during which each was last read; null unless kept. */
  private Map<Path, Kept> kept;
  private int maxKept;
  private long sweeps;

  private static final class Kept {
    final FileChannel channel;
    long readSweep;

    Kept(FileChannel channel, long readSweep) {
      this.channel = channel;
      this.readSweep = readSweep;
    }
  }

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

  /**
   * Keeps up to {@code maxFiles} files read by {@link #readKept} open between reads; 0 keeps
   * none (and closes those kept).
   */
  public void keepOpen(int maxFiles) {
    if (maxFiles <= 0) {
      closeKept();
      kept = null;
    } else if (kept == null) {
      kept = new HashMap<>();
    }
    maxKept = Math.max(0, maxFiles);
  }

  /**
   * Reads {@code path} like {@link #read}, through a file kept open from an earlier call when
   * keeping is on (and there is room for one more), read again from offset 0.
   */
  public int readKept(Path path) throws IOException {
    if (kept == null) {
      return read(path);
    }
    Kept k = kept.get(path);
    if (k != null) {
      try {
        int n = readAt0(k.channel);
        k.readSweep = sweeps;
        return n;
      } catch (IOException e) {
        // The process or cgroup behind the handle is gone (ESRCH, ENODEV), or it cannot be read
        // any more: what the path says now is the answer.
        kept.remove(path);
        closeQuietly(k.channel);
      }
    }
    if (kept.size() >= maxKept) {
      return read(path);
    }
    FileChannel channel = FileChannel.open(path);
    int n;
    try {
      n = readAt0(channel);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
    kept.put(path, new Kept(channel, sweeps));
    return n;
  }

  /** Closes the kept files not read since the previous sweep. */
  public void sweep() {
    if (kept == null) {
      return;
    }
    for (Iterator<Kept> it = kept.values().iterator(); it.hasNext(); ) {
      Kept k = it.next();
      if (k.readSweep < sweeps) {
        closeQuietly(k.channel);
        it.remove();
      }
    }
    sweeps++;
  }

  /** Files kept open now. */
  public int keptFiles() {
    return kept == null ? 0 : kept.size();
  }

  /** Closes every kept file; keeping stays on. */
  public void closeKept() {
    if (kept != null) {
      kept.values().forEach(k -> closeQuietly(k.channel));
      kept.clear();
    }
  }

  private int readAt0(FileChannel channel) throws IOException {
    length = 0;
    capped = false;
    while (true) {
      if (length == buf.length) {
        if (buf.length >= maxBytes) {
          capped = channel.read(ByteBuffer.allocate(1), length) > 0;
          return length;
        }
        byte[] bigger = new byte[(int) Math.min((long) buf.length * 2, maxBytes)];
        System.arraycopy(buf, 0, bigger, 0, length);
        buf = bigger;
      }
      if (view == null || view.array() != buf) {
        view = ByteBuffer.wrap(buf);
      }
      view.limit(buf.length).position(length);
      int n = channel.read(view, length);
      if (n <= 0) {
        return length;
      }
      length += n;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing held: the descriptor is released whatever close reports
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
