package io.peregrine.flink.slo.functions;

import io.peregrine.flink.slo.BurnRateTier;
import io.peregrine.flink.slo.Objective;
import io.peregrine.flink.slo.records.Counts;
import io.peregrine.flink.slo.records.Sli;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.AppId;
import io.peregrine.schema.BurnRate;
import io.peregrine.schema.Severity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Builds the {@link Alert} records of SLO burn-rate alerts. */
public final class SloAlerts {

    private SloAlerts() {
    }

    /**
     * Stable identity of one SLO of one application: lower-case hex SHA-256 of the alert kind, the
     * application id and the {@code slo} label, never severity, status or values. One fingerprint
     * per SLO is what makes suppression hold downstream too: a page and a ticket for the same SLO
     * are two versions of one alert, not two alerts.
     */
    public static String fingerprint(Sli sli, String appId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((sli.kind().name() + '\u0000' + appId + '\u0000' + "slo=" + sli.label())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A FIRING version: the condition holds at {@code severity} through {@code e}'s tier. */
    static Alert firing(Sli sli, AppId app, Objective objective, long latencyThresholdMs, BurnRates.Evaluation e,
                        long startsAt, long updatedAt) {
        BurnRateTier t = e.rule();
        String name = app.getName();
        String summary = String.format(Locale.ROOT, "%s: %s SLO burning %s its error budget (%s over %s)",
                name, sli.label(), times(e.shortBurnRate()), t.severity() == Severity.PAGE ? "page" : "ticket", t.windows());
        String description = String.format(Locale.ROOT,
                "%s of %s: %s good over the last %s and %s over the last %s, against an objective of %s%%. The error "
                        + "budget burns %s (%s) and %s (%s) as fast as the objective allows; this tier fires above %s "
                        + "in both windows (%s / %s requests bad). Firing since %s.",
                what(sli, latencyThresholdMs), app.getId(),
                percent(e.shortCounts(), sli), durationText(t, false),
                percent(e.longCounts(), sli), durationText(t, true),
                objective.percentText(), times(e.shortBurnRate()), durationText(t, false), times(e.longBurnRate()),
                durationText(t, true), times(t.burnRate()), e.shortCounts().bad(sli), e.shortCounts().total(),
                Instant.ofEpochMilli(startsAt));
        return base(sli, app, objective, t.severity(), t, e, startsAt, updatedAt)
                .setStatus(AlertStatus.FIRING)
                .setSummary(summary)
                .setDescription(description)
                .setEndsAt(null)
                .build();
    }

    /** The RESOLVED version closing an alert that fired at {@code severity}; {@code e} is its tier's evidence now. */
    static Alert resolved(Sli sli, AppId app, Objective objective, long latencyThresholdMs, Severity severity,
                          BurnRates.Evaluation e, long startsAt, long endsAt, long updatedAt) {
        BurnRateTier t = e.rule();
        String summary = String.format(Locale.ROOT, "%s: %s SLO burn back within budget", app.getName(), sli.label());
        String description = String.format(Locale.ROOT,
                "%s of %s no longer burns its error budget faster than any alerting tier (objective %s%%); %s over "
                        + "the last %s, burning %s. Fired from %s to %s.",
                what(sli, latencyThresholdMs), app.getId(), objective.percentText(), percent(e.shortCounts(), sli),
                durationText(t, false), times(e.shortBurnRate()), Instant.ofEpochMilli(startsAt), Instant.ofEpochMilli(endsAt));
        return base(sli, app, objective, severity, t, e, startsAt, updatedAt)
                .setStatus(AlertStatus.RESOLVED)
                .setSummary(summary)
                .setDescription(description)
                .setEndsAt(Instant.ofEpochMilli(endsAt))
                .build();
    }

    private static Alert.Builder base(Sli sli, AppId app, Objective objective, Severity severity, BurnRateTier t,
                                      BurnRates.Evaluation e, long startsAt, long updatedAt) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app", app.getId());
        labels.put("app_name", app.getName());
        if (app.getNamespace() != null) {
            labels.put("namespace", app.getNamespace());
        }
        labels.put("kind", sli.kind().name());
        labels.put("slo", sli.label());
        labels.put("objective", objective.percentText());
        labels.put("severity", severity.name().toLowerCase(Locale.ROOT));
        return Alert.newBuilder()
                .setSeverity(severity)
                .setFingerprint(fingerprint(sli, app.getId()))
                .setKind(sli.kind())
                .setApp(app)
                .setLabels(labels)
                .setStartsAt(Instant.ofEpochMilli(startsAt))
                .setUpdatedAt(Instant.ofEpochMilli(updatedAt))
                .setValue(e.shortBurnRate())
                .setThreshold(t.burnRate())
                .setBurnRate(BurnRate.newBuilder()
                        .setObjective(objective.objective())
                        .setLongWindowMs(t.longWindow().toMillis())
                        .setShortWindowMs(t.shortWindow().toMillis())
                        .setLongBurnRate(e.longBurnRate())
                        .setShortBurnRate(e.shortBurnRate())
                        .setThreshold(t.burnRate())
                        .build());
    }

    private static String what(Sli sli, long latencyThresholdMs) {
        return sli == Sli.AVAILABILITY ? "Availability (requests that are not errors)"
                : "Latency (requests that succeed within " + latencyThresholdMs + " ms)";
    }

    private static String percent(Counts c, Sli sli) {
        if (c.total() == 0) {
            return "no requests";
        }
        return String.format(Locale.ROOT, "%.2f%%", 100.0 * c.good(sli) / c.total());
    }

    private static String times(double burn) {
        return String.format(Locale.ROOT, burn >= 10 ? "%.0fx" : "%.1fx", burn);
    }

    private static String durationText(BurnRateTier t, boolean longWindow) {
        String w = t.windows();
        return longWindow ? w.substring(0, w.indexOf('/')) : w.substring(w.indexOf('/') + 1);
    }
}
