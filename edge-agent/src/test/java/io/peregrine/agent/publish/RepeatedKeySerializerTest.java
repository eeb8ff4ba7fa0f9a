package io.peregrine.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class RepeatedKeySerializerTest {

  @Test
  void shouldWriteWhatStringSerializerWritesWhateverTheOrderOfKeys() {
    RepeatedKeySerializer keys = new RepeatedKeySerializer();
    StringSerializer plain = new StringSerializer();
    List<String> seen = List.of("node-a", "node-a", new String("node-a"), "", "node-b", "ünï ☃ 𝄞", "\ud800", "node-a",
        "x".repeat(10_000), "");
    for (String k : seen) {
      assertThat(keys.serialize("t", k)).as(k).isEqualTo(plain.serialize("t", k));
    }
    assertThat(keys.serialize("t", null)).isNull();
  }

  @Test
  void shouldReuseTheBytesOfARepeatedKey() {
    RepeatedKeySerializer keys = new RepeatedKeySerializer();
    byte[] first = keys.serialize("t", "node-a");
    assertThat(keys.serialize("other", new String("node-a"))).isSameAs(first);
    assertThat(keys.serialize("t", "node-b")).isNotSameAs(first).isEqualTo("node-b".getBytes());
  }
}
