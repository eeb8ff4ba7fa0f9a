package io.peregrine.flink.notify.slack;

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
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Incidents as Slack incoming-webhook messages in Block Kit: a header (state, severity, title), the
 * summary, fields (status, severity, probable root cause, opened/resolved, duration), the evidence
 * chain, and a context line with the incident id. {@code text} carries the same in one line, for
 * notifications and clients without blocks. Text from incidents is escaped for Slack's mrkdwn
 * ({@code &}, {@code <}, {@code >}) and cut to Block Kit's limits (header 150, section 3000, field
 * 2000 characters), so a long summary cannot make Slack refuse the message with a 400.
 */
public final class SlackReceiver implements IncidentReceiver {
    private static final long serialVersionUID = 1L;

    static final int HEADER_MAX = 150;
    static final int SECTION_MAX = 3000;
    static final int FIELD_MAX = 2000;
    static final int EVIDENCE_LINES = 10;

    private final SlackConfig config;

    public SlackReceiver(SlackConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "slack";
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
        return HttpRequest.newBuilder(config.url())
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(n.body(), StandardCharsets.UTF_8));
    }

    @Override
    public HttpNotification notification(Incident i, NotifyAction action) {
        boolean resolved = action == NotifyAction.RESOLVE;
        String mergedInto = resolved ? Incidents.mergedInto(i).orElse(null) : null;
        boolean stale = resolved && Incidents.staleReason(i).isPresent();
        String state = mergedInto != null ? ":twisted_rightwards_arrows: Merged"
                : stale ? ":grey_question: Resolved, no data" : resolved ? ":white_check_mark: Resolved" : action == NotifyAction.UPDATE ? severityIcon(i) + " Updated"
                : severityIcon(i) + " " + severityName(i.getSeverity());
        String header = truncate(state + ": " + i.getTitle(), HEADER_MAX);
        ObjectNode body = base(header + (resolved ? "" : " — " + i.getSummary()));
        ArrayNode blocks = body.putArray("blocks");
        blocks.addObject().put("type", "header").putObject("text").put("type", "plain_text").put("text", header)
                .put("emoji", true);
        section(blocks, escape(i.getSummary()));
        ArrayNode fields = blocks.addObject().put("type", "section").putArray("fields");
        field(fields, "Status", mergedInto != null ? "Merged into " + mergedInto
                : stale ? "Resolved as stale (not recovered)" : resolved ? "Resolved" : "Open");
        field(fields, "Severity", severityName(i.getSeverity()));
        field(fields, "Probable root cause", i.getRootCause() == null ? "undetermined" : appText(i.getRootCause()));
        field(fields, "Opened", i.getOpenedAt().toString());
        if (resolved && i.getResolvedAt() != null) {
            field(fields, "Resolved", i.getResolvedAt().toString() + " (after "
                    + IncidentJson.duration(i.getOpenedAt(), i.getResolvedAt()) + ")");
        }
        field(fields, "Affected", i.getAffectedApps().stream().map(SlackReceiver::appText)
                .collect(Collectors.joining(", ")));
        if (i.getRootCauseReasoning() != null && !resolved) {
            section(blocks, "*Why:* " + escape(i.getRootCauseReasoning()));
        }
        if (!i.getEvidence().isEmpty() && !resolved) {
            StringBuilder ev = new StringBuilder("*Evidence*");
            List<Evidence> evidence = i.getEvidence();
            for (int k = 0; k < Math.min(EVIDENCE_LINES, evidence.size()); k++) {
                Evidence e = evidence.get(k);
                ev.append("\n• `").append(e.getRelation().name().toLowerCase(Locale.ROOT)).append("` ")
                        .append(escape(e.getSummary()));
            }
            if (evidence.size() > EVIDENCE_LINES) {
                ev.append("\n… and ").append(evidence.size() - EVIDENCE_LINES).append(" more");
            }
            section(blocks, ev.toString());
        }
        context(blocks, "Peregrine incident `" + escape(i.getId()) + "`");
        return new HttpNotification(name(), i.getId(), IncidentJson.notificationId(i, action.label()), action.label(),
                "", body.toString());
    }

    @Override
    public HttpNotification digest(List<IncidentNotice> held, long heldVersions) {
        String header = truncate(":warning: " + held.size() + " incident updates held back by the rate limit", HEADER_MAX);
        ObjectNode body = base(header);
        ArrayNode blocks = body.putArray("blocks");
        blocks.addObject().put("type", "header").putObject("text").put("type", "plain_text").put("text", header)
                .put("emoji", true);
        StringBuilder list = new StringBuilder();
        int shown = 0;
        for (IncidentNotice n : held) {
            String line = "• *" + n.action().label() + "* " + severityName(n.incident().getSeverity()) + " — "
                    + escape(n.incident().getTitle()) + " (`" + escape(n.incident().getId()) + "`)\n";
            if (list.length() + line.length() > SECTION_MAX - 40) {
                break;
            }
            list.append(line);
            shown++;
        }
        if (shown < held.size()) {
            list.append("… and ").append(held.size() - shown).append(" more");
        }
        section(blocks, list.toString().stripTrailing());
        context(blocks, String.format(Locale.ROOT, "%d notifications over %s/min were summarised here (%d incidents); "
                + "the latest state of each is listed", heldVersions, fmt(config.rateLimit().perMinute()), held.size()));
        return new HttpNotification(name(), "digest", "digest:" + held.get(0).incident().getId() + ":"
                + held.get(held.size() - 1).incident().getUpdatedAt().toEpochMilli(), "digest", "", body.toString());
    }

    private ObjectNode base(String text) {
        ObjectNode body = JSON.createObjectNode().put("text", truncate(text, SECTION_MAX));
        if (config.channel() != null) {
            body.put("channel", config.channel());
        }
        if (config.username() != null) {
            body.put("username", config.username());
        }
        return body;
    }

    private static void section(ArrayNode blocks, String mrkdwn) {
        blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn")
                .put("text", truncate(mrkdwn, SECTION_MAX));
    }

    private static void field(ArrayNode fields, String name, String value) {
        fields.addObject().put("type", "mrkdwn").put("text", truncate("*" + name + "*\n" + escape(value), FIELD_MAX));
    }

    private static void context(ArrayNode blocks, String mrkdwn) {
        blocks.addObject().put("type", "context").putArray("elements").addObject().put("type", "mrkdwn")
                .put("text", truncate(mrkdwn, SECTION_MAX));
    }

    private static String appText(AppId a) {
        return a.getName().equals(a.getId()) ? a.getId() : a.getName() + " (" + a.getId() + ")";
    }

    private static String severityIcon(Incident i) {
        return i.getSeverity() == Severity.PAGE ? ":red_circle:" : ":large_orange_circle:";
    }

    static String severityName(Severity s) {
        return switch (s) {
            case PAGE -> "Page";
            case TICKET -> "Ticket";
            case INFO -> "Info";
            default -> "Ticket";
        };
    }

    /** Slack's mrkdwn control characters, as its docs require: {@code & < >}. */
    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
