package io.peregrine.flink.notify.slack;

import static io.peregrine.flink.config.YamlNodes.onlyKeys;
import static io.peregrine.flink.config.YamlNodes.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.ReceiverYaml;
import io.peregrine.flink.notify.http.RetryPolicy;
import java.io.Serializable;
import java.net.URI;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The {@code notify.slack} section of {@code peregrine.yaml}: a Slack incoming webhook.
 *
 * <pre>
 * notify:
 *   slack:
 *     url_env: SLACK_WEBHOOK_URL      # or url: https://hooks.slack.com/services/T../B../..  (the URL is the secret)
 *     channel: "#alerts"              # legacy webhooks only; new ones post where they were created
 *     username: Peregrine             # legacy webhooks only
 *     rate_limit: {per_minute: 60, burst: 20}   # Slack allows about 1 message/s with short bursts
 *     request_timeout: 10s
 *     backoff: 1s
 *     max_backoff: 60s
 *     deadline: 10m
 * </pre>
 */
public record SlackConfig(URI url, String channel, String username, RetryPolicy retry, RateLimit rateLimit)
        implements Serializable {

    static final String PATH = "notify.slack";

    public static SlackConfig fromYaml(JsonNode node, Map<String, String> env) {
        Set<String> known = new HashSet<>(ReceiverYaml.COMMON_KEYS);
        known.addAll(Set.of("url", "url_env", "channel", "username"));
        onlyKeys(node, PATH, known);
        return new SlackConfig(ReceiverYaml.url(node, PATH, "url", env, null),
                text(node.get("channel"), PATH + ".channel", null), text(node.get("username"), PATH + ".username", null),
                ReceiverYaml.retry(node, PATH), ReceiverYaml.rateLimit(node, PATH));
    }

    @Override
    public String toString() {
        return "SlackConfig{url=<hidden>, channel=" + channel + ", rateLimit=" + rateLimit + '}';
    }
}
