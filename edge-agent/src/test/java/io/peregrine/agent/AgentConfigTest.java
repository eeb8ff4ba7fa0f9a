package io.peregrine.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.agent.AgentConfig.EbpfMode;
import io.peregrine.agent.ebpf.EbpfSensorConfig;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

  @Test
  void shouldRunTheSensorWhenTheHostAllowsByDefault() {
    AgentConfig config = new AgentConfig(Map.of());
    assertThat(config.ebpfMode()).isEqualTo(EbpfMode.AUTO);
    assertThat(config.ebpfSensorConfig().enabled()).isTrue();
  }

  @Test
  void shouldPassSensorSettingsThroughAndDisableItWhenOff() {
    AgentConfig config = new AgentConfig(Map.of(AgentConfig.EBPF_MODE, "off", EbpfSensorConfig.RING_BYTES, 1 << 20));
    assertThat(config.ebpfMode()).isEqualTo(EbpfMode.OFF);
    assertThat(config.ebpfSensorConfig().enabled()).isFalse();
    assertThat(config.ebpfSensorConfig().getInt(EbpfSensorConfig.RING_BYTES)).isEqualTo(1 << 20);
    assertThat(new AgentConfig(Map.of(AgentConfig.EBPF_MODE, "on")).ebpfMode()).isEqualTo(EbpfMode.ON);
  }

  @Test
  void shouldRefuseBadSensorSettingsAtStartUp() {
    assertThatThrownBy(() -> new AgentConfig(Map.of(AgentConfig.EBPF_MODE, "yes")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(AgentConfig.EBPF_MODE);
    assertThatThrownBy(() -> new AgentConfig(Map.of(AgentConfig.EBPF_MODE, "")))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> new AgentConfig(Map.of(EbpfSensorConfig.ENABLED, "false")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(AgentConfig.EBPF_MODE);
    assertThatThrownBy(() -> new AgentConfig(Map.of(EbpfSensorConfig.RING_BYTES, 1000)))
        .isInstanceOf(ConfigException.class).hasMessageContaining(EbpfSensorConfig.RING_BYTES);
  }
}
