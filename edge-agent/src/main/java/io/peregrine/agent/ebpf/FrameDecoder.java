package io.peregrine.agent.ebpf;

import static io.peregrine.agent.ebpf.RecordLayout.FRAME_PREFIX;
import static io.peregrine.agent.ebpf.RecordLayout.HDR_MAGIC;
import static io.peregrine.agent.ebpf.RecordLayout.HDR_RECORD_SIZE;
import static io.peregrine.agent.ebpf.RecordLayout.HDR_SIZE;
import static io.peregrine.agent.ebpf.RecordLayout.MAGIC;
import static io.peregrine.agent.ebpf.RecordLayout.MAX_FRAME;

import io.peregrine.agent.ebpf.MalformedRecordException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts the loader's byte stream into frames ({@code u32 length | record}) and hands each decoded
 * record to a sink. Never throws on bad input: a frame that is well delimited but unreadable is
 * skipped and counted; a corrupt length or header makes it resynchronise byte by byte on the next
 * plausible frame (length in range, magic, header size equal to the length), counting one problem
 * per corrupt stretch and every skipped byte.
 *
 * <p>One thread feeds it; the counters may be read from any thread. Bytes go straight from the
 * stream into one reused buffer and records are read in place, so the only allocations per record
 * are the record itself and its payload copies.
 */
public final class FrameDecoder {

  private static final Logger log = LoggerFactory.getLogger(FrameDecoder.class);

  /** Where decoded records go. Called on the feeding thread; should not block for long. */
  @FunctionalInterface
  public interface Sink {
    void accept(SensorRecord record);
  }

  private static final int CAPACITY = 256 * 1024 + FRAME_PREFIX + MAX_FRAME;

  private final Sink sink;
  private final byte[] array = new byte[CAPACITY];
  private final ByteBuffer buf = ByteBuffer.wrap(array).order(ByteOrder.LITTLE_ENDIAN);
  private int start; // first unparsed byte
  private int end; // one past the last byte read
  private boolean resyncing;
  private KernelClock clock;

  private final AtomicLongArray problems = new AtomicLongArray(Reason.values().length);
  private volatile long records;
  private volatile long skippedBytes;
  private boolean listenerFailureLogged;

  /** @param clock used until the stream's HELLO record brings the loader's own clock pair */
  public FrameDecoder(Sink sink, KernelClock clock) {
    this.sink = sink;
    this.clock = clock;
  }

  /**
   * Reads once from {@code in} (blocking as its read does) and decodes every complete frame.
   *
   * @return the bytes read, or -1 at the end of the stream
   */
  public int readFrom(InputStream in) throws IOException {
    ensureSpace();
    int n = in.read(array, end, array.length - end);
    if (n > 0) {
      end += n;
      decode();
    }
    return n;
  }

  /** Decodes {@code len} bytes from {@code src} (for tests and for other transports). */
  public void feed(byte[] src, int off, int len) {
    while (len > 0) {
      ensureSpace();
      int n = Math.min(len, array.length - end);
      System.arraycopy(src, off, array, end, n);
      end += n;
      off += n;
      len -= n;
      decode();
    }
  }

  /** The stream ended: bytes of an incomplete frame are dropped and counted. */
  public void endOfStream() {
    if (end > start) {
      if (!resyncing) {
        problems.incrementAndGet(Reason.TRUNCATED_AT_END.ordinal());
      }
      skippedBytes += end - start;
    }
    start = 0;
    end = 0;
    resyncing = false;
  }

  private void decode() {
    while (end - start >= FRAME_PREFIX) {
      int len = buf.getInt(start);
      if (len < HDR_SIZE || len > MAX_FRAME) {
        skip(Reason.CORRUPT_LENGTH);
        continue;
      }
      if (end - start < FRAME_PREFIX + HDR_SIZE) {
        break;
      }
      int rec = start + FRAME_PREFIX;
      if ((buf.getShort(rec + HDR_MAGIC) & 0xffff) != MAGIC) {
        skip(Reason.BAD_MAGIC);
        continue;
      }
      if (buf.getInt(rec + HDR_RECORD_SIZE) != len) {
        skip(Reason.SIZE_MISMATCH);
        continue;
      }
      if (end - start < FRAME_PREFIX + len) {
        break;
      }
      resyncing = false;
      start += FRAME_PREFIX + len;
      decodeRecord(rec, len);
    }
    compact();
  }

  private void decodeRecord(int rec, int len) {
    SensorRecord record;
    try {
      record = RecordReader.read(buf, rec, len, clock);
    } catch (MalformedRecordException e) {
      problems.incrementAndGet(e.reason().ordinal());
      log.debug("Skipping sensor frame: {}", e.getMessage());
      return;
    }
    if (record instanceof LoaderHello hello) {
      clock = hello.clock();
    }
    records = records + 1; // single writer
    try {
      sink.accept(record);
    } catch (RuntimeException e) {
      problems.incrementAndGet(Reason.LISTENER_FAILED.ordinal());
      if (!listenerFailureLogged) {
        listenerFailureLogged = true;
        log.warn("A sensor listener threw on {} (further failures are only counted)",
            record.getClass().getSimpleName(), e);
      }
    }
  }

  /** One byte forward, looking for the next plausible frame; one problem per corrupt stretch. */
  private void skip(Reason reason) {
    if (!resyncing) {
      resyncing = true;
      problems.incrementAndGet(reason.ordinal());
    }
    start++;
    skippedBytes = skippedBytes + 1;
  }

  /**
   * decode() leaves either no partial frame or one shorter than MAX_FRAME with room after it, so
   * the buffer is never full here; should that invariant break, drop the bytes rather than spin.
   */
  private void ensureSpace() {
    if (end == array.length) {
      compact();
      if (end == array.length) {
        problems.incrementAndGet(Reason.CORRUPT_LENGTH.ordinal());
        skippedBytes += end - start;
        start = 0;
        end = 0;
      }
    }
  }

  private void compact() {
    if (start == end) {
      start = 0;
      end = 0;
    } else if (start > 0 && array.length - end < FRAME_PREFIX + MAX_FRAME) {
      System.arraycopy(array, start, array, 0, end - start);
      end -= start;
      start = 0;
    }
  }

  public long records() {
    return records;
  }

  public long skippedBytes() {
    return skippedBytes;
  }

  public long problems(Reason reason) {
    return problems.get(reason.ordinal());
  }

  public long totalProblems() {
    long total = 0;
    for (int i = 0; i < problems.length(); i++) {
      total += problems.get(i);
    }
    return total;
  }

  /** Non-zero problem counts. */
  public Map<Reason, Long> problemCounts() {
    Map<Reason, Long> counts = new EnumMap<>(Reason.class);
    for (Reason r : Reason.values()) {
      long n = problems.get(r.ordinal());
      if (n > 0) {
        counts.put(r, n);
      }
    }
    return counts;
  }
}
