package io.peregrine.flink.incident.functions;

import io.peregrine.schema.Alert;
import io.peregrine.schema.Silence;
import io.peregrine.schema.SilenceMatcher;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Alertmanager's silence semantics over Peregrine's alerts. */
public final class Silences {

    private Silences() {
    }

    /** Whether {@code silence} is in effect at {@code at} (ms): starts_at inclusive, ends_at exclusive. */
    public static boolean active(Silence silence, long at) {
        return silence.getStartsAt().toEpochMilli() <= at && at < silence.getEndsAt().toEpochMilli();
    }

    /**
     * Whether every matcher of {@code silence} holds for {@code alert}'s labels; a silence without
     * matchers matches nothing, and an invalid regular expression matches nothing (the CLI refuses
     * one, but the topic is open to any producer).
     */
    public static boolean matches(Silence silence, Alert alert) {
        if (silence.getMatchers().isEmpty()) {
            return false;
        }
        Map<String, String> labels = labels(alert);
        for (SilenceMatcher m : silence.getMatchers()) {
            String value = labels.getOrDefault(m.getName(), "");
            boolean hit;
            if (m.getIsRegex()) {
                try {
                    hit = Pattern.compile(m.getValue()).matcher(value).matches();
                } catch (PatternSyntaxException e) {
                    return false;
                }
            } else {
                hit = m.getValue().equals(value);
            }
            if (hit != m.getIsEqual()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The labels silences match on: the alert's own, plus {@code app}, {@code app_name},
     * {@code namespace}, {@code kind} and {@code severity} from its fields where the alert's producer
     * did not set them, so a silence on {@code app} works for every kind of alert.
     */
    public static Map<String, String> labels(Alert alert) {
        Map<String, String> labels = new LinkedHashMap<>(alert.getLabels());
        labels.putIfAbsent("app", alert.getApp().getId());
        labels.putIfAbsent("app_name", alert.getApp().getName());
        if (alert.getApp().getNamespace() != null) {
            labels.putIfAbsent("namespace", alert.getApp().getNamespace());
        }
        labels.putIfAbsent("kind", alert.getKind().name());
        labels.putIfAbsent("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT));
        return labels;
    }
}
