package io.peregrine.flink.notify;

import static io.peregrine.flink.config.YamlNodes.onlyKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.notify.opsgenie.OpsgenieConfig;
import io.peregrine.flink.notify.slack.SlackConfig;
import io.peregrine.flink.notify.webhook.WebhookConfig;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The incident receivers of the {@code notify:} section of {@code peregrine.yaml}:
 * {@code slack:} ({@link SlackConfig}), {@code opsgenie:} ({@link OpsgenieConfig}) and
 * {@code webhooks:} (a list of {@link WebhookConfig}). {@code pagerduty:} is read by its own class.
 * Secrets may come from environment variables ({@code *_env} keys), resolved here, at start-up,
 * so a missing one fails the job's submission, not its first page.
 */
public record NotifyConfig(Optional<SlackConfig> slack, Optional<OpsgenieConfig> opsgenie, List<WebhookConfig> webhooks)
        implements Serializable {

    static final Set<String> SECTIONS = Set.of("pagerduty", "slack", "opsgenie", "webhooks");

    public NotifyConfig {
        webhooks = List.copyOf(webhooks);
    }

    public static NotifyConfig none() {
        return new NotifyConfig(Optional.empty(), Optional.empty(), List.of());
    }

    public boolean any() {
        return slack.isPresent() || opsgenie.isPresent() || !webhooks.isEmpty();
    }

    /** Every configured incident receiver. */
    public List<IncidentReceiver> receivers() {
        List<IncidentReceiver> out = new ArrayList<>();
        slack.ifPresent(s -> out.add(new io.peregrine.flink.notify.slack.SlackReceiver(s)));
        opsgenie.ifPresent(o -> out.add(new io.peregrine.flink.notify.opsgenie.OpsgenieReceiver(o)));
        webhooks.forEach(w -> out.add(new io.peregrine.flink.notify.webhook.WebhookReceiver(w)));
        return out;
    }

    public static NotifyConfig fromYaml(String yaml, Map<String, String> env) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException("peregrine.yaml", null, "is not valid YAML: " + e.getMessage());
        }
        JsonNode notify = root == null || root.isMissingNode() ? null : root.get("notify");
        if (notify == null || notify.isNull()) {
            return none();
        }
        onlyKeys(notify, "notify", SECTIONS);
        Optional<SlackConfig> slack = section(notify, "slack").map(n -> SlackConfig.fromYaml(n, env));
        Optional<OpsgenieConfig> opsgenie = section(notify, "opsgenie").map(n -> OpsgenieConfig.fromYaml(n, env));
        List<WebhookConfig> webhooks = new ArrayList<>();
        JsonNode hooks = notify.get("webhooks");
        if (hooks != null && !hooks.isNull()) {
            if (!hooks.isArray()) {
                throw new ConfigException("notify.webhooks", null, "must be a list of webhooks (- name: ..., url: ...)");
            }
            Set<String> names = new HashSet<>();
            int k = 0;
            for (JsonNode h : hooks) {
                WebhookConfig w = WebhookConfig.fromYaml(h, "notify.webhooks[" + k++ + "]", env);
                if (!names.add(w.name())) {
                    throw new ConfigException("notify.webhooks[" + (k - 1) + "].name", w.name(), "is used twice");
                }
                webhooks.add(w);
            }
        }
        return new NotifyConfig(slack, opsgenie, webhooks);
    }

    private static Optional<JsonNode> section(JsonNode notify, String key) {
        JsonNode n = notify.get(key);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isObject()) {
            throw new ConfigException("notify." + key, null, "must be a mapping");
        }
        return Optional.of(n);
    }
}
