package io.peregrine.flink.incident;

import static io.peregrine.flink.config.YamlNodes.integer;
import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.Durations;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.Set;

/**
 * The {@code incidents:} section of {@code peregrine.yaml}: how alerts are de-noised and grouped
 * into incidents.
 *
 * <pre>
 * incidents:
 *   evaluation_interval: 10s  # one evaluation of an alert's condition (the SLI window)
 *   fire_after: 1             # evaluations an alert must fire before it counts (1: at once)
 *   resolve_after: 3          # evaluations it must stay resolved before it counts as resolved
 *   flapping:
 *     max_changes: 4          # more firing/resolved changes than this within the window ...
 *     window: 15m             # ... mark the alert flapping and hold it open
 *   group_wait: 10s           # a new incident is first written this long after it opens, so that the
 *                             # root cause signalling in the next evaluations is in its first version (and page)
 *   group_window: 5m          # a related alert starting this long after an incident's latest one opens a new incident
 *   stale_after: 1h           # an open incident with no data this long (no alert change, no SLI window of its
 *                             # applications) is resolved as stale, saying so; less than state_ttl
 *   state_ttl: 7d             # open incidents and topology edges untouched this long are dropped (an open
 *                             # incident with a last, stale version first)
 * </pre>
 *
 * Hysteresis counts in evaluations, not alert records: alerts are written when they change, so
 * "fired for N evaluations" means "still firing {@code (N - 1) * evaluation_interval} after it
 * started", in event time (Prometheus' {@code for} and {@code keep_firing_for}).
 */
public record IncidentConfig(Duration evaluationInterval, int fireAfter, int resolveAfter, int flapMaxChanges,
                             Duration flapWindow, Duration groupWait, Duration groupWindow, Duration stateTtl,
                             Duration staleAfter)
        implements Serializable {

    public IncidentConfig {
        if (evaluationInterval.isNegative() || evaluationInterval.isZero()) {
            throw new ConfigException("incidents.evaluation_interval", Durations.format(evaluationInterval), "must be positive");
        }
        if (fireAfter < 1 || resolveAfter < 1) {
            throw new ConfigException(fireAfter < 1 ? "incidents.fire_after" : "incidents.resolve_after",
                    fireAfter < 1 ? fireAfter : resolveAfter, "must be at least 1 (1: at the first evaluation)");
        }
        if (flapMaxChanges < 1) {
            throw new ConfigException("incidents.flapping.max_changes", flapMaxChanges, "must be at least 1");
        }
        if (flapWindow.compareTo(evaluationInterval) < 0) {
            throw new ConfigException("incidents.flapping.window", Durations.format(flapWindow),
                    "must be at least evaluation_interval (" + Durations.format(evaluationInterval) + ")");
        }
        if (groupWait.isNegative()) {
            throw new ConfigException("incidents.group_wait", Durations.format(groupWait), "must not be negative");
        }
        if (groupWindow.isNegative()) {
            throw new ConfigException("incidents.group_window", Durations.format(groupWindow), "must not be negative");
        }
        if (stateTtl.compareTo(flapWindow) < 0 || stateTtl.compareTo(groupWindow) < 0) {
            throw new ConfigException("incidents.state_ttl", Durations.format(stateTtl),
                    "must be at least flapping.window and group_window");
        }
        // A stale incident must get its last version while its state is still there to write it.
        if (staleAfter.isNegative() || staleAfter.isZero() || staleAfter.compareTo(stateTtl) >= 0) {
            throw new ConfigException("incidents.stale_after", Durations.format(staleAfter),
                    "must be positive and less than state_ttl (" + Durations.format(stateTtl) + ")");
        }
    }

    public static IncidentConfig defaults() {
        return new IncidentConfig(Duration.ofSeconds(10), 1, 3, 4, Duration.ofMinutes(15), Duration.ofSeconds(10),
                Duration.ofMinutes(5), Duration.ofDays(7), STALE_AFTER);
    }

    /** Default of {@code stale_after}, or half of a shorter {@code state_ttl}. */
    static final Duration STALE_AFTER = Duration.ofHours(1);

    /**
     * How often an application that reports SLI windows tells the correlator it is alive
     * ({@code AppHeartbeats}): a few times per {@code stale_after}, so that a reporting application's
     * incident is never stale, and the correlator hears from each application rarely.
     */
    public Duration heartbeatEvery() {
        return staleAfter.dividedBy(4).isZero() ? Duration.ofMillis(1) : staleAfter.dividedBy(4);
    }

    /** How long an alert must keep firing before it counts. */
    public Duration fireDelay() {
        return evaluationInterval.multipliedBy(fireAfter - 1L);
    }

    /** How long an alert must stay resolved before it counts as resolved. */
    public Duration resolveDelay() {
        return evaluationInterval.multipliedBy(resolveAfter - 1L);
    }

    /** The {@code incidents:} section of a peregrine.yaml document; defaults when it has none. */
    public static IncidentConfig fromYaml(String yaml) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException("peregrine.yaml", null, "is not valid YAML: " + e.getMessage());
        }
        IncidentConfig d = defaults();
        JsonNode node = root == null ? null : root.get("incidents");
        if (node == null || node.isNull()) {
            return d;
        }
        String p = "incidents";
        onlyKeys(node, p, Set.of("evaluation_interval", "fire_after", "resolve_after", "flapping", "group_wait",
                "group_window", "state_ttl", "stale_after"));
        JsonNode flapping = node.get("flapping");
        Duration ttl = duration(node, p, "state_ttl", d.stateTtl());
        onlyKeys(flapping, p + ".flapping", Set.of("max_changes", "window"));
        return new IncidentConfig(
                duration(node, p, "evaluation_interval", d.evaluationInterval()),
                (int) integer(node.get("fire_after"), p + ".fire_after", d.fireAfter(), 1, 1_000),
                (int) integer(node.get("resolve_after"), p + ".resolve_after", d.resolveAfter(), 1, 1_000),
                (int) integer(flapping == null ? null : flapping.get("max_changes"), p + ".flapping.max_changes",
                        d.flapMaxChanges(), 1, 1_000),
                flapping == null ? d.flapWindow() : duration(flapping, p + ".flapping", "window", d.flapWindow()),
                duration(node, p, "group_wait", d.groupWait()),
                duration(node, p, "group_window", d.groupWindow()),
                ttl,
                duration(node, p, "stale_after",
                        ttl.compareTo(STALE_AFTER.multipliedBy(2)) < 0 ? ttl.dividedBy(2) : STALE_AFTER));
    }

    private static Duration duration(JsonNode node, String path, String key, Duration fallback) {
        String v = text(node.get(key), path + "." + key, null);
        return v == null ? fallback : Durations.parse(path + "." + key, v);
    }
}
