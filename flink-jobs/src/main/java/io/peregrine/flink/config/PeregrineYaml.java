package io.peregrine.flink.config;

import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.anomaly.AnomalyConfig;
import io.peregrine.flink.notify.NotifyConfig;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.slo.SloConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The sections of {@code peregrine.yaml} the Flink jobs read: {@code slo:} ({@link SloConfig}),
 * {@code incidents:} ({@link IncidentConfig}), {@code notify.pagerduty:} ({@link PagerDutyConfig}) and
 * the other incident receivers of {@code notify:} ({@link NotifyConfig}); {@code anomaly:}
 * ({@link AnomalyConfig}). Other sections belong to other components.
 */
public record PeregrineYaml(SloConfig slo, IncidentConfig incidents, Optional<PagerDutyConfig> pagerDuty,
                            NotifyConfig receivers, AnomalyConfig anomaly) {

    public static PeregrineYaml defaults() {
        return new PeregrineYaml(SloConfig.defaults(), IncidentConfig.defaults(), Optional.empty(), NotifyConfig.none(),
                AnomalyConfig.defaults());
    }

    /** Parses a document; {@code *_env} keys read the process environment. */
    public static PeregrineYaml parse(String yaml) {
        return parse(yaml, System.getenv());
    }

    public static PeregrineYaml parse(String yaml, Map<String, String> env) {
        return new PeregrineYaml(SloConfig.fromYaml(yaml), IncidentConfig.fromYaml(yaml), PagerDutyConfig.fromYaml(yaml),
                NotifyConfig.fromYaml(yaml, env), AnomalyConfig.fromYaml(yaml));
    }

    public static PeregrineYaml load(Optional<Path> file) {
        if (file.isEmpty()) {
            return defaults();
        }
        try {
            return parse(Files.readString(file.get()));
        } catch (IOException e) {
            throw new ConfigException("config file", file.get(), "cannot be read: " + e.getMessage());
        }
    }
}
