package io.peregrine.agent.ebpf;

import static io.peregrine.agent.ebpf.RecordLayout.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.ebpf.MalformedRecordException.Reason;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Framing over the real capture (see src/test/resources/ebpf/README.md) and over damaged input:
 * whatever the bytes, no exception escapes, every problem is counted, and good frames after a
 * damaged stretch are still read.
 */
class FrameDecoderTest {

  private static final byte[] CAPTURE = EbpfTestSupport.resource("loader-http-curl.bin");

  private static int frameCount(byte[] bytes) {
    int n = 0;
    for (int off = 0; off + 4 <= bytes.length; n++) {
      off += 4 + (bytes[off] & 0xff) + ((bytes[off + 1] & 0xff) << 8);
    }
    return n;
  }

  @Test
  void shouldDecodeEveryFrameOfTheCaptureWhateverTheChunking() {
    int frames = frameCount(CAPTURE);
    for (int chunk : new int[] {1, 3, 4, 7, 16, 113, 4096, CAPTURE.length}) {
      FrameDecoder[] d = new FrameDecoder[1];
      List<SensorRecord> records = Records.decode(CAPTURE, chunk, d);
      assertThat(records).as("chunk %d", chunk).hasSize(frames);
      assertThat(d[0].totalProblems()).isZero();
      assertThat(d[0].skippedBytes()).isZero();
    }
  }

  @Test
  void shouldReadFromAStreamLikeTheSensorDoes() throws Exception {
    List<SensorRecord> out = new ArrayList<>();
    FrameDecoder d = new FrameDecoder(out::add, new KernelClock(0, 0));
    ByteArrayInputStream in = new ByteArrayInputStream(CAPTURE);
    while (d.readFrom(in) >= 0) {
      // decode as it comes
    }
    d.endOfStream();
    assertThat(out).hasSize(frameCount(CAPTURE));
    assertThat(d.records()).isEqualTo(out.size());
  }

  @Test
  void shouldCountATruncatedLastFrameAtEveryCutWithoutThrowing() {
    List<Integer> ends = new ArrayList<>(); // offsets where a frame ends
    for (int off = 0; off + 4 <= CAPTURE.length; ) {
      off += 4 + (CAPTURE[off] & 0xff) + ((CAPTURE[off + 1] & 0xff) << 8);
      ends.add(off);
    }
    for (int cut = 0; cut <= CAPTURE.length; cut++) {
      final int at = cut;
      FrameDecoder[] d = new FrameDecoder[1];
      List<SensorRecord> records = Records.decode(Arrays.copyOf(CAPTURE, cut), 64, d);
      long complete = ends.stream().filter(e -> e <= at).count();
      boolean onBoundary = cut == 0 || ends.contains(cut);
      assertThat(records).as("cut at %d", cut).hasSize((int) complete);
      assertThat(d[0].problems(Reason.TRUNCATED_AT_END)).as("cut at %d", cut).isEqualTo(onBoundary ? 0 : 1);
      assertThat(d[0].totalProblems()).isEqualTo(d[0].problems(Reason.TRUNCATED_AT_END));
    }
  }

  @Test
  void shouldResynchroniseAfterACorruptLength() {
    byte[] good = Records.frames(
        Records.hello(0, 0),
        Records.connection(CONN_OPEN, DIR_OUTBOUND, 1, 5, 10),
        Records.connection(CONN_CLOSE, DIR_OUTBOUND, 1, 5, 20));
    byte[] damaged = good.clone();
    int second = 4 + HELLO_SIZE;
    damaged[second + 2] = 0x7f; // length of the 2nd frame becomes ~8 MB

    FrameDecoder[] d = new FrameDecoder[1];
    List<SensorRecord> records = Records.decode(damaged, 5, d);

    assertThat(records).hasSize(2);
    assertThat(records.get(1)).isInstanceOfSatisfying(ConnectionRecord.class,
        r -> assertThat(r.kind()).isEqualTo(ConnectionRecord.Kind.CLOSE));
    assertThat(d[0].problems(Reason.CORRUPT_LENGTH)).isEqualTo(1);
    assertThat(d[0].skippedBytes()).isEqualTo(4 + CONN_SIZE);
  }

  @Test
  void shouldSkipAWellFramedButUnreadableRecordAndKeepGoing() {
    var bad = Records.connection(CONN_OPEN, DIR_OUTBOUND, 1, 5, 10);
    bad.put(CONN_KIND, (byte) 99);
    byte[] bytes = Records.frames(bad, Records.connection(CONN_CLOSE, DIR_OUTBOUND, 1, 5, 20));

    FrameDecoder[] d = new FrameDecoder[1];
    List<SensorRecord> records = Records.decode(bytes, bytes.length, d);

    assertThat(records).hasSize(1);
    assertThat(d[0].problems(Reason.BAD_VALUE)).isEqualTo(1);
    assertThat(d[0].skippedBytes()).isZero();
  }

  @Test
  void shouldFindNoFrameInAnotherProtocolsBytes() {
    byte[] http = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".getBytes(US_ASCII);
    FrameDecoder[] d = new FrameDecoder[1];

    assertThat(Records.decode(http, 7, d)).isEmpty();
    assertThat(d[0].totalProblems()).isEqualTo(1); // one corrupt stretch, not one per byte
    assertThat(d[0].skippedBytes()).isEqualTo(http.length);
  }

  @Test
  void shouldNeverThrowOnRandomOrMutatedInput() {
    Random random = new Random(20_251_124);
    for (int i = 0; i < 500; i++) {
      byte[] garbage = new byte[random.nextInt(4096)];
      random.nextBytes(garbage);
      Records.decode(garbage, 1 + random.nextInt(300), null);

      byte[] mutated = CAPTURE.clone();
      for (int flips = 1 + random.nextInt(8); flips > 0; flips--) {
        mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
      }
      FrameDecoder[] d = new FrameDecoder[1];
      List<SensorRecord> records = Records.decode(mutated, 1 + random.nextInt(500), d);
      assertThat(records.size()).isLessThanOrEqualTo(frameCount(CAPTURE));
    }
  }

  @Test
  void shouldCountAThrowingListenerAndDeliverTheRest() {
    List<SensorRecord> delivered = new ArrayList<>();
    FrameDecoder d = new FrameDecoder(r -> {
      if (r instanceof ConnectionRecord c && c.kind() == ConnectionRecord.Kind.OPEN) {
        throw new IllegalStateException("listener bug");
      }
      delivered.add(r);
    }, new KernelClock(0, 0));
    byte[] bytes = Records.frames(
        Records.connection(CONN_OPEN, DIR_OUTBOUND, 1, 5, 10),
        Records.connection(CONN_CLOSE, DIR_OUTBOUND, 1, 5, 20));

    d.feed(bytes, 0, bytes.length);

    assertThat(delivered).hasSize(1);
    assertThat(d.problems(Reason.LISTENER_FAILED)).isEqualTo(1);
  }

  @Test
  void shouldUseTheLoadersClockOnceHelloArrives() {
    long mono = 5_000_000_000L;
    long wall = 1_800_000_000_000_000_000L;
    byte[] bytes = Records.frames(Records.hello(mono, wall), Records.connection(CONN_OPEN, DIR_OUTBOUND, 1, 5, mono + 42));

    List<SensorRecord> records = Records.decode(bytes, bytes.length, null);

    assertThat(((ConnectionRecord) records.get(1)).timestamp())
        .isEqualTo(java.time.Instant.ofEpochSecond(0, wall + 42));
  }
}
