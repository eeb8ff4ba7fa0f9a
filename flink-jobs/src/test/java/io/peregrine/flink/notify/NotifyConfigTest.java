package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.PeregrineYaml;
import io.peregrine.flink.notify.opsgenie.OpsgenieConfig;
import io.peregrine.flink.notify.webhook.WebhookConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NotifyConfigTest {

    private static final Map<String, String> ENV = Map.of("SLACK_URL", "https://hooks.slack.com/services/T/B/X",
            "OG_KEY", "og-key", "HOOK_SECRET", "s3cret-s3cret-s3cret");

    private static NotifyConfig parse(String yaml) {
        return NotifyConfig.fromYaml(yaml, ENV);
    }

    @Test
    void shouldReadEveryReceiverWithDefaultsAndSecretsFromTheEnvironment() {
        NotifyConfig c = parse("""
                notify:
                  pagerduty: {routing_key: abc}
                  slack:
                    url_env: SLACK_URL
                    channel: "#alerts"
                    rate_limit: {per_minute: 30, burst: 5}
                  opsgenie:
                    api_key_env: OG_KEY
                    region: eu
                    tags: [shop]
                    responders: [{type: team, name: sre}]
                  webhooks:
                    - name: ops
                      url: http://127.0.0.1:8080/hook
                      secret_env: HOOK_SECRET
                      format: alertmanager
                      deadline: 2m
                      backoff: 500ms
                    - name: audit
                      url: https://audit.example.com/in
                      secret: inline-secret-0123
                """);
        assertThat(c.slack()).hasValueSatisfying(s -> {
            assertThat(s.url()).isEqualTo(URI.create("https://hooks.slack.com/services/T/B/X"));
            assertThat(s.channel()).isEqualTo("#alerts");
            assertThat(s.rateLimit().perMinute()).isEqualTo(30);
            assertThat(s.rateLimit().burst()).isEqualTo(5);
            assertThat(s.retry().deadline()).isEqualTo(Duration.ofMinutes(10));
            assertThat(s.toString()).doesNotContain("services");
        });
        assertThat(c.opsgenie()).hasValueSatisfying(o -> {
            assertThat(o.url()).isEqualTo(OpsgenieConfig.EU);
            assertThat(o.apiKey()).isEqualTo("og-key");
            assertThat(o.responders()).containsExactly(Map.of("type", "team", "name", "sre"));
            assertThat(o.toString()).doesNotContain("og-key");
        });
        assertThat(c.webhooks()).hasSize(2);
        WebhookConfig ops = c.webhooks().get(0);
        assertThat(ops.format()).isEqualTo(WebhookConfig.Format.ALERTMANAGER);
        assertThat(ops.secret()).isEqualTo("s3cret-s3cret-s3cret");
        assertThat(ops.retry().deadline()).isEqualTo(Duration.ofMinutes(2));
        assertThat(ops.retry().backoff()).isEqualTo(Duration.ofMillis(500));
        assertThat(ops.toString()).doesNotContain("s3cret");
        assertThat(c.webhooks().get(1).format()).isEqualTo(WebhookConfig.Format.PEREGRINE);
        assertThat(c.receivers()).extracting(IncidentReceiver::name)
                .containsExactly("slack", "opsgenie", "webhook/ops", "webhook/audit");

        assertThat(parse("notify:\n  opsgenie: {api_key: k}\n").opsgenie().get().url()).isEqualTo(OpsgenieConfig.US);
        assertThat(parse("notify:\n  opsgenie: {api_key: k, url: 'http://127.0.0.1:1234'}\n").opsgenie().get().url())
                .isEqualTo(URI.create("http://127.0.0.1:1234/"));
        assertThat(parse("slo: {}\n").any()).isFalse();
        assertThat(parse("").any()).isFalse();
        assertThat(PeregrineYaml.parse("notify:\n  slack: {url_env: SLACK_URL}\n", ENV).receivers().slack()).isPresent();
    }

    @Test
    void shouldRefuseBadConfigurationNamingTheKey() {
        bad("notify:\n  slak: {url: 'https://x/y'}\n", "notify.slak", "unknown key");
        bad("notify:\n  slack: {url: 'https://x/y', colour: red}\n", "notify.slack.colour", "unknown key");
        bad("notify:\n  slack: {}\n", "notify.slack.url", "is required");
        bad("notify:\n  slack: {url: 'ftp://x/y'}\n", "notify.slack.url", "http:// or https://");
        bad("notify:\n  slack: {url: 'https://hooks.slack.com/services/T/B/SECRET x'}\n", "notify.slack.url", "not a URL");
        bad("notify:\n  slack: {url: 'https://x/y', url_env: SLACK_URL}\n", "notify.slack.url", "both inline");
        bad("notify:\n  slack: {url_env: NOPE}\n", "notify.slack.url_env", "not set");
        bad("notify:\n  slack: {url: 'https://x/y', deadline: soon}\n", "notify.slack.deadline", "duration");
        bad("notify:\n  slack: {url: 'https://x/y', backoff: 2m, max_backoff: 1m}\n", "notify.slack.max_backoff", "at least backoff");
        bad("notify:\n  slack: {url: 'https://x/y', rate_limit: {per_minute: 0}}\n", "notify.slack.rate_limit.per_minute", "positive");
        bad("notify:\n  slack: {url: 'https://x/y', rate_limit: {burst: -1}}\n", "notify.slack.rate_limit.burst", "whole number");
        bad("notify:\n  slack: {url: 'https://x/y', rate_limit: {per_minute: lots}}\n", "notify.slack.rate_limit.per_minute", "number");
        bad("notify:\n  slack: [1, 2]\n", "notify.slack", "mapping");
        bad("notify:\n  opsgenie: {region: eu}\n", "notify.opsgenie.api_key", "is required");
        bad("notify:\n  opsgenie: {api_key: k, region: mars}\n", "notify.opsgenie.region", "us or eu");
        bad("notify:\n  opsgenie: {api_key: k, region: eu, url: 'http://127.0.0.1:1/'}\n", "notify.opsgenie.url", "conflicts");
        bad("notify:\n  opsgenie: {api_key: k, responders: [{type: team}]}\n", "notify.opsgenie.responders[0]", "exactly one");
        bad("notify:\n  opsgenie: {api_key: k, responders: [{type: crowd, name: x}]}\n", "notify.opsgenie.responders[0].type", "one of");
        bad("notify:\n  opsgenie: {api_key: ''}\n", "notify.opsgenie.api_key", "empty");
        bad("notify:\n  webhooks: {name: ops}\n", "notify.webhooks", "list");
        bad("notify:\n  webhooks: [{url: 'https://x/y', secret: 0123456789abcdef}]\n", "notify.webhooks[0].name", "required");
        bad("notify:\n  webhooks: [{name: 'Ops Team', url: 'https://x/y', secret: 0123456789abcdef}]\n", "notify.webhooks[0].name", "must match");
        bad("notify:\n  webhooks: [{name: ops, url: 'https://x/y'}]\n", "notify.webhooks[0].secret", "is required");
        bad("notify:\n  webhooks: [{name: ops, url: 'https://x/y', secret: short}]\n", "notify.webhooks[0].secret", "at least 16");
        bad("notify:\n  webhooks: [{name: ops, url: 'https://x/y', secret: 0123456789abcdef, format: xml}]\n",
                "notify.webhooks[0].format", "peregrine or alertmanager");
        bad("notify:\n  webhooks:\n    - {name: ops, url: 'https://x/y', secret: 0123456789abcdef}\n"
                + "    - {name: ops, url: 'https://x/z', secret: 0123456789abcdef}\n", "notify.webhooks[1].name", "twice");
        bad("notify: [\n", "peregrine.yaml", "not valid YAML");
    }

    @Test
    void shouldNotLeakASecretUrlInAnError() {
        assertThatThrownBy(() -> parse("notify:\n  slack: {url: 'ftp://hooks.slack.com/services/T/B/SECRET'}\n"))
                .isInstanceOf(ConfigException.class).message().doesNotContain("SECRET");
    }

    private static void bad(String yaml, String key, String problem) {
        assertThatThrownBy(() -> parse(yaml)).as(yaml).isInstanceOf(ConfigException.class)
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
    }
}
