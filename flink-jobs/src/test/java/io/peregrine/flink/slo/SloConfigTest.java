package io.peregrine.flink.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.flink.config.ConfigException;
import io.peregrine.schema.Severity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SloConfigTest {

    @Test
    void shouldDefaultToTheWorkbookTableAndThePlatformObjectives() {
        SloConfig c = SloConfig.fromYaml("receivers: {}\n");
        assertThat(c).isEqualTo(SloConfig.defaults());
        SloConfig.AppObjectives o = c.objectivesFor("k8s/shop/checkout");
        assertThat(o.availability().objective()).isEqualTo(0.999);
        assertThat(o.availability().errorBudget()).isEqualTo(0.001);
        assertThat(o.latency().objective()).isEqualTo(0.99);
        assertThat(o.latency().errorBudget()).isEqualTo(0.01);
        assertThat(o.latencyThresholdMs()).isEqualTo(500);
        assertThat(c.tiers()).containsExactlyElementsOf(BurnRateTier.WORKBOOK);
        assertThat(c.minRequests()).isEqualTo(20);
        assertThat(c.minBadRequests()).isEqualTo(5);
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void shouldReadOverridesWithExactIdsBeforePatterns() {
        SloConfig c = SloConfig.fromYaml("""
                slo:
                  availability: {objective: 99.5}
                  latency: {objective: 95, threshold_ms: 250}
                  low_traffic: {min_requests: 50, min_bad_requests: 10}
                  burn_rate_alerts:
                    - {severity: ticket, long: 3d, short: 6h, burn_rate: 0.933}
                    - {severity: page, long: 1h, short: 5m, burn_rate: 13.44}
                  watermark: {out_of_orderness: 10s, idleness: 30s}
                  apps:
                    - match: "k8s/shop/*"
                      availability: {enabled: false}
                    - match: k8s/shop/checkout
                      availability: {objective: 99.95}
                """);
        assertThat(c.objectivesFor("k8s/shop/checkout").availability().objective()).isEqualTo(0.9995);
        assertThat(c.objectivesFor("k8s/shop/checkout").availability().enabled()).isTrue();
        assertThat(c.objectivesFor("k8s/shop/cart").availability().enabled()).isFalse();
        assertThat(c.objectivesFor("k8s/shop/cart").latency().objective()).isEqualTo(0.95);
        assertThat(c.objectivesFor("systemd/postgres.service").availability().objective()).isEqualTo(0.995);
        assertThat(c.objectivesFor("systemd/postgres.service").latencyThresholdMs()).isEqualTo(250);
        // Pages first, whatever the order in the file.
        assertThat(c.tiers()).extracting(BurnRateTier::severity).containsExactly(Severity.PAGE, Severity.TICKET);
        assertThat(c.minRequests()).isEqualTo(50);
        assertThat(c.outOfOrderness()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.idleness()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void shouldRejectTyposAndBadValuesNamingTheKey() {
        assertThatThrownBy(() -> SloConfig.fromYaml("slo:\n  availabilty: {objective: 99}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slo.availabilty");
        assertThatThrownBy(() -> SloConfig.fromYaml("slo:\n  availability: {objective: 100}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slo.availability.objective");
        assertThatThrownBy(() -> SloConfig.fromYaml("slo:\n  burn_rate_alerts:\n    - {severity: page, long: 5m, short: 1h, burn_rate: 2}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slo.burn_rate_alerts[0]");
        assertThatThrownBy(() -> SloConfig.fromYaml("slo:\n  burn_rate_alerts:\n    - {severity: urgent, long: 1h, short: 5m, burn_rate: 2}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("severity");
        assertThatThrownBy(() -> SloConfig.fromYaml("slo:\n  watermark: {idleness: soon}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slo.watermark.idleness");
        assertThatThrownBy(() -> SloConfig.fromYaml("slo:\n  apps:\n    - availability: {objective: 99}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slo.apps[0].match");
        assertThatThrownBy(() -> SloConfig.fromYaml("slo: [\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void shouldWarnAboutATierThatCanNeverFireForAnObjective() {
        // The workbook's "extreme SLOs": at 90 %, a total outage burns 10x, below the 14.4x page.
        SloConfig c = SloConfig.fromYaml("slo:\n  latency: {objective: 90}\n");
        assertThat(c.warnings()).singleElement().asString().contains("1h/5m").contains("90%");
        assertThat(SloConfig.builder().tiers(List.of(BurnRateTier.WORKBOOK.get(2))).build().warnings()).isEmpty();
    }
}
