package io.peregrine.flink.notify.webhook;

import static io.peregrine.flink.notify.IncidentJson.JSON;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.flink.incident.functions.Incidents;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Evidence;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Incidents in Alertmanager's webhook payload, version "4" ({@code notify/webhook/webhook.go}), so
 * that receivers written for Alertmanager take Peregrine's notifications unchanged:
 *
 * <pre>
 * {"version":"4","groupKey":"{}:{incident_id=\"…\"}","truncatedAlerts":0,"status":"firing|resolved",
 *  "receiver":"ops","groupLabels":{"incident_id":"…"},"commonLabels":{…},"commonAnnotations":{…},
 *  "externalURL":"…","alerts":[{"status","labels","annotations","startsAt","endsAt","generatorURL","fingerprint"}]}
 * </pre>
 *
 * One alert per application affected by the incident: labels {@code alertname=PeregrineIncident},
 * {@code incident_id}, {@code app}, {@code app_name}, {@code namespace} (when known),
 * {@code severity}, {@code relation} (to the root cause: root, client, …; {@code affected} without
 * evidence) and {@code root_cause}; annotations {@code summary} (the incident title),
 * {@code description} (the app's evidence, else the incident summary) and
 * {@code root_cause_reasoning}, {@code merged_into} on the resolve of an incident merged into
 * another, and {@code stale_reason} on the resolve of a stale one. As in Alertmanager, values that change (times, texts) are
 * annotations, never labels; {@code fingerprint} is a hash of the labels (16 hex digits);
 * {@code endsAt} is Go's zero time while firing. {@code commonLabels} and
 * {@code commonAnnotations} are the pairs all alerts share. A digest of held-back incidents is one
 * group whose {@code groupLabels} are {@code {"peregrine_digest":"true"}}, with every incident's
 * alerts.
 */
public final class AlertmanagerPayload {

    /** Go's zero {@code time.Time}, which Alertmanager writes as endsAt of a firing alert. */
    static final String GO_ZERO_TIME = "0001-01-01T00:00:00Z";

    private AlertmanagerPayload() {
    }

    public static ObjectNode single(Incident i, String receiver, String externalUrl) {
        Map<String, String> group = Map.of("incident_id", i.getId());
        return payload(List.of(i), group, receiver, externalUrl);
    }

    public static ObjectNode digest(List<IncidentNotice> held, String receiver, String externalUrl) {
        return payload(held.stream().map(IncidentNotice::incident).toList(), Map.of("peregrine_digest", "true"),
                receiver, externalUrl);
    }

    private static ObjectNode payload(List<Incident> incidents, Map<String, String> groupLabels, String receiver,
                                      String externalUrl) {
        List<ObjectNode> alerts = new ArrayList<>();
        boolean firing = false;
        for (Incident i : incidents) {
            firing |= i.getStatus() != IncidentStatus.RESOLVED;
            alerts.addAll(alerts(i, externalUrl));
        }
        ObjectNode p = JSON.createObjectNode()
                .put("version", "4")
                .put("groupKey", groupKey(groupLabels))
                .put("truncatedAlerts", 0)
                .put("status", firing ? "firing" : "resolved")
                .put("receiver", receiver);
        ObjectNode gl = p.putObject("groupLabels");
        new TreeMap<>(groupLabels).forEach(gl::put);
        p.set("commonLabels", common(alerts, "labels"));
        p.set("commonAnnotations", common(alerts, "annotations"));
        p.put("externalURL", externalUrl);
        ArrayNode a = p.putArray("alerts");
        alerts.forEach(a::add);
        return p;
    }

    /** {@code {}:{k="v",…}}: Alertmanager's group key for the root route, labels sorted. */
    static String groupKey(Map<String, String> groupLabels) {
        StringBuilder b = new StringBuilder("{}:{");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(groupLabels).entrySet()) {
            if (!first) {
                b.append(',');
            }
            b.append(e.getKey()).append("=\"").append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\""))
                    .append('"');
            first = false;
        }
        return b.append('}').toString();
    }

    private static List<ObjectNode> alerts(Incident i, String externalUrl) {
        List<AppId> apps = new ArrayList<>(i.getAffectedApps());
        if (apps.isEmpty()) {
            apps.add(i.getRootCause() != null ? i.getRootCause()
                    : AppId.newBuilder().setKind(io.peregrine.schema.AppKind.UNKNOWN).setId("unknown").setName("unknown")
                    .build());
        }
        boolean resolved = i.getStatus() == IncidentStatus.RESOLVED;
        List<ObjectNode> out = new ArrayList<>();
        for (AppId app : apps) {
            Evidence ev = i.getEvidence().stream().filter(e -> e.getApp().getId().equals(app.getId())).findFirst()
                    .orElse(null);
            Map<String, String> labels = new TreeMap<>();
            labels.put("alertname", "PeregrineIncident");
            labels.put("incident_id", i.getId());
            labels.put("app", app.getId());
            labels.put("app_name", app.getName());
            if (app.getNamespace() != null) {
                labels.put("namespace", app.getNamespace());
            }
            labels.put("severity", i.getSeverity().name().toLowerCase(Locale.ROOT));
            labels.put("relation", ev == null ? "affected" : ev.getRelation().name().toLowerCase(Locale.ROOT));
            if (i.getRootCause() != null) {
                labels.put("root_cause", i.getRootCause().getId());
            }
            Map<String, String> annotations = new TreeMap<>();
            annotations.put("summary", i.getTitle());
            annotations.put("description", ev == null ? i.getSummary() : ev.getSummary());
            if (i.getRootCauseReasoning() != null) {
                annotations.put("root_cause_reasoning", i.getRootCauseReasoning());
            }
            Incidents.mergedInto(i).ifPresent(into -> annotations.put("merged_into", into));
            Incidents.staleReason(i).ifPresent(why -> annotations.put("stale_reason", why));
            ObjectNode a = JSON.createObjectNode().put("status", resolved ? "resolved" : "firing");
            ObjectNode l = a.putObject("labels");
            labels.forEach(l::put);
            ObjectNode an = a.putObject("annotations");
            annotations.forEach(an::put);
            a.put("startsAt", (ev == null ? i.getOpenedAt() : ev.getAt()).toString())
                    .put("endsAt", resolved && i.getResolvedAt() != null ? i.getResolvedAt().toString() : GO_ZERO_TIME)
                    .put("generatorURL", externalUrl.isEmpty() ? "" : stripSlash(externalUrl) + "/incidents/" + i.getId())
                    .put("fingerprint", fingerprint(labels));
            out.add(a);
        }
        return out;
    }

    /** 16 lower-case hex digits of SHA-256 over the sorted label pairs: stable for one label set. */
    static String fingerprint(Map<String, String> labels) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            new TreeMap<>(labels).forEach((k, v) -> {
                sha.update(k.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0xff);
                sha.update(v.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0xff);
            });
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static ObjectNode common(List<ObjectNode> alerts, String field) {
        Map<String, String> common = null;
        for (ObjectNode a : alerts) {
            Map<String, String> these = new LinkedHashMap<>();
            a.get(field).fields().forEachRemaining(e -> these.put(e.getKey(), e.getValue().asText()));
            if (common == null) {
                common = new TreeMap<>(these);
            } else {
                common.entrySet().removeIf(e -> !e.getValue().equals(these.get(e.getKey())));
            }
        }
        ObjectNode o = JSON.createObjectNode();
        if (common != null) {
            common.forEach(o::put);
        }
        return o;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
