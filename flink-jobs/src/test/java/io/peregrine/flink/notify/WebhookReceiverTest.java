package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.flink.notify.webhook.WebhookConfig;
import io.peregrine.flink.notify.webhook.WebhookReceiver;
import io.peregrine.flink.notify.webhook.WebhookSignature;
import io.peregrine.flink.notify.webhook.WebhookSignature.Verdict;
import io.peregrine.schema.Incident;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Signed webhook requests (Peregrine's and Alertmanager's payloads), sent to a real HTTP receiver on 127.0.0.1. */
class WebhookReceiverTest extends HttpReceiverTestBase {

    private static final String SECRET = "whsec-0123456789abcdef";

    WebhookReceiverTest() {
        super(receiver());
    }

    static HttpReceiver receiver() {
        return endpoint(204, "");
    }

    private WebhookReceiver receiver(WebhookConfig.Format format) {
        return new WebhookReceiver(new WebhookConfig("ops", endpoint.url("/peregrine"), SECRET, format,
                "https://peregrine.example.com/", quickRetries("notify.webhooks[0]"), RateLimit.defaults()));
    }

    /** The HMAC as documented, computed here independently of WebhookSignature. */
    private static String hmac(String secret, String timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    @Test
    void shouldSignEveryRequestSoTheReceiverCanVerifyIt() throws Exception {
        WebhookReceiver r = receiver(WebhookConfig.Format.PEREGRINE);
        Incident open = SampleRecords.incident();
        HttpNotification n = r.notification(open, NotifyAction.TRIGGER);
        Instant before = Instant.now();
        assertThat(new HttpSender(r).send(n).get(30, TimeUnit.SECONDS).delivered()).isTrue();

        HttpReceiver.Received got = endpoint.received().get(0);
        String ts = got.header(WebhookSignature.TIMESTAMP_HEADER);
        String sig = got.header(WebhookSignature.SIGNATURE_HEADER);
        assertThat(Long.parseLong(ts)).isBetween(before.getEpochSecond() - 1, Instant.now().getEpochSecond() + 1);
        assertThat(sig).isEqualTo(hmac(SECRET, ts, got.raw())).matches("v1=[0-9a-f]{64}");
        assertThat(got.header(WebhookSignature.ID_HEADER)).isEqualTo(open.getId() + ":trigger:" + open.getUpdatedAt().toEpochMilli());
        assertThat(WebhookSignature.verify(SECRET, ts, sig, got.raw(), Instant.now(), Duration.ofMinutes(5)))
                .isEqualTo(Verdict.VALID);

        // What a verifying receiver must refuse: a changed body, another key, an old timestamp, missing headers.
        byte[] tampered = got.body().replace("PAGE", "INFO").getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.verify(SECRET, ts, sig, tampered, Instant.now(), Duration.ofMinutes(5)))
                .isEqualTo(Verdict.BAD_SIGNATURE);
        assertThat(WebhookSignature.verify("another-secret-1234", ts, sig, got.raw(), Instant.now(), Duration.ofMinutes(5)))
                .isEqualTo(Verdict.BAD_SIGNATURE);
        assertThat(WebhookSignature.verify(SECRET, ts, sig, got.raw(), Instant.now().plusSeconds(301), Duration.ofMinutes(5)))
                .isEqualTo(Verdict.OUTSIDE_REPLAY_WINDOW);
        assertThat(WebhookSignature.verify(SECRET, ts, sig.substring(0, 60), got.raw(), Instant.now(), Duration.ofMinutes(5)))
                .isEqualTo(Verdict.BAD_SIGNATURE);
        assertThat(WebhookSignature.verify(SECRET, null, sig, got.raw(), Instant.now(), Duration.ofMinutes(5)))
                .isEqualTo(Verdict.MISSING_HEADER);
        assertThat(WebhookSignature.verify(SECRET, "12x", sig, got.raw(), Instant.now(), Duration.ofMinutes(5)))
                .isEqualTo(Verdict.MALFORMED_TIMESTAMP);

        JsonNode body = JSON.readTree(got.body());
        assertThat(body.get("version").asText()).isEqualTo("1");
        assertThat(body.get("kind").asText()).isEqualTo("incident");
        assertThat(body.get("receiver").asText()).isEqualTo("ops");
        assertThat(body.get("action").asText()).isEqualTo("trigger");
        assertThat(body.at("/incident/id").asText()).isEqualTo(open.getId());
        assertThat(body.at("/incident/root_cause/id").asText()).isEqualTo("systemd/postgresql@16-main.service");
        assertThat(body.at("/incident/evidence/0/relation").asText()).isEqualTo("ROOT");
        assertThat(body.at("/incident/opened_at").asText()).isEqualTo(open.getOpenedAt().toString());
        assertThat(body.at("/incident/resolved_at").isNull()).isTrue();
        assertThat(body.at("/incident/merged_into").isNull()).isTrue();
        JsonNode merged = JSON.readTree(r.notification(Incidents.merged(open.getId(), "other-id", 60), NotifyAction.RESOLVE)
                .body());
        assertThat(merged.at("/incident/status").asText()).isEqualTo("RESOLVED");
        assertThat(merged.at("/incident/merged_into").asText()).isEqualTo("other-id");
        assertThat(merged.at("/incident/stale_reason").isNull()).isTrue();
        JsonNode stale = JSON.readTree(r.notification(Incidents.stale(open.getId(), 60), NotifyAction.RESOLVE).body());
        assertThat(stale.at("/incident/stale_reason").asText()).startsWith("Stale: no data for 1h");
        assertThat(got.body()).doesNotContain(SECRET);
    }

