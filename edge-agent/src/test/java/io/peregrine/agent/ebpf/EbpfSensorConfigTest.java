package io.peregrine.agent.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class EbpfSensorConfigTest {

  @Test
  void shouldPassDefaultsToTheLoader() {
    assertThat(EbpfSensorConfig.defaults().loaderArguments()).containsExactly(
        "--capture-bytes=1024", "--ring-bytes=16777216", "--poll-ms=100", "--stats-ms=1000",
        "--max-connections=65536", "--max-inflight=4096");
  }

  @Test
  void shouldPassExplicitSettings() {
    EbpfSensorConfig c = new EbpfSensorConfig(Map.of(
        EbpfSensorConfig.CAPTURE_BYTES, "256",
        EbpfSensorConfig.WAKEUP_BYTES, "65536",
        EbpfSensorConfig.CAPTURE_UNKNOWN, "false"));
    assertThat(c.loaderArguments()).contains("--capture-bytes=256", "--wakeup-bytes=65536", "--no-capture-unknown");
  }

  @Test
  void shouldPassTheTlsChoice() {
    assertThat(new EbpfSensorConfig(Map.of(EbpfSensorConfig.TLS_ENABLED, "false")).loaderArguments())
        .contains("--no-tls").noneMatch(a -> a.startsWith("--libssl"));
    assertThat(new EbpfSensorConfig(Map.of(EbpfSensorConfig.TLS_LIBSSL, "/opt/ssl/libssl.so.3")).loaderArguments())
        .contains("--libssl=/opt/ssl/libssl.so.3").doesNotContain("--no-tls");
  }

  @Test
  void shouldPassTheAdoptionChoice() {
    assertThat(new EbpfSensorConfig(Map.of()).loaderArguments()).doesNotContain("--no-adopt");
    assertThat(new EbpfSensorConfig(Map.of(EbpfSensorConfig.ADOPT_EXISTING, "false")).loaderArguments())
        .contains("--no-adopt");
  }

  @Test
  void shouldRejectARingThatIsNotAPowerOfTwo() {
    assertThatThrownBy(() -> new EbpfSensorConfig(Map.of(EbpfSensorConfig.RING_BYTES, "3000000")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(EbpfSensorConfig.RING_BYTES);
  }

  @Test
  void shouldRejectAWakeupThresholdThatTheRingCannotReach() {
    assertThatThrownBy(() -> new EbpfSensorConfig(Map.of(
        EbpfSensorConfig.RING_BYTES, "65536", EbpfSensorConfig.WAKEUP_BYTES, "65536")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(EbpfSensorConfig.WAKEUP_BYTES);
  }

  @Test
  void shouldRejectABackoffRangeUpsideDown() {
    assertThatThrownBy(() -> new EbpfSensorConfig(Map.of(
        EbpfSensorConfig.RESTART_BACKOFF_MIN_MS, "5000", EbpfSensorConfig.RESTART_BACKOFF_MAX_MS, "1000")))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void shouldRejectACaptureAboveTheKernelBuffer() {
    assertThatThrownBy(() -> new EbpfSensorConfig(Map.of(EbpfSensorConfig.CAPTURE_BYTES, "2048")))
        .isInstanceOf(ConfigException.class);
  }
}
