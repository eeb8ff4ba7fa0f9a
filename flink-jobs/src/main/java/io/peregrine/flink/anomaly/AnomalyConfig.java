package io.peregrine.flink.anomaly;

import static io.peregrine.flink.config.YamlNodes.bool;
import static io.peregrine.flink.config.YamlNodes.integer;
import static io.peregrine.flink.config.YamlNodes.number;
import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.Durations;
import io.peregrine.schema.Severity;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code anomaly:} section of {@code peregrine.yaml}: anomaly detection on each application's
 * request rate, error rate and p99 latency. Every key, with its default:
 *
 * <pre>
 * anomaly:
 *   enabled: true
 *   threshold: 5              # |robust z-score| at which a window is anomalous
 *   recovery_threshold: 3     # |score| under which a window counts towards recovery (value hysteresis)
 *   trigger_windows: 3        # consecutive anomalous windows before the alert fires (one spike does not page)
 *   recovery_windows: 6       # consecutive calm windows before it resolves
 *   min_requests: 20          # per SLI window: below, error rate and latency are not judged (too few samples)
 *   warmup_windows: 30        # windows of history before an application's signal is judged at all
 *   history_windows: 60       # the rolling window the median and MAD are taken over
 *   seasonal_min_days: 3      # days an hour of day must have been seen before daily seasonality is used
 *   seasonal_min_weeks: 2     # weeks an hour of week must have been seen before weekly seasonality is used
 *   severity: ticket          # of the ANOMALY alerts: page, ticket or info
 *   state_ttl: 3d             # an application silent this long is forgotten (baselines included)
 *   resolve_after_silence: 5m # a firing anomaly of an application that stops sending windows resolves after this
 * </pre>
 */
public record AnomalyConfig(boolean enabled, double threshold, double recoveryThreshold, int triggerWindows,
                            int recoveryWindows, long minRequests, int warmupWindows, int historyWindows,
                            int seasonalMinDays, int seasonalMinWeeks, Severity severity, Duration stateTtl,
                            Duration resolveAfterSilence) implements Serializable {

    public AnomalyConfig {
        if (!(recoveryThreshold > 0) || recoveryThreshold > threshold) {
            throw new ConfigException("anomaly.recovery_threshold", recoveryThreshold,
                    "must be positive and at most threshold (" + threshold + ")");
        }
        if (warmupWindows > historyWindows) {
            throw new ConfigException("anomaly.warmup_windows", warmupWindows,
                    "must be at most history_windows (" + historyWindows + ")");
        }
        if (stateTtl.compareTo(resolveAfterSilence) <= 0) {
            throw new ConfigException("anomaly.state_ttl", Durations.format(stateTtl),
                    "must be longer than resolve_after_silence (" + Durations.format(resolveAfterSilence) + ")");
        }
    }

    public static AnomalyConfig defaults() {
        return new AnomalyConfig(true, 5, 3, 3, 6, 20, 30, 60, 3, 2, Severity.TICKET, Duration.ofDays(3),
                Duration.ofMinutes(5));
    }

    public static AnomalyConfig fromYaml(String yaml) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException("peregrine.yaml", null, "is not valid YAML: " + e.getMessage());
        }
        JsonNode a = root == null || root.isMissingNode() ? null : root.get("anomaly");
        AnomalyConfig d = defaults();
        if (a == null || a.isNull()) {
            return d;
        }
        String p = "anomaly";
        onlyKeys(a, p, Set.of("enabled", "threshold", "recovery_threshold", "trigger_windows", "recovery_windows",
                "min_requests", "warmup_windows", "history_windows", "seasonal_min_days", "seasonal_min_weeks",
                "severity", "state_ttl", "resolve_after_silence"));
        double threshold = positive(a, p + ".threshold", d.threshold());
        String sev = text(a.get("severity"), p + ".severity", "ticket").toUpperCase(Locale.ROOT);
        Severity severity;
        try {
            severity = Severity.valueOf(sev);
        } catch (IllegalArgumentException e) {
            severity = Severity.UNKNOWN;
        }
        if (severity == Severity.UNKNOWN) {
            throw new ConfigException(p + ".severity", sev.toLowerCase(Locale.ROOT), "must be page, ticket or info");
        }
        return new AnomalyConfig(bool(a.get("enabled"), p + ".enabled", true), threshold,
                positive(a, p + ".recovery_threshold", Math.min(d.recoveryThreshold(), threshold)),
                (int) integer(a.get("trigger_windows"), p + ".trigger_windows", d.triggerWindows(), 1, 1_000),
                (int) integer(a.get("recovery_windows"), p + ".recovery_windows", d.recoveryWindows(), 1, 1_000),
                integer(a.get("min_requests"), p + ".min_requests", d.minRequests(), 0, Long.MAX_VALUE),
                (int) integer(a.get("warmup_windows"), p + ".warmup_windows", d.warmupWindows(), 3, 10_000),
                (int) integer(a.get("history_windows"), p + ".history_windows", d.historyWindows(), 5, 10_000),
                (int) integer(a.get("seasonal_min_days"), p + ".seasonal_min_days", d.seasonalMinDays(), 1, 365),
                (int) integer(a.get("seasonal_min_weeks"), p + ".seasonal_min_weeks", d.seasonalMinWeeks(), 1, 52),
                severity, duration(a, p, "state_ttl", d.stateTtl()),
                duration(a, p, "resolve_after_silence", d.resolveAfterSilence()));
    }

    private static double positive(JsonNode node, String key, double fallback) {
        double v = number(node.get(key.substring(key.lastIndexOf('.') + 1)), key, fallback);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new ConfigException(key, v, "must be a positive number");
        }
        return v;
    }

    private static Duration duration(JsonNode node, String path, String key, Duration fallback) {
        String v = text(node.get(key), path + "." + key, null);
        Duration d = v == null ? fallback : Durations.parse(path + "." + key, v);
        if (d.isZero()) {
            throw new ConfigException(path + "." + key, v, "must be positive");
        }
        return d;
    }
}
