package io.peregrine.flink.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.PeregrineYaml;
import io.peregrine.schema.Severity;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AnomalyConfigTest {

    @Test
    void shouldReadTheSectionOverDefaults() {
        AnomalyConfig c = AnomalyConfig.fromYaml("""
                anomaly:
                  threshold: 6
                  recovery_threshold: 2.5
                  trigger_windows: 4
                  min_requests: 50
                  severity: page
                  state_ttl: 7d
                """);
        assertThat(c.threshold()).isEqualTo(6);
        assertThat(c.recoveryThreshold()).isEqualTo(2.5);
        assertThat(c.triggerWindows()).isEqualTo(4);
        assertThat(c.recoveryWindows()).isEqualTo(6);
        assertThat(c.minRequests()).isEqualTo(50);
        assertThat(c.severity()).isEqualTo(Severity.PAGE);
        assertThat(c.stateTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(AnomalyConfig.fromYaml("slo: {}\n")).isEqualTo(AnomalyConfig.defaults());
        assertThat(AnomalyConfig.fromYaml("anomaly: {threshold: 2}\n").recoveryThreshold()).isEqualTo(2);
        assertThat(AnomalyConfig.fromYaml("anomaly: {enabled: false}\n").enabled()).isFalse();
        assertThat(PeregrineYaml.parse("anomaly: {threshold: 7}\n").anomaly().threshold()).isEqualTo(7);
    }

    @Test
    void shouldRefuseBadValuesNamingTheKey() {
        bad("anomaly: {thresold: 5}\n", "anomaly.thresold");
        bad("anomaly: {threshold: -1}\n", "anomaly.threshold");
        bad("anomaly: {threshold: high}\n", "anomaly.threshold");
        bad("anomaly: {threshold: 3, recovery_threshold: 4}\n", "anomaly.recovery_threshold");
        bad("anomaly: {trigger_windows: 0}\n", "anomaly.trigger_windows");
        bad("anomaly: {min_requests: -5}\n", "anomaly.min_requests");
        bad("anomaly: {warmup_windows: 100, history_windows: 50}\n", "anomaly.warmup_windows");
        bad("anomaly: {severity: urgent}\n", "anomaly.severity");
        bad("anomaly: {severity: unknown}\n", "anomaly.severity");
        bad("anomaly: {state_ttl: 0s}\n", "anomaly.state_ttl");
        bad("anomaly: {state_ttl: 1m, resolve_after_silence: 5m}\n", "anomaly.state_ttl");
        bad("anomaly: {enabled: maybe}\n", "anomaly.enabled");
        bad("anomaly: [1]\n", "anomaly");
    }

    private static void bad(String yaml, String key) {
        assertThatThrownBy(() -> AnomalyConfig.fromYaml(yaml)).as(yaml).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
    }
}
