package io.peregrine.flink.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.flink.incident.functions.Incidents;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Evidence;
import io.peregrine.schema.Incident;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Incidents as plain JSON for receivers (field names as in {@code Incident.avsc}, times as ISO-8601
 * UTC, no Avro union wrappers, plus {@code merged_into}: the incident a resolved one was merged
 * into, else null; and {@code stale_reason}: why one was resolved as stale, without its alerts
 * resolving, else null), and the few phrases every receiver's text shares.
 */
public final class IncidentJson {

    public static final ObjectMapper JSON = new ObjectMapper();

    private IncidentJson() {
    }

    public static ObjectNode of(Incident i) {
        ObjectNode o = JSON.createObjectNode()
                .put("id", i.getId())
                .put("status", i.getStatus().name())
                .put("severity", i.getSeverity().name())
                .put("title", i.getTitle())
                .put("summary", i.getSummary());
        if (i.getRootCause() != null) {
            o.set("root_cause", app(i.getRootCause()));
            o.put("root_cause_reasoning", i.getRootCauseReasoning());
        } else {
            o.putNull("root_cause");
            o.putNull("root_cause_reasoning");
        }
        ArrayNode affected = o.putArray("affected_apps");
        i.getAffectedApps().forEach(a -> affected.add(app(a)));
        ArrayNode fingerprints = o.putArray("alert_fingerprints");
        i.getAlertFingerprints().forEach(fingerprints::add);
        ArrayNode evidence = o.putArray("evidence");
        for (Evidence e : i.getEvidence()) {
            ObjectNode x = evidence.addObject();
            x.set("app", app(e.getApp()));
            x.put("relation", e.getRelation().name())
                    .put("alert_fingerprint", e.getAlertFingerprint())
                    .put("summary", e.getSummary())
                    .put("at", e.getAt().toString());
        }
        o.put("opened_at", i.getOpenedAt().toString())
                .put("updated_at", i.getUpdatedAt().toString())
                .put("resolved_at", i.getResolvedAt() == null ? null : i.getResolvedAt().toString())
                .put("merged_into", Incidents.mergedInto(i).orElse(null))
                .put("stale_reason", Incidents.staleReason(i).orElse(null));
        return o;
    }

    public static ObjectNode app(AppId a) {
        return JSON.createObjectNode()
                .put("id", a.getId())
                .put("name", a.getName())
                .put("namespace", a.getNamespace());
    }

    /** The application the incident is first about: its probable root cause, else its first affected app. */
    public static String mainApp(Incident i) {
        if (i.getRootCause() != null) {
            return i.getRootCause().getId();
        }
        return i.getAffectedApps().isEmpty() ? "unknown" : i.getAffectedApps().get(0).getId();
    }

    /** A stable identity of one notification: incident, action and version. */
    public static String notificationId(Incident i, String action) {
        return i.getId() + ":" + action + ":" + i.getUpdatedAt().toEpochMilli();
    }

    /** {@code 1h 12m}, {@code 4m 05s}, {@code 12s}. */
    public static String duration(Instant from, Instant to) {
        Duration d = Duration.between(from, to);
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        if (d.toHours() > 0) {
            return String.format(Locale.ROOT, "%dh %02dm", d.toHours(), d.toMinutesPart());
        }
        if (d.toMinutes() > 0) {
            return String.format(Locale.ROOT, "%dm %02ds", d.toMinutes(), d.toSecondsPart());
        }
        return d.toSeconds() + "s";
    }

    /** {@code s} cut to at most {@code max} code points, ending with an ellipsis when cut. */
    public static String truncate(String s, int max) {
        if (s == null) {
            return "";
        }
        if (s.codePointCount(0, s.length()) <= max) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, max - 1)) + "…";
    }
}
