package io.peregrine.flink.incident.functions;

import io.peregrine.flink.incident.records.Signal;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Evidence;
import io.peregrine.schema.EvidenceRelation;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.Severity;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** Builds {@link Incident} versions from the signals grouped into an incident. */
public final class Incidents {

    /** How the last version of an incident merged into another begins; {@link #mergedInto} reads it back. */
    static final String MERGED_INTO = "Merged into incident ";
    /** How the last version of a stale incident begins; {@link #staleReason} reads it back. */
    static final String STALE = "Stale: ";

    private Incidents() {
    }

    /**
     * The last version of {@code absorbed}, merged into incident {@code target}: RESOLVED, its
     * summary saying where it went, so receivers close it with that note instead of hearing of the
     * target under a second id.
     */
    public static Incident merged(Incident absorbed, String target, long now) {
        return Incident.newBuilder(absorbed)
                .setStatus(IncidentStatus.RESOLVED)
                .setSummary(MERGED_INTO + target + ", which a signal related to both joined. " + absorbed.getSummary())
                .setUpdatedAt(Instant.ofEpochMilli(Math.max(now, absorbed.getUpdatedAt().toEpochMilli() + 1)))
                .setResolvedAt(Instant.ofEpochMilli(now))
                .build();
    }

    /** The incident a RESOLVED version was merged into ({@link #merged}), if it was. */
    public static java.util.Optional<String> mergedInto(Incident i) {
        String s = i.getSummary();
        if (i.getStatus() != IncidentStatus.RESOLVED || s == null || !s.startsWith(MERGED_INTO)) {
            return java.util.Optional.empty();
        }
        int end = s.indexOf(',', MERGED_INTO.length());
        return java.util.Optional.of(s.substring(MERGED_INTO.length(), end < 0 ? s.length() : end));
    }

    /**
     * The last version of an open incident nothing was heard of for a while ({@code why}, e.g. "no
     * data for 1h since ..."): RESOLVED although its alerts did not resolve, and saying so first in
     * its summary, so that its pages close and nobody takes it for a recovery.
     *
     * @param now event time of this version (ms); updated_at still grows past the last version's
     */
    public static Incident stale(Incident last, String why, long now) {
        long at = Math.max(now, last.getUpdatedAt().toEpochMilli() + 1);
        return Incident.newBuilder(last)
                .setStatus(IncidentStatus.RESOLVED)
                .setSummary(STALE + why + "; resolved although its alerts did not resolve: the signal stopped, "
                        + "it did not recover. " + last.getSummary())
                .setUpdatedAt(Instant.ofEpochMilli(at))
                .setResolvedAt(Instant.ofEpochMilli(at))
                .build();
    }

    /** Why a RESOLVED version was resolved as stale ({@link #stale}), if it was: its summary's first sentence. */
    public static java.util.Optional<String> staleReason(Incident i) {
        String s = i.getSummary();
        if (i.getStatus() != IncidentStatus.RESOLVED || s == null || !s.startsWith(STALE)) {
            return java.util.Optional.empty();
        }
        int end = s.indexOf(". ");
        return java.util.Optional.of(end < 0 ? s : s.substring(0, end + 1));
    }

