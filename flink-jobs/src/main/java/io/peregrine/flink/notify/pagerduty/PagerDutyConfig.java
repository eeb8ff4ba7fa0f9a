package io.peregrine.flink.notify.pagerduty;

import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.Durations;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code notify.pagerduty} section of {@code peregrine.yaml}:
 *
 * <pre>
 * notify:
 *   pagerduty:
 *     routing_key: 0123456789abcdef0123456789abcdef   # the integration key (required)
 *     url: https://events.pagerduty.com/v2/enqueue     # override for tests or a proxy
 *     request_timeout: 10s     # one HTTP request
 *     backoff: 1s              # first wait before a retry; doubles each time, with jitter
 *     max_backoff: 60s         # cap of one wait (a 429's Retry-After is honoured even above it)
 *     deadline: 10m            # after this, a still failing delivery goes to the dead-letter topic
 * </pre>
 */
public record PagerDutyConfig(URI url, String routingKey, Duration requestTimeout, Duration backoff,
                              Duration maxBackoff, Duration deadline) implements Serializable {

    public static final URI DEFAULT_URL = URI.create("https://events.pagerduty.com/v2/enqueue");

    public PagerDutyConfig {
        if (routingKey == null || routingKey.isBlank()) {
            throw new ConfigException("notify.pagerduty.routing_key", null, "is required (the integration key)");
        }
        if (maxBackoff.compareTo(backoff) < 0) {
            throw new ConfigException("notify.pagerduty.max_backoff", Durations.format(maxBackoff),
                    "must be at least backoff (" + Durations.format(backoff) + ")");
        }
        if (deadline.compareTo(requestTimeout) < 0) {
            throw new ConfigException("notify.pagerduty.deadline", Durations.format(deadline),
                    "must be at least request_timeout (" + Durations.format(requestTimeout) + ")");
        }
    }

    public static PagerDutyConfig of(URI url, String routingKey) {
        return new PagerDutyConfig(url, routingKey, Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ofSeconds(60), Duration.ofMinutes(10));
    }

    /** The section from a peregrine.yaml document, if it has one. */
    public static Optional<PagerDutyConfig> fromYaml(String yaml) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException("peregrine.yaml", null, "is not valid YAML: " + e.getMessage());
        }
        JsonNode notify = root == null ? null : root.get("notify");
        JsonNode pd = notify == null ? null : notify.get("pagerduty");
        if (pd == null || pd.isNull()) {
            return Optional.empty();
        }
        String p = "notify.pagerduty";
        onlyKeys(pd, p, Set.of("routing_key", "url", "request_timeout", "backoff", "max_backoff", "deadline"));
        PagerDutyConfig d = of(DEFAULT_URL, "-");
        String url = text(pd.get("url"), p + ".url", DEFAULT_URL.toString());
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(p + ".url", url, "is not a URL");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new ConfigException(p + ".url", url, "must be an http:// or https:// URL");
        }
        return Optional.of(new PagerDutyConfig(uri, text(pd.get("routing_key"), p + ".routing_key", null),
                duration(pd, p, "request_timeout", d.requestTimeout()), duration(pd, p, "backoff", d.backoff()),
                duration(pd, p, "max_backoff", d.maxBackoff()), duration(pd, p, "deadline", d.deadline())));
    }

    private static Duration duration(JsonNode node, String path, String key, Duration fallback) {
        String v = text(node.get(key), path + "." + key, null);
        return v == null ? fallback : Durations.parse(path + "." + key, v);
    }

    @Override
    public String toString() {
        return "PagerDutyConfig{url=" + url + ", routingKey=<hidden>, deadline=" + Durations.format(deadline) + '}';
    }
}
