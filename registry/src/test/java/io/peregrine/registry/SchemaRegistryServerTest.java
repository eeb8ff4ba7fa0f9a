package io.peregrine.registry;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SchemaRegistryServerTest {

  @Test
  void shouldFailToStartWithAClearErrorWhenKafkaIsUnreachable() {
    RegistryConfig config = RegistryConfig.builder()
        .bootstrapServers("127.0.0.1:1")
        .port(0)
        .initTimeout(Duration.ofMillis(1500))
        .build();

    assertThatThrownBy(() -> SchemaRegistryServer.start(config))
        .isInstanceOf(RegistryStartupException.class)
        .hasMessageContaining("_schemas")
        .hasMessageContaining("127.0.0.1:1");
  }
}
