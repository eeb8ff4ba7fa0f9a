package io.peregrine.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsAppConfigTest {

    @Test
    void shouldDefaultToTheDocumentedValues() {
        StreamsAppConfig c = StreamsAppConfig.of(Map.of());
        assertThat(c.applicationId()).isEqualTo("peregrine-streams");
        assertThat(c.windowSize()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.windowGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.defaultLatencyThresholdMs()).isEqualTo(500);
        assertThat(c.processingGuarantee()).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(c.apiHost()).isEqualTo("127.0.0.1");
        assertThat(c.apiPort()).isEqualTo(8080);
        Properties p = c.streamsProperties("127.0.0.1:8080");
        assertThat(p).containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "exactly_once_v2")
                .containsEntry(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:8080");
    }

    @Test
    void shouldParsePerApplicationThresholds() {
        StreamsAppConfig c = StreamsAppConfig.of(Map.of(StreamsAppConfig.SLO_LATENCY_THRESHOLD_OVERRIDES,
                "k8s/shop/reports=5000, systemd/kafka.service=2000"));
        TopologySettings s = c.topologySettings(3);
        assertThat(s.latencyThresholdMs("k8s/shop/reports")).isEqualTo(5000);
        assertThat(s.latencyThresholdMs("k8s/shop/checkout")).isEqualTo(500);
        assertThat(s.sourcePartitions()).isEqualTo(3);
    }

    @Test
    void shouldRejectBadValuesAndConflictsAtStartUp() {
        assertThatThrownBy(() -> StreamsAppConfig.of(Map.of(StreamsAppConfig.SLO_LATENCY_THRESHOLD_OVERRIDES, "x=fast")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("whole number");
        assertThatThrownBy(() -> StreamsAppConfig.of(Map.of(StreamsAppConfig.WINDOW_SIZE_MS, "10")))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> StreamsAppConfig.of(Map.of(StreamsAppConfig.PROCESSING_GUARANTEE, "exactly_once")))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> StreamsAppConfig.of(Map.of("streams.processing.guarantee", "at_least_once")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("processing.guarantee");
        assertThat(StreamsAppConfig.of(Map.of("streams.num.standby.replicas", "1"))
                .streamsProperties("h:1")).containsEntry("num.standby.replicas", "1");
    }
}
