package io.peregrine.flink.notify.pagerduty;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Evidence;
import io.peregrine.schema.Incident;

/**
 * Builds PagerDuty Events API v2 bodies from incidents: one PagerDuty alert per incident, its
 * {@code dedup_key} the incident id, so a re-sent trigger or resolve (a retry, a restore from a
 * checkpoint) lands on the same PagerDuty alert.
 */
public final class PagerDutyEvents {

    /** PagerDuty's limits: summary 1024 characters, dedup_key 255. */
    static final int MAX_SUMMARY = 1024;
    static final int MAX_DEDUP_KEY = 255;

    private static final ObjectMapper JSON = new ObjectMapper();

    private PagerDutyEvents() {
    }

    /** The incident id (a UUID), cut to PagerDuty's limit should a foreign producer write longer ids. */
    public static String dedupKey(String incidentId) {
        return incidentId.length() > MAX_DEDUP_KEY ? incidentId.substring(0, MAX_DEDUP_KEY) : incidentId;
    }

    /**
     * A trigger: the title as summary, the root cause as source, and the whole evidence chain,
     * affected apps and alert fingerprints in {@code custom_details}.
     */
    public static PagerDutyEvent trigger(Incident incident, String routingKey) {
        String dedupKey = dedupKey(incident.getId());
        AppId root = incident.getRootCause();
        AppId source = root != null ? root : incident.getAffectedApps().isEmpty() ? null : incident.getAffectedApps().get(0);
        ObjectNode body = JSON.createObjectNode()
                .put("routing_key", routingKey)
                .put("event_action", "trigger")
                .put("dedup_key", dedupKey)
                .put("client", "Peregrine");
        ObjectNode payload = body.putObject("payload")
                .put("summary", truncate(incident.getTitle()))
                .put("source", source != null ? source.getId() : "peregrine")
                .put("severity", severity(incident))
                .put("timestamp", incident.getOpenedAt().toString())
                .put("class", "incident");
        if (source != null) {
            payload.put("component", source.getName());
            if (source.getNamespace() != null) {
                payload.put("group", source.getNamespace());
            }
        }
        ObjectNode details = payload.putObject("custom_details")
                .put("incident_id", incident.getId())
                .put("summary", incident.getSummary())
                .put("flapping", incident.getFlapping());
        if (root != null) {
            details.put("root_cause", root.getId()).put("root_cause_reasoning", incident.getRootCauseReasoning());
        }
        ArrayNode apps = details.putArray("affected_apps");
        incident.getAffectedApps().forEach(a -> apps.add(a.getId()));
        ArrayNode evidence = details.putArray("evidence");
        for (Evidence e : incident.getEvidence()) {
            ObjectNode step = evidence.addObject()
                    .put("app", e.getApp().getId())
                    .put("relation", e.getRelation().name())
                    .put("summary", e.getSummary())
                    .put("at", e.getAt().toString());
            if (e.getAlertFingerprint() != null) {
                step.put("alert_fingerprint", e.getAlertFingerprint());
            }
        }
        ArrayNode fingerprints = details.putArray("alert_fingerprints");
        incident.getAlertFingerprints().forEach(fingerprints::add);
        return new PagerDutyEvent(incident.getId(), dedupKey, "trigger", body.toString());
    }

    public static PagerDutyEvent resolve(String incidentId, String routingKey) {
        String dedupKey = dedupKey(incidentId);
        ObjectNode body = JSON.createObjectNode()
                .put("routing_key", routingKey)
                .put("event_action", "resolve")
                .put("dedup_key", dedupKey);
        return new PagerDutyEvent(incidentId, dedupKey, "resolve", body.toString());
    }

    private static String severity(Incident incident) {
        return switch (incident.getSeverity()) {
            case PAGE -> "critical";
            case TICKET, UNKNOWN -> "warning";
            case INFO -> "info";
        };
    }

    static String truncate(String s) {
        if (s.codePointCount(0, s.length()) <= MAX_SUMMARY) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, MAX_SUMMARY - 1)) + "…";
    }
}