    @Test
    void shouldSendAlertmanagerCompatiblePayloads() throws Exception {
        WebhookReceiver r = receiver(WebhookConfig.Format.ALERTMANAGER);
        Incident open = SampleRecords.incident();
        JsonNode p = JSON.readTree(r.notification(open, NotifyAction.TRIGGER).body());
        assertThat(p.get("version").asText()).isEqualTo("4");
        assertThat(p.get("groupKey").asText()).isEqualTo("{}:{incident_id=\"" + open.getId() + "\"}");
        assertThat(p.get("status").asText()).isEqualTo("firing");
        assertThat(p.get("receiver").asText()).isEqualTo("ops");
        assertThat(p.get("truncatedAlerts").asInt()).isZero();
        assertThat(p.at("/groupLabels/incident_id").asText()).isEqualTo(open.getId());
        assertThat(p.at("/commonLabels/alertname").asText()).isEqualTo("PeregrineIncident");
        assertThat(p.at("/commonLabels/severity").asText()).isEqualTo("page");
        assertThat(p.at("/commonLabels/root_cause").asText()).isEqualTo("systemd/postgresql@16-main.service");
        assertThat(p.at("/commonLabels").has("app")).isFalse();
        assertThat(p.at("/commonAnnotations/summary").asText()).isEqualTo(open.getTitle());
        assertThat(p.get("externalURL").asText()).isEqualTo("https://peregrine.example.com/");
        JsonNode alerts = p.get("alerts");
        assertThat(alerts).hasSize(2);
        JsonNode root = alerts.get(0);
        assertThat(root.get("status").asText()).isEqualTo("firing");
        assertThat(root.at("/labels/app").asText()).isEqualTo("systemd/postgresql@16-main.service");
        assertThat(root.at("/labels/relation").asText()).isEqualTo("root");
        assertThat(root.at("/annotations/description").asText()).isEqualTo("postgresql@16-main: backend OOM-killed at 10:15:00");
        assertThat(root.get("startsAt").asText()).isEqualTo(SampleRecords.T0.minusSeconds(30).toString());
        assertThat(root.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(root.get("generatorURL").asText()).isEqualTo("https://peregrine.example.com/incidents/" + open.getId());
        assertThat(root.get("fingerprint").asText()).matches("[0-9a-f]{16}");
        assertThat(alerts.get(1).at("/labels/relation").asText()).isEqualTo("client");
        assertThat(alerts.get(1).get("fingerprint").asText()).isNotEqualTo(root.get("fingerprint").asText());

        Incident resolved = Incidents.resolved(open.getId(), 120);
        JsonNode rp = JSON.readTree(r.notification(resolved, NotifyAction.RESOLVE).body());
        assertThat(rp.get("status").asText()).isEqualTo("resolved");
        assertThat(rp.at("/alerts/0/status").asText()).isEqualTo("resolved");
        assertThat(rp.at("/alerts/0/endsAt").asText()).isEqualTo(resolved.getResolvedAt().toString());
        // Labels identify the alert, so a resolve carries the fingerprint its trigger had.
        assertThat(rp.at("/alerts/0/fingerprint").asText()).isEqualTo(root.get("fingerprint").asText());
        assertThat(rp.at("/alerts/0/annotations").has("merged_into")).isFalse();
        JsonNode mp = JSON.readTree(r.notification(Incidents.merged(open.getId(), "other-id", 120), NotifyAction.RESOLVE).body());
        assertThat(mp.get("status").asText()).isEqualTo("resolved");
        assertThat(mp.at("/alerts/0/annotations/merged_into").asText()).isEqualTo("other-id");
        JsonNode sp = JSON.readTree(r.notification(Incidents.stale(open.getId(), 120), NotifyAction.RESOLVE).body());
        assertThat(sp.at("/alerts/0/status").asText()).isEqualTo("resolved");
        assertThat(sp.at("/alerts/0/annotations/stale_reason").asText()).startsWith("Stale: no data for 1h");

        JsonNode digest = JSON.readTree(r.digest(List.of(
                new IncidentNotice(Incidents.open("a", Severity.PAGE, 1), NotifyAction.TRIGGER),
                new IncidentNotice(Incidents.resolved("b", 2), NotifyAction.RESOLVE)), 2).body());
        assertThat(digest.get("groupKey").asText()).isEqualTo("{}:{peregrine_digest=\"true\"}");
        assertThat(digest.get("status").asText()).isEqualTo("firing");
        assertThat(digest.get("alerts")).hasSize(4);
        assertThat(digest.at("/commonLabels").has("incident_id")).isFalse();
    }

    @Test
    void shouldDeliverOnceThroughA500AndA429WithRetryAfterSigningEachAttempt() throws Exception {
        WebhookReceiver r = receiver(WebhookConfig.Format.ALERTMANAGER);
        HttpNotification n = r.notification(SampleRecords.incident(), NotifyAction.TRIGGER);
        List<HttpReceiver.Received> got = assertDeliveredThroughA500AndA429(r, n);
        assertThat(got).allSatisfy(g -> assertThat(WebhookSignature.verify(SECRET, g.header(WebhookSignature.TIMESTAMP_HEADER),
                g.header(WebhookSignature.SIGNATURE_HEADER), g.raw(), Instant.now(), Duration.ofMinutes(5))).isEqualTo(Verdict.VALID));
        assertThat(got).extracting(g -> g.header(WebhookSignature.ID_HEADER)).containsOnly(n.id());
    }

    @Test
    void shouldSendA400ToTheDeadLetterTopicWithoutRetrying() throws Exception {
        Sent sent = assertRejectedWithoutRetrying(receiver(WebhookConfig.Format.PEREGRINE), 400);
        assertThat(deadLetters("flink/notify/webhook/ops", sent)).singleElement().satisfies(d -> assertThat(d.getReasonMessage())
                .contains("webhook/ops trigger", "REJECTED", "HTTP 400"));
    }
}