    /**
     * The id of an incident opened by {@code first} when an earlier incident of the same alert
     * (same fingerprint and start) was resolved as stale: a new incident, under a new id, still
     * name-based (the signal's time added) so a replay decides the same.
     */
    public static String reopenedId(Signal first) {
        return UUID.nameUUIDFromBytes((first.fingerprint() + "@" + first.alert.getStartsAt().toEpochMilli() + "@" + first.at)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * The id of an incident opened by {@code first}: a name-based UUID of its fingerprint and start,
     * not a random one, so that a job restored from a checkpoint re-opens the same incident under
     * the same id, and a notifier keyed on it (PagerDuty's dedup_key) does not page twice.
     */
    public static String id(Signal first) {
        return UUID.nameUUIDFromBytes((first.fingerprint() + "@" + first.alert.getStartsAt().toEpochMilli())
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * The version of incident {@code id} given its members in the order they joined.
     *
     * @param previous the version written before, or null for a new incident (updated_at must grow)
     * @param silencedBy ids of the silences that silence it
     * @param now event time of this version (ms)
     */
    public static Incident build(String id, List<Signal> members, ServiceGraph graph, List<String> silencedBy,
                                 Incident previous, long now) {
        List<Signal> firing = members.stream().filter(s -> s.firing).toList();
        boolean open = !firing.isEmpty();
        List<Signal> counted = open ? firing : members;

        Map<String, AppId> apps = new LinkedHashMap<>();
        Map<String, Long> startedAt = new HashMap<>();
        for (Signal s : members) {
            apps.putIfAbsent(s.appId(), s.alert.getApp());
        }
        // Over every member, resolved ones included: a root cause that recovers before its clients
        // stays the probable cause of the incident.
        for (Signal s : members) {
            startedAt.merge(s.appId(), s.alert.getStartsAt().toEpochMilli(), Math::min);
        }
        ServiceGraph.Root root = graph.rootCause(new ArrayList<>(apps.values()), startedAt);
        String rootId = root.app().getId();

        List<Evidence> evidence = members.stream()
                .map(s -> Evidence.newBuilder()
                        .setApp(s.alert.getApp())
                        .setRelation(graph.relation(s.appId(), rootId))
                        .setAlertFingerprint(s.fingerprint())
                        .setSummary(s.alert.getSummary() + (s.firing ? "" : " (resolved)")
                                + (s.flapping ? " (flapping)" : ""))
                        .setAt(s.alert.getStartsAt())
                        .build())
                .sorted(Comparator.comparingInt((Evidence e) -> order(e.getRelation()))
                        .thenComparing(Evidence::getAt)
                        .thenComparing(e -> e.getApp().getId()))
                .toList();

        Severity severity = counted.stream().map(s -> s.alert.getSeverity())
                .min(Comparator.comparingInt(Incidents::urgency)).orElse(Severity.UNKNOWN);
        long openedAt = members.stream().mapToLong(s -> s.alert.getStartsAt().toEpochMilli()).min().orElse(now);
        long updatedAt = previous == null ? now : Math.max(now, previous.getUpdatedAt().toEpochMilli() + 1);
        boolean flapping = firing.stream().anyMatch(s -> s.flapping);

        List<String> others = apps.values().stream().filter(a -> !a.getId().equals(rootId)).map(AppId::getName).toList();
        String title = others.isEmpty()
                ? members.get(0).alert.getSummary()
                : String.format(Locale.ROOT, "%s degraded, affecting %s", root.app().getName(), String.join(", ", others));
        String summary = String.format(Locale.ROOT, "%s %d alert%s on %d application%s since %s; probable cause %s (%s).%s",
                open ? "Open:" : "Resolved:", members.size(), members.size() == 1 ? "" : "s", apps.size(),
                apps.size() == 1 ? "" : "s", Instant.ofEpochMilli(openedAt), root.app().getId(), root.reasoning(),
                flapping ? " Flapping: held open instead of paging on every change." : "");

        return Incident.newBuilder()
                .setId(id)
                .setStatus(open ? IncidentStatus.OPEN : IncidentStatus.RESOLVED)
                .setSeverity(severity)
                .setTitle(title)
                .setSummary(summary)
                .setRootCause(root.app())
                .setRootCauseReasoning(root.reasoning())
                .setAffectedApps(new ArrayList<>(apps.values()))
                .setAlertFingerprints(members.stream().map(Signal::fingerprint).collect(Collectors.toList()))
                .setEvidence(evidence)
                .setOpenedAt(Instant.ofEpochMilli(openedAt))
                .setUpdatedAt(Instant.ofEpochMilli(updatedAt))
                .setResolvedAt(open ? null : Instant.ofEpochMilli(Math.max(now, lastEnd(members))))
                .setFlapping(flapping)
                .setSilencedBy(silencedBy)
                .build();
    }

    /**
     * Whether a version pages: open, severity PAGE and not silenced. PagerDuty is triggered by the
     * first such version of an incident ({@code PagerDutyRouter}).
     */
    public static boolean pages(Incident i) {
        return notifies(i) && i.getSeverity() == Severity.PAGE;
    }

    /** Whether receivers hear of a version at all: open and not silenced ({@code IncidentChanges}). */
    public static boolean notifies(Incident i) {
        return i.getStatus() == IncidentStatus.OPEN && i.getSilencedBy().isEmpty();
    }

    /** Whether two versions say the same, apart from when they were written. */
    public static boolean sameContent(Incident a, Incident b) {
        return a != null && b != null
                && Incident.newBuilder(a).setUpdatedAt(b.getUpdatedAt()).setResolvedAt(b.getResolvedAt()).build().equals(b);
    }

    private static long lastEnd(List<Signal> members) {
        return members.stream().mapToLong(s -> s.alert.getEndsAt() != null ? s.alert.getEndsAt().toEpochMilli() : s.at)
                .max().orElse(Long.MIN_VALUE);
    }

    /** Lower is more urgent; UNKNOWN counts as TICKET, as the schema says. */
    static int urgency(Severity s) {
        return switch (s) {
            case PAGE -> 0;
            case TICKET, UNKNOWN -> 1;
            case INFO -> 2;
        };
    }

    private static int order(EvidenceRelation r) {
        return switch (r) {
            case ROOT -> 0;
            case CLIENT -> 1;
            case TRANSITIVE_CLIENT -> 2;
            case DEPENDENCY -> 3;
            case SAME_NODE -> 4;
            case UNKNOWN -> 5;
        };
    }
}
