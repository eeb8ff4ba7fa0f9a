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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Random;
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
      byte[] fast = AvroBinary.encode(e);
      assertThat(fast).as("event %s", e).isEqualTo(generic(e));
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
    assertThat(AvroBinary.encode(e)).isEqualTo(generic(e));
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
