package io.peregrine.flink.incident.functions;

import io.peregrine.schema.AppId;
import io.peregrine.schema.EvidenceRelation;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The service map as the incident stage uses it: who calls whom (client app id to the server app
 * ids it calls), and the questions grouping asks of it. Reachability follows calls transitively,
 * through applications that do not signal too.
 */
public final class ServiceGraph {

    private final Map<String, Set<String>> dependencies;
    private final Map<String, Set<String>> reachable = new HashMap<>();

    /** @param dependencies client app id to the app ids it calls; read, not copied */
    public ServiceGraph(Map<String, Set<String>> dependencies) {
        this.dependencies = dependencies;
    }

    /** Every app {@code app} calls, directly or through others (not {@code app} itself, unless in a cycle). */
    public Set<String> dependenciesOf(String app) {
        return reachable.computeIfAbsent(app, a -> {
            Set<String> seen = new HashSet<>();
            Deque<String> todo = new ArrayDeque<>(dependencies.getOrDefault(a, Set.of()));
            while (!todo.isEmpty()) {
                String next = todo.poll();
                if (seen.add(next)) {
                    todo.addAll(dependencies.getOrDefault(next, Set.of()));
                }
            }
            return seen;
        });
    }

    /** Whether {@code app} is one of {@code others}, depends on one of them, or one of them depends on it. */
    public boolean related(String app, Set<String> others) {
        if (others.contains(app)) {
            return true;
        }
        Set<String> down = dependenciesOf(app);
        for (String o : others) {
            if (down.contains(o) || dependenciesOf(o).contains(app)) {
                return true;
            }
        }
        return false;
    }

    /** The probable root cause among signalling apps, and why, for humans. */
    public record Root(AppId app, String reasoning) {
    }

    /**
     * The deepest signalling dependency among {@code signalling}: the app most of the others depend
     * on (transitively), then the one depending on the fewest of them, then the one whose signal
     * started first, then the smallest id (so a replay chooses the same).
     *
     * @param startedAt app id to when its earliest signal started (ms)
     */
    public Root rootCause(List<AppId> signalling, Map<String, Long> startedAt) {
        if (signalling.size() == 1) {
            return new Root(signalling.get(0), "the only affected application");
        }
        Map<String, int[]> rank = new HashMap<>(); // {dependents, dependencies}
        for (AppId a : signalling) {
            int dependents = 0;
            int deps = 0;
            for (AppId b : signalling) {
                if (a.getId().equals(b.getId())) {
                    continue;
                }
                if (dependenciesOf(b.getId()).contains(a.getId())) {
                    dependents++;
                }
                if (dependenciesOf(a.getId()).contains(b.getId())) {
                    deps++;
                }
            }
            rank.put(a.getId(), new int[] {dependents, deps});
        }
        AppId root = signalling.stream().min(Comparator
                .<AppId>comparingInt(a -> -rank.get(a.getId())[0])
                .thenComparingInt(a -> rank.get(a.getId())[1])
                .thenComparingLong(a -> startedAt.getOrDefault(a.getId(), Long.MAX_VALUE))
                .thenComparing(AppId::getId)).orElseThrow();
        int[] r = rank.get(root.getId());
        int others = signalling.size() - 1;
        String reasoning;
        if (r[0] == 0) {
            reasoning = String.format(Locale.ROOT, "no affected application depends on another in the service map; "
                    + "%s signalled first", root.getName());
        } else {
            reasoning = String.format(Locale.ROOT, "deepest signalling dependency: %d of the %d other affected "
                    + "applications call it, directly or through others, and it calls %s", r[0], others,
                    r[1] == 0 ? "none of them" : r[1] + " of them (a cycle)");
        }
        return new Root(root, reasoning);
    }

    /** How {@code app} relates to {@code root} in the service map. */
    public EvidenceRelation relation(String app, String root) {
        if (app.equals(root)) {
            return EvidenceRelation.ROOT;
        }
        if (dependencies.getOrDefault(app, Set.of()).contains(root)) {
            return EvidenceRelation.CLIENT;
        }
        if (dependenciesOf(app).contains(root)) {
            return EvidenceRelation.TRANSITIVE_CLIENT;
        }
        if (dependenciesOf(root).contains(app)) {
            return EvidenceRelation.DEPENDENCY;
        }
        return EvidenceRelation.UNKNOWN;
    }
}
