package io.peregrine.flink.notify.http;

import static io.peregrine.flink.config.YamlNodes.integer;
import static io.peregrine.flink.config.YamlNodes.number;
import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.Durations;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The keys every HTTP receiver in {@code peregrine.yaml} shares, read strictly (errors name the full
 * key): {@code request_timeout}, {@code backoff}, {@code max_backoff}, {@code deadline},
 * {@code rate_limit: {per_minute, burst}}, URLs, and secrets given either inline ({@code key}) or
 * as the name of an environment variable ({@code key_env}), so peregrine.yaml need not hold them.
 */
public final class ReceiverYaml {

    /** The keys {@link #retry} and {@link #rateLimit} read. */
    public static final Set<String> COMMON_KEYS = Set.of("request_timeout", "backoff", "max_backoff", "deadline",
            "rate_limit");

    private ReceiverYaml() {
    }

    public static RetryPolicy retry(JsonNode node, String path) {
        RetryPolicy d = RetryPolicy.defaults(path);
        return new RetryPolicy(path, duration(node, path, "request_timeout", d.requestTimeout()),
                duration(node, path, "backoff", d.backoff()), duration(node, path, "max_backoff", d.maxBackoff()),
                duration(node, path, "deadline", d.deadline()));
    }

    public static RateLimit rateLimit(JsonNode node, String path) {
        JsonNode r = node.get("rate_limit");
        RateLimit d = RateLimit.defaults();
        if (r == null || r.isNull()) {
            return d;
        }
        String p = path + ".rate_limit";
        onlyKeys(r, p, Set.of("per_minute", "burst"));
        double perMinute = number(r.get("per_minute"), p + ".per_minute", d.perMinute());
        if (!(perMinute > 0)) {
            throw new ConfigException(p + ".per_minute", perMinute, "must be a positive number");
        }
        int burst = (int) integer(r.get("burst"), p + ".burst", d.burst(), 1, 10_000);
        return new RateLimit(perMinute, burst);
    }

    /** An http(s) URL at {@code key} (or from the environment variable named at {@code key_env}). */
    public static URI url(JsonNode node, String path, String key, Map<String, String> env, URI fallback) {
        String v = secret(node, path, key, env, false);
        if (v == null) {
            if (fallback == null) {
                throw new ConfigException(path + "." + key, null, "is required (or " + key + "_env)");
            }
            return fallback;
        }
        URI uri;
        try {
            uri = URI.create(v.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + "." + key, redact(v), "is not a URL");
        }
        if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new ConfigException(path + "." + key, redact(v), "must be an http:// or https:// URL with a host");
        }
        return uri;
    }

    /**
     * A value given inline at {@code key} or through the environment variable named at {@code key_env};
     * both is an error, as is a named variable that is unset or empty.
     */
    public static String secret(JsonNode node, String path, String key, Map<String, String> env, boolean required) {
        String inline = text(node.get(key), path + "." + key, null);
        String var = text(node.get(key + "_env"), path + "." + key + "_env", null);
        if (inline != null && var != null) {
            throw new ConfigException(path + "." + key, null, "is set both inline and through " + key + "_env; keep one");
        }
        if (var != null) {
            String v = env.get(var);
            if (v == null || v.isBlank()) {
                throw new ConfigException(path + "." + key + "_env", var, "names an environment variable that is not set");
            }
            return v;
        }
        if (inline != null && inline.isBlank()) {
            throw new ConfigException(path + "." + key, null, "is empty");
        }
        if (inline == null && required) {
            throw new ConfigException(path + "." + key, null, "is required (inline, or the name of an environment "
                    + "variable in " + key + "_env)");
        }
        return inline;
    }

    private static Duration duration(JsonNode node, String path, String key, Duration fallback) {
        String v = text(node.get(key), path + "." + key, null);
        return v == null ? fallback : Durations.parse(path + "." + key, v);
    }

    /** A URL for an error message without its path and query, where webhook URLs keep their secret. */
    private static String redact(String url) {
        int scheme = url.indexOf("://");
        int slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
        return slash < 0 ? "<hidden>" : url.substring(0, slash) + "/<hidden>";
    }
}
