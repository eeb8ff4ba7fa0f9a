package io.peregrine.flink.notify.opsgenie;

import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.ReceiverYaml;
import io.peregrine.flink.notify.http.RetryPolicy;
import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code notify.opsgenie} section of {@code peregrine.yaml}: Opsgenie's Alert API.
 *
 * <pre>
 * notify:
 *   opsgenie:
 *     api_key_env: OPSGENIE_API_KEY   # or api_key: ... (an API integration key; sent as "GenieKey &lt;key&gt;")
 *     region: us                      # us (api.opsgenie.com) or eu (api.eu.opsgenie.com)
 *     url: http://127.0.0.1:8080/     # instead of the region's endpoint: tests, a proxy
 *     tags: [peregrine]               # added to every alert
 *     responders: [{type: team, name: sre}]   # type team|user|escalation|schedule, and id, name or username
 *     rate_limit: {per_minute: 60, burst: 20}
 *     request_timeout: 10s
 *     backoff: 1s
 *     max_backoff: 60s
 *     deadline: 10m
 * </pre>
 *
 * @param url the API base, ending with {@code /}; requests go to {@code v2/alerts} under it
 */
public record OpsgenieConfig(URI url, String apiKey, List<String> tags, List<Map<String, String>> responders,
                             RetryPolicy retry, RateLimit rateLimit) implements Serializable {

    public static final URI US = URI.create("https://api.opsgenie.com/");
    public static final URI EU = URI.create("https://api.eu.opsgenie.com/");
    static final String PATH = "notify.opsgenie";
    private static final Set<String> RESPONDER_TYPES = Set.of("team", "user", "escalation", "schedule");

    public OpsgenieConfig {
        tags = List.copyOf(tags);
        responders = List.copyOf(responders);
        String u = url.toString();
        if (!u.endsWith("/")) {
            url = URI.create(u + "/");
        }
    }

    public static OpsgenieConfig fromYaml(JsonNode node, Map<String, String> env) {
        Set<String> known = new HashSet<>(ReceiverYaml.COMMON_KEYS);
        known.addAll(Set.of("api_key", "api_key_env", "region", "url", "url_env", "tags", "responders"));
        onlyKeys(node, PATH, known);
        String region = text(node.get("region"), PATH + ".region", "us").toLowerCase(Locale.ROOT);
        URI base = switch (region) {
            case "us" -> US;
            case "eu" -> EU;
            default -> throw new ConfigException(PATH + ".region", region, "must be us or eu");
        };
        if (node.has("region") && (node.has("url") || node.has("url_env"))) {
            throw new ConfigException(PATH + ".url", null, "conflicts with region: give one of them");
        }
        URI url = ReceiverYaml.url(node, PATH, "url", env, base);
        return new OpsgenieConfig(url, ReceiverYaml.secret(node, PATH, "api_key", env, true),
                strings(node.get("tags"), PATH + ".tags"), responders(node.get("responders"), PATH + ".responders"),
                ReceiverYaml.retry(node, PATH), ReceiverYaml.rateLimit(node, PATH));
    }

    private static List<String> strings(JsonNode node, String path) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new ConfigException(path, node, "must be a list of strings");
        }
        for (JsonNode n : node) {
            if (!n.isTextual() || n.asText().isBlank()) {
                throw new ConfigException(path, n, "must hold non-empty strings");
            }
            out.add(n.asText());
        }
        return out;
    }

    private static List<Map<String, String>> responders(JsonNode node, String path) {
        List<Map<String, String>> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new ConfigException(path, node, "must be a list of {type, id|name|username}");
        }
        int k = 0;
        for (JsonNode r : node) {
            String p = path + "[" + k++ + "]";
            onlyKeys(r, p, Set.of("type", "id", "name", "username"));
            String type = text(r.get("type"), p + ".type", null);
            if (type == null || !RESPONDER_TYPES.contains(type)) {
                throw new ConfigException(p + ".type", type, "must be one of " + RESPONDER_TYPES);
            }
            Map<String, String> m = new java.util.LinkedHashMap<>();
            m.put("type", type);
            for (String key : List.of("id", "name", "username")) {
                String v = text(r.get(key), p + "." + key, null);
                if (v != null) {
                    m.put(key, v);
                }
            }
            if (m.size() != 2) {
                throw new ConfigException(p, null, "needs exactly one of id, name or username");
            }
            out.add(Map.copyOf(m));
        }
        return out;
    }

    @Override
    public String toString() {
        return "OpsgenieConfig{url=" + url + ", apiKey=<hidden>, rateLimit=" + rateLimit + '}';
    }
}
