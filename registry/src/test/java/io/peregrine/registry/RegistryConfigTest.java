package io.peregrine.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class RegistryConfigTest {

  @Test
  void shouldApplyDefaults() {
    RegistryConfig cfg = RegistryConfig.builder().bootstrapServers("127.0.0.1:9092").build();

    assertThat(cfg.host()).isEqualTo("127.0.0.1");
    assertThat(cfg.port()).isEqualTo(8081);
    assertThat(cfg.topic()).isEqualTo("_schemas");
    assertThat(cfg.defaultCompatibility()).isEqualTo("BACKWARD");
    assertThat(cfg.transactionalId()).isEqualTo("peregrine-registry-_schemas");
    assertThat(cfg.topicReplicationFactor()).isEqualTo((short) 3);
    assertThat(cfg.maxRequestBytes()).isEqualTo(16 * 1024 * 1024);
    assertThat(cfg.bootstrapServers()).containsExactly("127.0.0.1:9092");
    assertThat(cfg.kafkaProperties()).isEmpty();
  }

  @Test
  void shouldDeriveTransactionalIdFromTopic() {
    RegistryConfig cfg = RegistryConfig.builder().bootstrapServers("k:9092").topic("_peregrine_schemas").build();

    assertThat(cfg.transactionalId()).isEqualTo("peregrine-registry-_peregrine_schemas");
  }

  @Test
  void shouldAcceptCompatibilityLevelInAnyCase() {
    RegistryConfig cfg = RegistryConfig.builder().bootstrapServers("k:9092").defaultCompatibility("full_transitive").build();

    assertThat(cfg.defaultCompatibility()).isEqualTo("FULL_TRANSITIVE");
  }

  @Test
  void shouldRejectInvalidValuesNamingTheKey() {
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("k:9092").port(70000).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("port").hasMessageContaining("70000");
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("k:9092").defaultCompatibility("SIDEWAYS").build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("schema.compatibility.level");
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("k:9092").topic("bad topic!").build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("kafkastore.topic");
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("k:9092").host("").build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("host");
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("k:9092").timeout(Duration.ZERO).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("kafkastore.timeout.ms");
  }

  @Test
  void shouldRequireBootstrapServers() {
    assertThatThrownBy(() -> RegistryConfig.builder().build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("kafkastore.bootstrap.servers");
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("").build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("kafkastore.bootstrap.servers");
  }

  @Test
  void shouldRefuseClientPropertiesTheStoreOwns() {
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("k:9092")
            .kafkaProperties(Map.of("transactional.id", "mine")).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("kafkastore.transactional.id");
    assertThatThrownBy(() -> RegistryConfig.builder().bootstrapServers("k:9092")
            .kafkaProperties(Map.of("bootstrap.servers", "other:9092")).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("conflicts");
  }

  @Test
  void shouldReadConfluentStyleProperties() {
    RegistryConfig cfg = RegistryConfig.fromProperties(Map.of(
        "listeners", "http://0.0.0.0:18081",
        "kafkastore.bootstrap.servers", "a:9092,b:9092",
        "kafkastore.topic", "_schemas2",
        "schema.compatibility.level", "full",
        "kafkastore.security.protocol", "SASL_SSL",
        "debug", "false"));

    assertThat(cfg.host()).isEqualTo("0.0.0.0");
    assertThat(cfg.port()).isEqualTo(18081);
    assertThat(cfg.bootstrapServers()).containsExactly("a:9092", "b:9092");
    assertThat(cfg.topic()).isEqualTo("_schemas2");
    assertThat(cfg.defaultCompatibility()).isEqualTo("FULL");
    assertThat(cfg.kafkaProperties()).containsExactlyEntriesOf(Map.of("security.protocol", "SASL_SSL"));
  }

  @Test
  void shouldRejectListenersTogetherWithHostOrPort() {
    assertThatThrownBy(() -> RegistryConfig.fromProperties(Map.of(
            "listeners", "http://0.0.0.0:18081", "port", "8081", "kafkastore.bootstrap.servers", "a:9092")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("listeners");
    assertThatThrownBy(() -> RegistryConfig.fromProperties(Map.of(
            "listeners", "https://0.0.0.0:18081", "kafkastore.bootstrap.servers", "a:9092")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("http://");
  }

  @Test
  void shouldNotPrintKafkaPropertyValues() {
    RegistryConfig cfg = RegistryConfig.builder().bootstrapServers("k:9092")
        .kafkaProperties(Map.of("sasl.jaas.config", "secret-password")).build();

    assertThat(cfg.toString()).contains("sasl.jaas.config").doesNotContain("secret-password");
  }
}
