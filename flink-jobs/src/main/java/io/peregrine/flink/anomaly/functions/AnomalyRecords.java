package io.peregrine.flink.anomaly.functions;

import io.peregrine.flink.anomaly.functions.Baseline.Judgement;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertKind;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.Anomaly;
import io.peregrine.schema.AnomalyDirection;
import io.peregrine.schema.AnomalyMetric;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Severity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Builds the {@link Anomaly} records and the ANOMALY {@link Alert} versions of anomaly detection, with their texts. */
public final class AnomalyRecords {

    private AnomalyRecords() {
    }

    /** Stable identity of one signal of one application: SHA-256 of the kind, the app id and the metric. */
    public static String fingerprint(AnomalyMetric metric, String appId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((AlertKind.ANOMALY.name() + '\u0000' + appId
                    + '\u0000' + "metric=" + label(metric)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public static String label(AnomalyMetric metric) {
        return metric.name().toLowerCase(Locale.ROOT);
    }

    /** {@code p99 latency 412 ms vs usual 80±15 ms (score 9.3)}; ± is the robust sigma, 1.4826 x MAD. */
    public static String explanation(AnomalyMetric metric, Judgement j) {
        return String.format(Locale.ROOT, "%s %s (score %.1f)", name(metric), comparison(metric, j), j.score());
    }

    /** {@code 412 ms vs usual 80±15 ms}. */
    static String comparison(AnomalyMetric metric, Judgement j) {
        String usual = "recent".equals(j.reference()) ? "usual" : "usual for this " + j.reference();
        double sigma = Baseline.MAD_TO_SIGMA * j.spread();
        return value(metric, j.observed(), true) + " vs " + usual + " " + value(metric, j.baseline(), false) + "±"
                + value(metric, sigma, true);
    }

    static String name(AnomalyMetric metric) {
        return switch (metric) {
            case REQUEST_RATE -> "request rate";
            case ERROR_RATE -> "error rate";
            case LATENCY_P99 -> "p99 latency";
            default -> label(metric);
        };
    }

    private static String value(AnomalyMetric metric, double v, boolean unit) {
        return switch (metric) {
            case ERROR_RATE -> number(100 * v) + (unit ? "%" : "");
            case REQUEST_RATE -> number(v) + (unit ? "/s" : "");
            default -> number(v) + (unit ? " ms" : "");
        };
    }

    private static String number(double v) {
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v)
                .replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }

    static Anomaly anomaly(AppId app, AnomalyMetric metric, long windowStart, long windowEnd, Judgement j, long detectedAt) {
        return Anomaly.newBuilder()
                .setApp(app)
                .setMetric(metric)
                .setWindowStart(Instant.ofEpochMilli(windowStart))
                .setWindowEnd(Instant.ofEpochMilli(windowEnd))
                .setDetectedAt(Instant.ofEpochMilli(detectedAt))
                .setObserved(j.observed())
                .setBaseline(j.baseline())
                .setSpread(j.spread())
                .setScore(j.score())
                .setDirection(j.score() >= 0 ? AnomalyDirection.HIGH : AnomalyDirection.LOW)
                .setExplanation(app.getName() + ": " + explanation(metric, j))
                .build();
    }

    static Alert firing(AppId app, AnomalyMetric metric, Severity severity, double threshold, int windows,
                        Judgement j, long startsAt, long updatedAt) {
        String text = explanation(metric, j);
        return base(app, metric, severity, threshold, startsAt, updatedAt, Math.abs(j.score()))
                .setStatus(AlertStatus.FIRING)
                .setSummary(app.getName() + ": " + name(metric) + " anomalous (" + comparison(metric, j) + ")")
                .setDescription(String.format(Locale.ROOT, "%s of %s deviates from its baseline: %s. Anomalous for %d "
                                + "consecutive SLI windows (|score| >= %s), since %s.", capitalised(name(metric)),
                        app.getId(), text, windows, trim(threshold), Instant.ofEpochMilli(startsAt)))
                .setEndsAt(null)
                .build();
    }

    static Alert resolved(AppId app, AnomalyMetric metric, Severity severity, double threshold, long startsAt,
                          long endsAt, long updatedAt, String why, double peakScore) {
        return base(app, metric, severity, threshold, startsAt, updatedAt, peakScore)
                .setStatus(AlertStatus.RESOLVED)
                .setSummary(app.getName() + ": " + name(metric) + " back to normal")
                .setDescription(String.format(Locale.ROOT, "%s of %s is back within its baseline (%s). Anomalous from "
                                + "%s to %s, peak score %.1f.", capitalised(name(metric)), app.getId(), why,
                        Instant.ofEpochMilli(startsAt), Instant.ofEpochMilli(endsAt), peakScore))
                .setEndsAt(Instant.ofEpochMilli(endsAt))
                .build();
    }

    private static Alert.Builder base(AppId app, AnomalyMetric metric, Severity severity, double threshold,
                                      long startsAt, long updatedAt, double value) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app", app.getId());
        labels.put("app_name", app.getName());
        if (app.getNamespace() != null) {
            labels.put("namespace", app.getNamespace());
        }
        labels.put("kind", AlertKind.ANOMALY.name());
        labels.put("metric", label(metric));
        labels.put("severity", severity.name().toLowerCase(Locale.ROOT));
        return Alert.newBuilder()
                .setFingerprint(fingerprint(metric, app.getId()))
                .setKind(AlertKind.ANOMALY)
                .setSeverity(severity)
                .setApp(app)
                .setLabels(labels)
                .setStartsAt(Instant.ofEpochMilli(startsAt))
                .setUpdatedAt(Instant.ofEpochMilli(updatedAt))
                .setValue(value)
                .setThreshold(threshold)
                .setBurnRate(null);
    }

    private static String capitalised(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
