package io.peregrine.flink.incident;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.flink.config.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IncidentConfigTest {

    @Test
    void shouldUseDefaultsWithoutAnIncidentsSection() {
        assertThat(IncidentConfig.fromYaml("slo: {}\n")).isEqualTo(IncidentConfig.defaults());
        assertThat(IncidentConfig.fromYaml("")).isEqualTo(IncidentConfig.defaults());
        assertThat(IncidentConfig.defaults().fireDelay()).isZero();
        assertThat(IncidentConfig.defaults().resolveDelay()).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void shouldReadEveryKey() {
        IncidentConfig c = IncidentConfig.fromYaml("""
                incidents:
                  evaluation_interval: 5s
                  fire_after: 2
                  resolve_after: 4
                  flapping: {max_changes: 6, window: 30m}
                  group_wait: 0s
                  group_window: 10m
                  state_ttl: 3d
                """);
        assertThat(c).isEqualTo(new IncidentConfig(Duration.ofSeconds(5), 2, 4, 6, Duration.ofMinutes(30), Duration.ZERO,
                Duration.ofMinutes(10), Duration.ofDays(3), Duration.ofHours(1)));
        assertThat(c.fireDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.resolveDelay()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void shouldResolveStaleIncidentsAfterAnHourByDefaultAndAlwaysBeforeTheirStateExpires() {
        assertThat(IncidentConfig.defaults().staleAfter()).isEqualTo(Duration.ofHours(1));
        assertThat(IncidentConfig.defaults().heartbeatEvery()).isEqualTo(Duration.ofMinutes(15));
        assertThat(IncidentConfig.fromYaml("incidents: {stale_after: 20m}\n").staleAfter()).isEqualTo(Duration.ofMinutes(20));
        // A state_ttl shorter than two hours: half of it, not an error for a key the user did not set.
        assertThat(IncidentConfig.fromYaml("incidents: {state_ttl: 1h}\n").staleAfter()).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void shouldRefuseUnknownKeysBadValuesAndContradictions() {
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {fire_afer: 2}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents.fire_afer");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {fire_after: 0}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents.fire_after");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {resolve_after: two}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents.resolve_after");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {flapping: {window: soon}}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents.flapping.window");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {flapping: {window: 1s}}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("evaluation_interval");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {state_ttl: 1m}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents.state_ttl");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {stale_after: 7d}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents.stale_after")
                .hasMessageContaining("less than state_ttl");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {stale_after: 0s}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents.stale_after");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: [1, 2]\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("incidents");
        assertThatThrownBy(() -> IncidentConfig.fromYaml("incidents: {group_wait: 5m\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }
}
