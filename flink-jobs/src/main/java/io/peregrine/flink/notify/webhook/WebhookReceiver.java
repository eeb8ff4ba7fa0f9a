package io.peregrine.flink.notify.webhook;

import static io.peregrine.flink.notify.IncidentJson.JSON;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.flink.notify.IncidentJson;
import io.peregrine.flink.notify.IncidentReceiver;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.schema.Incident;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Incidents to a generic webhook as signed JSON ({@link WebhookSignature}; the signature is made
 * per attempt, so a retry after a long backoff still falls inside the receiver's replay window),
 * in Peregrine's own shape or Alertmanager's ({@link AlertmanagerPayload}).
 *
 * <p>Peregrine's shape: {@code {"version":"1","kind":"incident","receiver":"ops","action":
 * "trigger|update|resolve","incident":{…Incident.avsc fields…}}}; a digest of incidents held back
 * by the rate limit is {@code {"version":"1","kind":"digest","receiver":…,"held_notifications":n,
 * "incidents":[{"action":…,"incident":{…}}, …]}}.
 */
public final class WebhookReceiver implements IncidentReceiver {
    private static final long serialVersionUID = 1L;

    private final WebhookConfig config;

    public WebhookReceiver(WebhookConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "webhook/" + config.name();
    }

    @Override
    public RetryPolicy retry() {
        return config.retry();
    }

    @Override
    public RateLimit rateLimit() {
        return config.rateLimit();
    }

    @Override
    public HttpRequest.Builder request(HttpNotification n, Instant now) {
        byte[] body = n.body().getBytes(StandardCharsets.UTF_8);
        long ts = now.getEpochSecond();
        return HttpRequest.newBuilder(config.url())
                .header("Content-Type", "application/json")
                .header("User-Agent", "Peregrine")
                .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(ts))
                .header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(config.secret(), ts, body))
                .header(WebhookSignature.ID_HEADER, n.id())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    @Override
    public HttpNotification notification(Incident i, NotifyAction action) {
        ObjectNode body;
        if (config.format() == WebhookConfig.Format.ALERTMANAGER) {
            body = AlertmanagerPayload.single(i, config.name(), config.externalUrl());
        } else {
            body = JSON.createObjectNode().put("version", "1").put("kind", "incident").put("receiver", config.name())
                    .put("action", action.label());
            body.set("incident", IncidentJson.of(i));
        }
        return new HttpNotification(name(), i.getId(), IncidentJson.notificationId(i, action.label()), action.label(),
                "", body.toString());
    }

    @Override
    public HttpNotification digest(List<IncidentNotice> held, long heldVersions) {
        ObjectNode body;
        if (config.format() == WebhookConfig.Format.ALERTMANAGER) {
            body = AlertmanagerPayload.digest(held, config.name(), config.externalUrl());
        } else {
            body = JSON.createObjectNode().put("version", "1").put("kind", "digest").put("receiver", config.name())
                    .put("held_notifications", heldVersions);
            ArrayNode list = body.putArray("incidents");
            for (IncidentNotice n : held) {
                ObjectNode o = list.addObject().put("action", n.action().label());
                o.set("incident", IncidentJson.of(n.incident()));
            }
        }
        Incident last = held.get(held.size() - 1).incident();
        return new HttpNotification(name(), "digest", "digest:" + held.get(0).incident().getId() + ":"
                + last.getUpdatedAt().toEpochMilli(), "digest", "", body.toString());
    }
}
