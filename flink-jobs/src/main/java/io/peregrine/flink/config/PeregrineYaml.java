package io.peregrine.flink.config;

import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.slo.SloConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The sections of {@code peregrine.yaml} the Flink jobs read: {@code slo:} ({@link SloConfig}),
 * {@code incidents:} ({@link IncidentConfig}) and {@code notify.pagerduty:} ({@link PagerDutyConfig}).
 * Other sections belong to other components.
 */
public record PeregrineYaml(SloConfig slo, IncidentConfig incidents, Optional<PagerDutyConfig> pagerDuty) {

    public static PeregrineYaml defaults() {
        return new PeregrineYaml(SloConfig.defaults(), IncidentConfig.defaults(), Optional.empty());
    }

    public static PeregrineYaml parse(String yaml) {
        return new PeregrineYaml(SloConfig.fromYaml(yaml), IncidentConfig.fromYaml(yaml), PagerDutyConfig.fromYaml(yaml));
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
