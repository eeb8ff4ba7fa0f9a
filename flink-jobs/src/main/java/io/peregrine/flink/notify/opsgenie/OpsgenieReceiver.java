package io.peregrine.flink.notify.opsgenie;

import static io.peregrine.flink.notify.IncidentJson.JSON;
import static io.peregrine.flink.notify.IncidentJson.truncate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.flink.incident.functions.Incidents;
import io.peregrine.flink.notify.IncidentJson;
import io.peregrine.flink.notify.IncidentReceiver;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Evidence;
import io.peregrine.schema.Incident;
import io.peregrine.schema.Severity;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Incidents as Opsgenie alerts (Alert API v2): an OPEN incident creates an alert whose
 * {@code alias} is the incident id, so Opsgenie de-duplicates a re-sent or updated create into the
 * same alert; a RESOLVED one closes it ({@code POST v2/alerts/<alias>/close?identifierType=alias}),
 * with a note naming the incident it was merged into, if it was, or saying it went stale.
 * Priority from severity: PAGE is P1, TICKET (and UNKNOWN, which consumers treat as a ticket) P3,
 * INFO P5. Opsgenie's limits are applied: message 130 characters, alias 512, description 15000.
 * The API key is added per attempt ({@code Authorization: GenieKey <key>}), never stored with the
 * notification.
 */
public final class OpsgenieReceiver implements IncidentReceiver {
    private static final long serialVersionUID = 1L;

    static final int MESSAGE_MAX = 130;
    static final int ALIAS_MAX = 512;
    static final int DESCRIPTION_MAX = 15_000;
    static final int TAG_MAX = 50;

    private final OpsgenieConfig config;

    public OpsgenieReceiver(OpsgenieConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "opsgenie";
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
        return HttpRequest.newBuilder(config.url().resolve(n.path()))
                .header("Content-Type", "application/json")
                .header("Authorization", "GenieKey " + config.apiKey())
                .POST(HttpRequest.BodyPublishers.ofString(n.body(), StandardCharsets.UTF_8));
    }

    /** P1 for pages, P3 for tickets (and UNKNOWN), P5 for information. */
    public static String priority(Severity s) {
        return switch (s) {
            case PAGE -> "P1";
            case INFO -> "P5";
            default -> "P3";
        };
    }

    @Override
    public HttpNotification notification(Incident i, NotifyAction action) {
        String alias = truncate(i.getId(), ALIAS_MAX);
        String id = IncidentJson.notificationId(i, action.label());
        if (action == NotifyAction.RESOLVE) {
            String after = IncidentJson.duration(i.getOpenedAt(), i.getResolvedAt() == null ? i.getUpdatedAt()
                    : i.getResolvedAt());
            ObjectNode body = JSON.createObjectNode()
                    .put("source", "Peregrine")
                    .put("note", Incidents.mergedInto(i)
                            .map(into -> "Merged by Peregrine at " + i.getResolvedAt() + " after " + after
                                    + " into incident " + into + " (the alert with that alias), which carries on.")
                            .or(() -> Incidents.staleReason(i).map(why -> "Closed by Peregrine at " + i.getResolvedAt()
                                    + " after " + after + ", without a recovery: " + why))
                            .orElse("Resolved by Peregrine at " + i.getResolvedAt() + " after " + after));
            return new HttpNotification(name(), i.getId(), id, action.label(),
                    "v2/alerts/" + URLEncoder.encode(alias, StandardCharsets.UTF_8).replace("+", "%20")
                            + "/close?identifierType=alias", body.toString());
        }
        ObjectNode body = JSON.createObjectNode()
                .put("message", truncate(i.getTitle(), MESSAGE_MAX))
                .put("alias", alias)
                .put("description", truncate(description(i), DESCRIPTION_MAX))
                .put("priority", priority(i.getSeverity()))
                .put("source", "Peregrine")
                .put("entity", IncidentJson.mainApp(i));
        ArrayNode tags = body.putArray("tags");
        tags.add("peregrine");
        tags.add("severity:" + i.getSeverity().name().toLowerCase(Locale.ROOT));
        if (i.getRootCause() != null) {
            tags.add(truncate("root_cause:" + i.getRootCause().getId(), TAG_MAX));
        }
        config.tags().forEach(tags::add);
        ArrayNode responders = body.putArray("responders");
        config.responders().forEach(r -> {
            ObjectNode o = responders.addObject();
            r.forEach(o::put);
        });
        if (responders.isEmpty()) {
            body.remove("responders");
        }
        body.putObject("details")
                .put("incident_id", i.getId())
                .put("status", i.getStatus().name())
                .put("severity", i.getSeverity().name())
                .put("root_cause", i.getRootCause() == null ? "undetermined" : i.getRootCause().getId())
                .put("affected_apps", i.getAffectedApps().stream().map(AppId::getId).collect(Collectors.joining(", ")))
                .put("opened_at", i.getOpenedAt().toString())
                .put("alert_fingerprints", String.join(", ", i.getAlertFingerprints()));
        return new HttpNotification(name(), i.getId(), id, action.label(), "v2/alerts", body.toString());
    }

    @Override
    public HttpNotification digest(List<IncidentNotice> held, long heldVersions) {
        Incident last = held.get(held.size() - 1).incident();
        String alias = "peregrine-digest-" + held.get(0).incident().getId() + "-" + last.getUpdatedAt().toEpochMilli();
        StringBuilder d = new StringBuilder(String.format(Locale.ROOT,
                "Peregrine held back %d notifications about %d incidents over the rate limit of %s/min. Latest state "
                        + "of each (alias = incident id):\n", heldVersions, held.size(), config.rateLimit().perMinute()));
        Severity worst = Severity.INFO;
        for (IncidentNotice n : held) {
            Incident i = n.incident();
            d.append("- ").append(n.action().label()).append(' ').append(i.getSeverity()).append(' ')
                    .append(i.getId()).append(": ").append(i.getTitle()).append('\n');
            if (i.getStatus() != io.peregrine.schema.IncidentStatus.RESOLVED && rank(i.getSeverity()) < rank(worst)) {
                worst = i.getSeverity();
            }
        }
        ObjectNode body = JSON.createObjectNode()
                .put("message", truncate(held.size() + " incident updates held back by the rate limit", MESSAGE_MAX))
                .put("alias", truncate(alias, ALIAS_MAX))
                .put("description", truncate(d.toString(), DESCRIPTION_MAX))
                .put("priority", priority(worst))
                .put("source", "Peregrine");
        body.putArray("tags").add("peregrine").add("digest");
        return new HttpNotification(name(), "digest", alias, "digest", "v2/alerts", body.toString());
    }

    private static int rank(Severity s) {
        return switch (s) {
            case PAGE -> 0;
            case INFO -> 2;
            default -> 1;
        };
    }

    private static String description(Incident i) {
        StringBuilder d = new StringBuilder(i.getSummary());
        if (i.getRootCause() != null) {
            d.append("\n\nProbable root cause: ").append(i.getRootCause().getId());
            if (i.getRootCauseReasoning() != null) {
                d.append(" (").append(i.getRootCauseReasoning()).append(')');
            }
        }
        if (!i.getEvidence().isEmpty()) {
            d.append("\n\nEvidence:");
            for (Evidence e : i.getEvidence()) {
                d.append("\n- [").append(e.getRelation().name().toLowerCase(Locale.ROOT)).append("] ")
                        .append(e.getSummary());
            }
        }
        d.append("\n\nPeregrine incident ").append(i.getId()).append(", opened ").append(i.getOpenedAt());
        return d.toString();
    }
}
