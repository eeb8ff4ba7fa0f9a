package io.peregrine.flink.notify.webhook;

import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.ReceiverYaml;
import io.peregrine.flink.notify.http.RetryPolicy;
import java.io.Serializable;
import java.net.URI;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One entry of {@code notify.webhooks} in {@code peregrine.yaml}: a generic JSON webhook, every
 * request signed with HMAC-SHA256 ({@link WebhookSignature}).
 *
 * <pre>
 * notify:
 *   webhooks:
 *     - name: ops                     # [a-z0-9_-]+, unique; in operator names, logs and the receiver field
 *       url: https://ops.example.com/peregrine
 *       secret_env: OPS_WEBHOOK_SECRET   # or secret: ... (at least 16 characters)
 *       format: peregrine             # peregrine (the incident as JSON) or alertmanager (webhook payload version 4)
 *       external_url: https://peregrine.example.com   # alertmanager format: externalURL and generatorURL
 *       rate_limit: {per_minute: 60, burst: 20}
 *       request_timeout: 10s
 *       backoff: 1s
 *       max_backoff: 60s
 *       deadline: 10m
 * </pre>
 */
public record WebhookConfig(String name, URI url, String secret, Format format, String externalUrl, RetryPolicy retry,
                            RateLimit rateLimit) implements Serializable {

    private static final Pattern NAME = Pattern.compile("[a-z0-9_-]{1,40}");
    static final int MIN_SECRET = 16;

    /** The body's shape. */
    public enum Format {
        /** {@code {"version":"1","kind":"incident","receiver":..,"action":..,"incident":{..}}}. */
        PEREGRINE,
        /** Alertmanager's webhook payload, version "4", for receivers built for Alertmanager. */
        ALERTMANAGER
    }

    public WebhookConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ConfigException("notify.webhooks[].name", name, "must match " + NAME.pattern());
        }
        if (secret == null || secret.length() < MIN_SECRET) {
            throw new ConfigException("notify.webhooks[" + name + "].secret", null,
                    "must be at least " + MIN_SECRET + " characters: it is an HMAC key");
        }
    }

    public static WebhookConfig fromYaml(JsonNode node, String path, Map<String, String> env) {
        Set<String> known = new HashSet<>(ReceiverYaml.COMMON_KEYS);
        known.addAll(Set.of("name", "url", "url_env", "secret", "secret_env", "format", "external_url"));
        onlyKeys(node, path, known);
        String name = text(node.get("name"), path + ".name", null);
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ConfigException(path + ".name", name, "is required and must match " + NAME.pattern());
        }
        String secret = ReceiverYaml.secret(node, path, "secret", env, true);
        if (secret.length() < MIN_SECRET) {
            throw new ConfigException(path + ".secret", null, "must be at least " + MIN_SECRET
                    + " characters: it is an HMAC key");
        }
        String format = text(node.get("format"), path + ".format", "peregrine");
        Format f;
        try {
            f = Format.valueOf(format.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + ".format", format, "must be peregrine or alertmanager");
        }
        return new WebhookConfig(name, ReceiverYaml.url(node, path, "url", env, null), secret, f,
                text(node.get("external_url"), path + ".external_url", ""), ReceiverYaml.retry(node, path),
                ReceiverYaml.rateLimit(node, path));
    }

    @Override
    public String toString() {
        return "WebhookConfig{name=" + name + ", url=" + url.getScheme() + "://" + url.getAuthority()
                + "/..., secret=<hidden>, format=" + format + ", rateLimit=" + rateLimit + '}';
    }
}
