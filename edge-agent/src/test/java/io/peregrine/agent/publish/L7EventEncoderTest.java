package io.peregrine.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.schema.serde.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class L7EventEncoderTest {

  private static final String[] TEXTS = {"", "a", "GET", "/users/{id}", "ünïcødé ☃ 𝄞", "x".repeat(300),
      "127.0.0.1", "2001:db8::1"};

  static byte[] generic(L7Event e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(L7Event.class).write(e, enc);
    enc.flush();
    return out.toByteArray();
  }

  /** Avro's GenericDatumWriter, with only the timestamp's logical type known to it. */
  static byte[] genericWriter(L7Event e) throws IOException {
    GenericData data = new GenericData();
    data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<Object>(L7Event.getClassSchema(), data).write(e, enc);
    enc.flush();
    return out.toByteArray();
  }

  /** What the encoder wrote after the header's room, which it leaves zero. */
  static byte[] datum(byte[] encoded) {
    assertThat(encoded).startsWith(0, 0, 0, 0, 0);
    return Arrays.copyOfRange(encoded, WireFormat.HEADER_SIZE, encoded.length);
  }

  static L7Event random(Random r) {
    return new L7Event(NodeId.newBuilder().setHostname(text(r)).setMachineId(text(r)).build(), text(r),
        r.nextBoolean() ? r.nextLong() : r.nextInt(3), Instant.ofEpochMilli(r.nextLong() >> 20), pick(r, Side.values()),
        pick(r, Protocol.values()), AppInstance.newBuilder().setApp(new AppId(pick(r, AppKind.values()), text(r),
            text(r), maybe(r), maybe(r), maybe(r))).setInstanceId(text(r)).build(),
        r.nextInt(), maybe(r), maybe(r), maybe(r), text(r), r.nextBoolean() ? null : r.nextInt(), r.nextBoolean(),
        r.nextLong(), r.nextLong(), r.nextBoolean() ? 0L : Long.MAX_VALUE, text(r), r.nextInt(65536), text(r),
        r.nextBoolean() ? Integer.MIN_VALUE : 65535, maybe(r), r.nextBoolean() ? null : r.nextInt(), r.nextBoolean(),
        maybe(r), null, null);
  }

  @Test
  void shouldWriteTheSameBytesAsTheGenericWriter() throws IOException {
    assertThat(L7EventEncoder.SUPPORTED).isTrue();
    Random r = new Random(7);
    for (int i = 0; i < 5_000; i++) {
      L7Event e = random(r);
      assertThat(L7EventEncoder.handles(e)).isTrue();
      byte[] fast = datum(AvroBinary.encode(e));
      assertThat(fast).as("event %s", e).isEqualTo(generic(e));
      assertThat(fast).as("event %s", e).isEqualTo(genericWriter(e));
      L7Event back = new SpecificDatumReader<>(L7Event.class).read(null,
          DecoderFactory.get().binaryDecoder(fast, null));
      assertThat(back).isEqualTo(e);
    }
  }

  @Test
  void shouldLeaveEventsWithDetailsToTheGenericWriter() throws IOException {
    L7Event e = random(new Random(1));
    e.setProtocol(Protocol.DNS);
    e.setDns(DnsDetails.newBuilder().setQuestionName("example.com").setQuestionType("A").setRcode("NOERROR")
        .setAnswerIps(List.of("93.184.216.34")).build());
    assertThat(L7EventEncoder.handles(e)).isFalse();
    assertThat(datum(AvroBinary.encode(e))).isEqualTo(generic(e));
  }

  @Test
  void shouldWriteBoundaryValuesAndNullsAsAvroDoes() throws IOException {
    long[] longs = {0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1, 1L << 62, -(1L << 62)};
    int[] ints = {0, 1, -1, 63, 64, -65, 65535, Integer.MAX_VALUE, Integer.MIN_VALUE};
    String[] strings = {"", "\u0000", "\u007f", "\u0080", "\u00ff", "\u07ff", "\u0800", "\uffff", "\ud83d\ude00",
        "\ud800", "a\udc00b", "é".repeat(600), "x".repeat(70_000)};
    Random r = new Random(11);
    for (int i = 0; i < 400; i++) {
      L7Event e = random(r);
      long l = longs[i % longs.length];
      int n = ints[i % ints.length];
      String t = strings[i % strings.length];
      e.setSeq(l);
      e.setLatencyNs(l);
      e.setRequestBytes(-l);
      e.setTimestamp(Instant.ofEpochMilli(l));
      e.setPid(n);
      e.setClientPort(n);
      e.setStatusCode(i % 3 == 0 ? null : n);
      e.setActualServerPort(i % 2 == 0 ? null : n);
      e.setResource(i % 4 == 0 ? null : t);
      e.setMethod(i % 5 == 0 ? null : t);
      e.setServerName(t);
      e.setStatus(t);
      e.setTraceparent(i % 2 == 1 ? null : t);
      e.getInstance().getApp().setNamespace(i % 3 == 1 ? null : t);
      e.getNode().setHostname(t);
      assertThat(datum(AvroBinary.encode(e))).as("case %d", i).isEqualTo(genericWriter(e)).isEqualTo(generic(e));
    }
  }

  @Test
  void shouldReuseItsBufferWithoutLeakingTheLongerPreviousEvent() throws IOException {
    L7EventEncoder encoder = new L7EventEncoder();
    L7Event big = random(new Random(3));
    big.setResource("r".repeat(5_000));
    L7Event small = random(new Random(4));
    small.setResource(null);
    byte[] first = encoder.encode(big);
    byte[] second = encoder.encode(small);
    assertThat(datum(first)).isEqualTo(generic(big));
    assertThat(datum(second)).isEqualTo(generic(small));
    assertThat(datum(encoder.encode(big))).isEqualTo(datum(first));
  }

  private static String text(Random r) {
    return TEXTS[r.nextInt(TEXTS.length)];
  }

  private static String maybe(Random r) {
    return r.nextBoolean() ? null : text(r);
  }

  private static <T> T pick(Random r, T[] values) {
    return values[r.nextInt(values.length)];
  }
}
