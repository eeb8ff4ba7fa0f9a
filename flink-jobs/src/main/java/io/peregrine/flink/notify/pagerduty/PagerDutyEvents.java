package io.peregrine.flink.notify.pagerduty;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Alert;
import io.peregrine.schema.BurnRate;

/** Builds PagerDuty Events API v2 bodies from alerts. */
public final class PagerDutyEvents {

    /** PagerDuty's limits: summary 1024 characters, dedup_key 255. */
    static final int MAX_SUMMARY = 1024;
    static final int MAX_DEDUP_KEY = 255;

    private static final ObjectMapper JSON = new ObjectMapper();

    private PagerDutyEvents() {
    }

    /** One PagerDuty alert per alert episode: the fingerprint and when the episode started. */
    public static String dedupKey(String fingerprint, long startsAtMs) {
        String key = fingerprint + ":" + startsAtMs;
        return key.length() > MAX_DEDUP_KEY ? key.substring(0, MAX_DEDUP_KEY) : key;
    }

    public static PagerDutyEvent trigger(Alert alert, String routingKey) {
        String dedupKey = dedupKey(alert.getFingerprint(), alert.getStartsAt().toEpochMilli());
        ObjectNode body = JSON.createObjectNode()
                .put("routing_key", routingKey)
                .put("event_action", "trigger")
                .put("dedup_key", dedupKey)
                .put("client", "Peregrine");
        ObjectNode payload = body.putObject("payload")
                .put("summary", truncate(alert.getSummary()))
                .put("source", alert.getApp().getId())
                .put("severity", "critical")
                .put("timestamp", alert.getStartsAt().toString())
                .put("component", alert.getApp().getName())
                .put("class", alert.getKind().name());
        if (alert.getApp().getNamespace() != null) {
            payload.put("group", alert.getApp().getNamespace());
        }
        ObjectNode details = payload.putObject("custom_details")
                .put("description", alert.getDescription())
                .put("fingerprint", alert.getFingerprint())
                .put("value", alert.getValue())
                .put("threshold", alert.getThreshold());
        ObjectNode labels = details.putObject("labels");
        alert.getLabels().forEach(labels::put);
        BurnRate b = alert.getBurnRate();
        if (b != null) {
            details.putObject("burn_rate")
                    .put("objective", b.getObjective())
                    .put("long_window_ms", b.getLongWindowMs())
                    .put("short_window_ms", b.getShortWindowMs())
                    .put("long_burn_rate", b.getLongBurnRate())
                    .put("short_burn_rate", b.getShortBurnRate())
                    .put("threshold", b.getThreshold());
        }
        return new PagerDutyEvent(alert.getFingerprint(), dedupKey, "trigger", body.toString());
    }

    public static PagerDutyEvent resolve(String fingerprint, long startsAtMs, String routingKey) {
        String dedupKey = dedupKey(fingerprint, startsAtMs);
        ObjectNode body = JSON.createObjectNode()
                .put("routing_key", routingKey)
                .put("event_action", "resolve")
                .put("dedup_key", dedupKey);
        return new PagerDutyEvent(fingerprint, dedupKey, "resolve", body.toString());
    }

    private static String truncate(String s) {
        if (s.codePointCount(0, s.length()) <= MAX_SUMMARY) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, MAX_SUMMARY - 1)) + "…";
    }
}
