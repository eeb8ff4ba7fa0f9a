package io.peregrine.flink.slo;

import static io.peregrine.flink.config.YamlNodes.bool;
import static io.peregrine.flink.config.YamlNodes.integer;
import static io.peregrine.flink.config.YamlNodes.join;
import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.Durations;
import io.peregrine.schema.Severity;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code slo:} section of {@code peregrine.yaml}: objectives per application, the burn-rate
 * table and the low-traffic guard. Every key, its type, default and meaning:
 *
 * <pre>
 * slo:
 *   availability:
 *     objective: 99.9          # percent of requests that must not be errors, in (0, 100)
 *     enabled: true
 *   latency:
 *     objective: 99            # percent of requests that must be fast, in (0, 100)
 *     threshold_ms: 500        # what fast means; applied where the SLIs are computed (the Streams
 *                              # stage counts latency_good against it), quoted in alert texts
 *     enabled: true
 *   low_traffic:               # no tier fires unless its short window has at least
 *     min_requests: 20         #   this many requests
 *     min_bad_requests: 5      #   and this many bad ones: a handful of requests never pages
 *   burn_rate_alerts:          # default: SRE workbook table 5-8 (30-day budget), as below
 *     - {severity: page,   long: 1h, short: 5m,  burn_rate: 14.4}
 *     - {severity: page,   long: 6h, short: 30m, burn_rate: 6}
 *     - {severity: ticket, long: 3d, short: 6h,  burn_rate: 1}
 *   watermark:
 *     out_of_orderness: 30s    # how late an SLI window may arrive after later ones and still count in order
 *     idleness: 1m             # a partition without records this long stops holding event time back
 *   apps:                      # overrides; the first rule whose match fits wins, exact ids before patterns
 *     - match: k8s/shop/checkout          # an application id, or a pattern where * matches anything
 *       availability: {objective: 99.95}
 *       latency: {objective: 99.5}
 *     - match: "k8s/batch/*"
 *       availability: {enabled: false}
 *       latency: {enabled: false}
 * </pre>
 *
 * Unknown keys inside {@code slo:} are errors (a typo must not silently mean "default"); other
 * top-level sections of the file belong to other components and are ignored here. Cross-field rules
 * (checked once, here): short window shorter than long; a tier whose threshold can never be reached
 * with an objective (burn_rate x (1 - objective) >= 1, the workbook's "extreme SLOs" case) is a
 * warning at start-up.
 */
public final class SloConfig implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(SloConfig.class);

    public static final Objective DEFAULT_AVAILABILITY = Objective.percent("99.9", true);
    public static final Objective DEFAULT_LATENCY = Objective.percent("99", true);
    public static final long DEFAULT_LATENCY_THRESHOLD_MS = 500;
    public static final long DEFAULT_MIN_REQUESTS = 20;
    public static final long DEFAULT_MIN_BAD_REQUESTS = 5;
    public static final Duration DEFAULT_OUT_OF_ORDERNESS = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLENESS = Duration.ofMinutes(1);

    /** Objectives in force for one application. */
    public record AppObjectives(Objective availability, Objective latency, long latencyThresholdMs) implements Serializable {
    }

    /** One {@code apps:} rule; null fields inherit the defaults. */
    public record AppRule(String match, Objective availability, Objective latency, Long latencyThresholdMs)
            implements Serializable {
        boolean isPattern() {
            return match.contains("*");
        }

        boolean matches(String appId) {
            if (!isPattern()) {
                return match.equals(appId);
            }
            StringBuilder regex = new StringBuilder();
            for (String part : match.split("\\*", -1)) {
                if (!regex.isEmpty()) {
                    regex.append(".*");
                }
                regex.append(Pattern.quote(part));
            }
            return appId.matches(regex.toString());
        }
    }

    private final AppObjectives defaults;
    private final List<AppRule> rules;
    private final List<BurnRateTier> tiers;
    private final long minRequests;
    private final long minBadRequests;
    private final Duration outOfOrderness;
    private final Duration idleness;

    private SloConfig(AppObjectives defaults, List<AppRule> rules, List<BurnRateTier> tiers, long minRequests,
                      long minBadRequests, Duration outOfOrderness, Duration idleness) {
        this.defaults = defaults;
        // Exact ids first, then patterns, each in file order: the most specific rule wins.
        List<AppRule> ordered = new ArrayList<>(rules);
        ordered.sort(Comparator.comparing(AppRule::isPattern));
        this.rules = List.copyOf(ordered);
        // Suppression order: pages before tickets, then as written.
        List<BurnRateTier> sorted = new ArrayList<>(tiers);
        sorted.sort(Comparator.comparingInt(BurnRateTier::rank));
        this.tiers = List.copyOf(sorted);
        this.minRequests = minRequests;
        this.minBadRequests = minBadRequests;
        this.outOfOrderness = outOfOrderness;
        this.idleness = idleness;
        if (tiers.isEmpty()) {
            throw new ConfigException("slo.burn_rate_alerts", "[]", "needs at least one tier");
        }
    }

    /** Everything at its default. */
    public static SloConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code slo:} section of a peregrine.yaml file; defaults when the file has none. */
    public static SloConfig load(Path file) {
        try {
            return fromYaml(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("config file", file, "cannot be read: " + e.getMessage());
        }
    }

    /** The {@code slo:} section of a peregrine.yaml document; defaults when it has none. */
    public static SloConfig fromYaml(String yaml) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException("peregrine.yaml", null, "is not valid YAML: " + e.getMessage());
        }
        Builder b = builder();
        JsonNode slo = root == null ? null : root.get("slo");
        if (slo == null || slo.isNull() || root.isMissingNode()) {
            return b.build();
        }
        onlyKeys(slo, "slo", Set.of("availability", "latency", "low_traffic", "burn_rate_alerts", "watermark", "apps"));
        b.availability = objective(slo.get("availability"), "slo.availability", DEFAULT_AVAILABILITY, false);
        b.latency = objective(slo.get("latency"), "slo.latency", DEFAULT_LATENCY, true);
        JsonNode latency = slo.get("latency");
        if (latency != null) {
            b.latencyThresholdMs = integer(latency.get("threshold_ms"), "slo.latency.threshold_ms",
                    DEFAULT_LATENCY_THRESHOLD_MS, 1, 3_600_000);
        }
        JsonNode traffic = slo.get("low_traffic");
        onlyKeys(traffic, "slo.low_traffic", Set.of("min_requests", "min_bad_requests"));
        if (traffic != null) {
            b.minRequests = integer(traffic.get("min_requests"), "slo.low_traffic.min_requests", DEFAULT_MIN_REQUESTS,
                    1, Long.MAX_VALUE);
            b.minBadRequests = integer(traffic.get("min_bad_requests"), "slo.low_traffic.min_bad_requests",
                    DEFAULT_MIN_BAD_REQUESTS, 1, Long.MAX_VALUE);
        }
        JsonNode watermark = slo.get("watermark");
        onlyKeys(watermark, "slo.watermark", Set.of("out_of_orderness", "idleness"));
        if (watermark != null) {
            if (watermark.has("out_of_orderness")) {
                b.outOfOrderness = Durations.parse("slo.watermark.out_of_orderness",
                        text(watermark.get("out_of_orderness"), "slo.watermark.out_of_orderness", null));
            }
            if (watermark.has("idleness")) {
                b.idleness = Durations.parse("slo.watermark.idleness",
                        text(watermark.get("idleness"), "slo.watermark.idleness", null));
            }
        }
        JsonNode tiers = slo.get("burn_rate_alerts");
        if (tiers != null && !tiers.isNull()) {
            if (!tiers.isArray()) {
                throw new ConfigException("slo.burn_rate_alerts", tiers, "must be a list");
            }
            b.tiers = new ArrayList<>();
            for (int i = 0; i < tiers.size(); i++) {
                b.tiers.add(tier(tiers.get(i), "slo.burn_rate_alerts[" + i + "]"));
            }
        }
        JsonNode apps = slo.get("apps");
        if (apps != null && !apps.isNull()) {
            if (!apps.isArray()) {
                throw new ConfigException("slo.apps", apps, "must be a list of rules with 'match'");
            }
            for (int i = 0; i < apps.size(); i++) {
                b.rules.add(rule(apps.get(i), "slo.apps[" + i + "]"));
            }
        }
        return b.build();
    }

    private static Objective objective(JsonNode node, String path, Objective fallback, boolean latency) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        onlyKeys(node, path, latency ? Set.of("objective", "enabled", "threshold_ms") : Set.of("objective", "enabled"));
        Objective o = fallback;
        JsonNode value = node.get("objective");
        if (value != null && !value.isNull()) {
            if (!value.isNumber()) {
                throw new ConfigException(join(path, "objective"), value, "must be a percentage such as 99.9");
            }
            try {
                o = Objective.percent(value.asText(), o.enabled());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(join(path, "objective"), value, e.getMessage());
            }
        }
        return o.withEnabled(bool(node.get("enabled"), join(path, "enabled"), o.enabled()));
    }

    private static BurnRateTier tier(JsonNode node, String path) {
        onlyKeys(node, path, Set.of("severity", "long", "short", "burn_rate"));
        String severity = text(node.get("severity"), join(path, "severity"), null);
        Severity s;
        if ("page".equalsIgnoreCase(severity)) {
            s = Severity.PAGE;
        } else if ("ticket".equalsIgnoreCase(severity)) {
            s = Severity.TICKET;
        } else {
            throw new ConfigException(join(path, "severity"), severity, "must be page or ticket");
        }
        Duration longW = Durations.parse(join(path, "long"), text(node.get("long"), join(path, "long"), null));
        Duration shortW = Durations.parse(join(path, "short"), text(node.get("short"), join(path, "short"), null));
        JsonNode rate = node.get("burn_rate");
        if (rate == null || !rate.isNumber() || rate.asDouble() <= 0) {
            throw new ConfigException(join(path, "burn_rate"), rate, "must be a positive number");
        }
        try {
            return new BurnRateTier(s, longW, shortW, rate.asDouble());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path, null, e.getMessage());
        }
    }

    private static AppRule rule(JsonNode node, String path) {
        onlyKeys(node, path, Set.of("match", "availability", "latency"));
        String match = text(node.get("match"), join(path, "match"), null);
        if (match == null || match.isBlank()) {
            throw new ConfigException(join(path, "match"), match, "is required: an application id or a pattern with *");
        }
        Objective availability = node.has("availability")
                ? objective(node.get("availability"), join(path, "availability"), DEFAULT_AVAILABILITY, false) : null;
        Objective latency = node.has("latency")
                ? objective(node.get("latency"), join(path, "latency"), DEFAULT_LATENCY, true) : null;
        Long threshold = null;
        JsonNode l = node.get("latency");
        if (l != null && l.has("threshold_ms")) {
            threshold = integer(l.get("threshold_ms"), join(path, "latency.threshold_ms"), DEFAULT_LATENCY_THRESHOLD_MS,
                    1, 3_600_000);
        }
        return new AppRule(match, availability, latency, threshold);
    }

    /** The objectives for application {@code appId}. */
    public AppObjectives objectivesFor(String appId) {
        for (AppRule r : rules) {
            if (r.matches(appId)) {
                return new AppObjectives(
                        r.availability() != null ? r.availability() : defaults.availability(),
                        r.latency() != null ? r.latency() : defaults.latency(),
                        r.latencyThresholdMs() != null ? r.latencyThresholdMs() : defaults.latencyThresholdMs());
            }
        }
        return defaults;
    }

    /** Tiers in suppression order: pages first, then tickets, each group as configured. */
    public List<BurnRateTier> tiers() {
        return tiers;
    }

    public long minRequests() {
        return minRequests;
    }

    public long minBadRequests() {
        return minBadRequests;
    }

    public Duration outOfOrderness() {
        return outOfOrderness;
    }

    public Duration idleness() {
        return idleness;
    }

    public AppObjectives defaultObjectives() {
        return defaults;
    }

    /** Start-up warnings: tiers that can never fire for a configured objective. */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        List<Objective> objectives = new ArrayList<>(List.of(defaults.availability(), defaults.latency()));
        for (AppRule r : rules) {
            if (r.availability() != null) {
                objectives.add(r.availability());
            }
            if (r.latency() != null) {
                objectives.add(r.latency());
            }
        }
        for (BurnRateTier t : tiers) {
            for (Objective o : objectives) {
                if (o.enabled() && t.burnRate() * o.errorBudget() >= 1) {
                    out.add(String.format(Locale.ROOT, "burn-rate tier %s at %sx can never fire for objective %s%%: "
                                    + "even a total outage burns only %.2fx", t.windows(), t.burnRate(), o.percentText(),
                            1 / o.errorBudget()));
                }
            }
        }
        return out.stream().distinct().toList();
    }

    void logWarnings() {
        warnings().forEach(w -> log.warn("peregrine.yaml slo: {}", w));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SloConfig c && defaults.equals(c.defaults) && rules.equals(c.rules) && tiers.equals(c.tiers)
                && minRequests == c.minRequests && minBadRequests == c.minBadRequests
                && outOfOrderness.equals(c.outOfOrderness) && idleness.equals(c.idleness);
    }

    @Override
    public int hashCode() {
        return Objects.hash(defaults, rules, tiers, minRequests, minBadRequests, outOfOrderness, idleness);
    }

    @Override
    public String toString() {
        return "SloConfig{defaults=" + defaults + ", rules=" + rules + ", tiers=" + tiers + ", minRequests=" + minRequests
                + ", minBadRequests=" + minBadRequests + '}';
    }

    /** For code and tests; peregrine.yaml goes through {@link #fromYaml}. */
    public static final class Builder {
        private Objective availability = DEFAULT_AVAILABILITY;
        private Objective latency = DEFAULT_LATENCY;
        private long latencyThresholdMs = DEFAULT_LATENCY_THRESHOLD_MS;
        private final List<AppRule> rules = new ArrayList<>();
        private List<BurnRateTier> tiers = BurnRateTier.WORKBOOK;
        private long minRequests = DEFAULT_MIN_REQUESTS;
        private long minBadRequests = DEFAULT_MIN_BAD_REQUESTS;
        private Duration outOfOrderness = DEFAULT_OUT_OF_ORDERNESS;
        private Duration idleness = DEFAULT_IDLENESS;

        public Builder availability(Objective o) {
            this.availability = o;
            return this;
        }

        public Builder latency(Objective o) {
            this.latency = o;
            return this;
        }

        public Builder app(AppRule rule) {
            rules.add(rule);
            return this;
        }

        public Builder tiers(List<BurnRateTier> t) {
            this.tiers = List.copyOf(t);
            return this;
        }

        public Builder lowTraffic(long minRequests, long minBadRequests) {
            this.minRequests = minRequests;
            this.minBadRequests = minBadRequests;
            return this;
        }

        public SloConfig build() {
            return new SloConfig(new AppObjectives(availability, latency, latencyThresholdMs), rules, tiers,
                    minRequests, minBadRequests, outOfOrderness, idleness);
        }
    }
}
