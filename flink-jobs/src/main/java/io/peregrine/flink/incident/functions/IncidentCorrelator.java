package io.peregrine.flink.incident.functions;

import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.incident.records.Control;
import io.peregrine.flink.incident.records.Signal;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.Silence;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Groups de-noised alert signals into incidents along the service map, and marks silenced ones.
 *
 * <p><b>One key.</b> Both inputs are keyed by the constant {@link #SCOPE}: an incident can span any
 * applications the service map connects, and components of the map merge and split as edges come
 * and go, so no finer key would keep related signals together. This is affordable because what
 * reaches this operator is small: alert <i>state changes</i> after hysteresis (orders of magnitude
 * below the SLI rate, which is handled at full parallelism upstream) and the topology and silence
 * changelogs. Keyed co-processing rather than broadcast state: the map is stored once (in the state
 * backend, so RocksDB can hold a large map off-heap, with TTL per edge) instead of on every
 * parallel instance, and is checkpointed once. Beyond one machine's worth of alert changes, the
 * scope would become a tenant or cluster label instead of a constant.
 *
 * <p><b>Order.</b> Signals are buffered until the watermark passes them and then applied in event
 * time order, those of one instant together, so grouping, the root cause and incident ids do not
 * depend on the order in which parallel upstream instances deliver, and a replay after a restore
 * decides the same. The topology and silence inputs carry no event time of their own (their
 * sources stay idle, {@link ChangelogWatermarks}) and apply on arrival.
 *
 * <p><b>Grouping.</b> A firing signal joins an open incident that has a member whose application
 * it depends on, or that depends on it (transitively, through the map), provided it started within
 * {@code group_window} of that incident's latest member; otherwise it opens an incident. When it
 * relates several (callers signalled first, each opening one, then their common database), they
 * merge into one: the one that paged, else one receivers were notified of, else one written, else
 * the oldest (the oldest among equals). The others end with a RESOLVED version naming it
 * ({@link Incidents#merged}), which resolves their pages; so a merge never pages anew under another
 * id, and exactly the pages that were sent stay open. A new incident is first written
 * {@code group_wait} after it opened, so the root cause that signals an evaluation or two after its
 * clients is in the first version, the one that pages. A fingerprint stays in its incident until
 * the incident resolves, which it does when every member resolved. The probable root cause is
 * recomputed with each version ({@link ServiceGraph#rootCause}).
 *
 * <p><b>Silences.</b> An incident is silenced while every firing member is matched by an active
 * silence; the ids go in {@code silenced_by} and the incident is still written. Timers at each
 * silence's start and end re-evaluate open incidents, so one that outlives its silence gets a
 * version with an empty {@code silenced_by}, which notifiers then deliver.
 *
 * <p><b>State.</b> Edges and silences mirror their compacted topics (tombstones delete; silences
 * are dropped when they end). Open incidents, their members and the fingerprint index are removed
 * when the incident resolves; TTL ({@code state_ttl}, processing time from each write) guards
 * against members whose resolve never comes, and against edges whose tombstone never comes. Timers:
 * one per pending instant, and a silence's start and end, deleted with the silence unless something
 * else needs that instant (event time); and a sweep {@code state_ttl} after writes (processing time,
 * coalesced to the minute), which removes what expired from the backend and from the in-memory
 * index of the service map ({@link #sweep}).
 */
public final class IncidentCorrelator extends KeyedCoProcessFunction<String, Signal, Control, Incident> {
    private static final long serialVersionUID = 1L;

    /** The one key both inputs are keyed by. */
    public static final String SCOPE = "incidents";

    private final IncidentConfig config;

    private transient MapState<String, ServiceEdge> edges;
    private transient MapState<String, Silence> silences;
    private transient MapState<String, Signal> pending;
    private transient MapState<String, Incident> open;
    private transient MapState<String, Signal> members;
    private transient MapState<String, String> incidentOf;
    /** Open incidents a receiver heard of: {@link #NOTIFIED}, or {@link #PAGED} once one paged. */
    private transient MapState<String, Integer> heard;
    /** Client app id to the app ids it calls, built from {@link #edges} on first use after a start. */
    private transient Map<String, Set<String>> dependencies;

    public IncidentCorrelator(IncidentConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext context) {
        StateTtlConfig ttl = StateTtlConfig.newBuilder(config.stateTtl())
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        MapStateDescriptor<String, ServiceEdge> e =
                new MapStateDescriptor<>("incident-edges", Types.STRING, new AvroTypeInfo<>(ServiceEdge.class));
        e.enableTimeToLive(ttl);
        edges = getRuntimeContext().getMapState(e);
        silences = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("incident-silences", Types.STRING, new AvroTypeInfo<>(Silence.class)));
        pending = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("incident-pending", Types.STRING, Signal.typeInfo()));
        MapStateDescriptor<String, Incident> o =
                new MapStateDescriptor<>("incident-open", Types.STRING, new AvroTypeInfo<>(Incident.class));
        o.enableTimeToLive(ttl);
        open = getRuntimeContext().getMapState(o);
        MapStateDescriptor<String, Signal> m =
                new MapStateDescriptor<>("incident-members", Types.STRING, Signal.typeInfo());
        m.enableTimeToLive(ttl);
        members = getRuntimeContext().getMapState(m);
        MapStateDescriptor<String, String> i = new MapStateDescriptor<>("incident-of", Types.STRING, Types.STRING);
        i.enableTimeToLive(ttl);
        incidentOf = getRuntimeContext().getMapState(i);
        MapStateDescriptor<String, Integer> h = new MapStateDescriptor<>("incident-heard", Types.STRING, Types.INT);
        h.enableTimeToLive(ttl);
        heard = getRuntimeContext().getMapState(h);
    }

    @Override
    public void processElement1(Signal signal, Context ctx, Collector<Incident> out) throws Exception {
        Signal earlier = pending.get(signal.fingerprint());
        if (earlier != null && earlier.at > signal.at) {
            return; // out of order: the later decision stands
        }
        pending.put(signal.fingerprint(), signal);
        ctx.timerService().registerEventTimeTimer(signal.at);
    }

    @Override
    public void processElement2(Control control, Context ctx, Collector<Incident> out) throws Exception {
        if (control.kind == Control.Kind.EDGE) {
            if (control.isTombstone()) {
                edges.remove(control.key);
                dependencies = null;
            } else {
                edges.put(control.key, control.edge);
                if (dependencies != null) {
                    dependencies.computeIfAbsent(control.edge.getClient().getId(), k -> new HashSet<>())
                            .add(control.edge.getServer().getId());
                }
                sweepAfterTtl(ctx);
            }
            return;
        }
        long now = ctx.timerService().currentWatermark();
        Silence old = silences.get(control.key);
        if (control.isTombstone() || control.silence.getEndsAt().toEpochMilli() <= now) {
            silences.remove(control.key);
        } else {
            Silence s = control.silence;
            silences.put(control.key, s);
            if (s.getStartsAt().toEpochMilli() > now) {
                ctx.timerService().registerEventTimeTimer(s.getStartsAt().toEpochMilli());
            }
            ctx.timerService().registerEventTimeTimer(s.getEndsAt().toEpochMilli());
        }
        if (old != null) {
            release(old.getStartsAt().toEpochMilli(), ctx);
            release(old.getEndsAt().toEpochMilli(), ctx);
        }
        if (now != Long.MIN_VALUE) {
            publish(Map.of(), now, out);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Incident> out) throws Exception {
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
            sweep();
            return;
        }
        List<Signal> due = new ArrayList<>();
        for (Signal s : pending.values()) {
            if (s.at <= timestamp) {
                due.add(s);
            }
        }
        due.sort(Comparator.<Signal>comparingLong(s -> s.at).thenComparing(Signal::fingerprint));
        Map<String, List<String>> changed = new LinkedHashMap<>();
        for (Signal s : due) {
            pending.remove(s.fingerprint());
            apply(s, changed, ctx, out);
        }
        List<String> ended = new ArrayList<>();
        for (Map.Entry<String, Silence> e : silences.entries()) {
            if (e.getValue().getEndsAt().toEpochMilli() <= timestamp) {
                ended.add(e.getKey());
            }
        }
        for (String id : ended) {
            silences.remove(id);
        }
        publish(changed, timestamp, out);
        if (!due.isEmpty()) {
            sweepAfterTtl(ctx); // members, the index and incidents were written
        }
    }

    /**
     * Registers the sweep that follows the TTL of what was just written. TTL counts in processing
     * time from each write, so this is a processing-time timer, coalesced to {@link #SWEEP_EVERY}
     * (edges are re-written with every window of traffic): at most {@code state_ttl / SWEEP_EVERY}
     * timers, each at least {@code state_ttl} after the writes it stands for.
     */
    private void sweepAfterTtl(Context ctx) {
        long every = Math.min(SWEEP_EVERY.toMillis(), Math.max(1, config.stateTtl().toMillis()));
        long due = ctx.timerService().currentProcessingTime() + config.stateTtl().toMillis();
        ctx.timerService().registerProcessingTimeTimer(due - Math.floorMod(due, every) + every);
    }

    /**
     * Drops what TTL expired. Expired entries are invisible to reads but stay in the state backend
     * until read; walking every map removes them now, and the in-memory index of the service map is
     * rebuilt without the edges that expired (else grouping would follow a dead edge until a
     * restart). An open incident whose every member expired goes too, unwritten, as
     * {@link #publish} would drop it.
     */
    private void sweep() throws Exception {
        dependencies = null; // rebuilt on next use, from the edges left
        drain(edges);
        drain(members);
        drain(incidentOf);
        drain(heard);
        List<Incident> all = new ArrayList<>();
        open.values().forEach(all::add);
        for (Incident incident : all) {
            boolean alive = false;
            for (String fp : incident.getAlertFingerprints()) {
                alive |= members.contains(fp);
            }
            if (!alive) {
                open.remove(incident.getId());
                heard.remove(incident.getId());
            }
        }
        drain(open);
    }

    /** Reads every entry, which removes those whose TTL expired, and the map itself once empty. */
    private static void drain(MapState<String, ?> state) throws Exception {
        boolean any = false;
        for (String ignored : state.keys()) {
            any = true;
        }
        if (!any) {
            state.clear();
        }
    }

    /**
     * Applies one signal: updates its incident's member, or joins it to the related open incidents,
     * merging them into the oldest when it relates several (a database signalling after two of its
     * callers opened one each), or opens an incident.
     */
    private void apply(Signal s, Map<String, List<String>> changed, OnTimerContext ctx, Collector<Incident> out)
            throws Exception {
        String id = incidentOf.get(s.fingerprint());
        if (id != null) {
            members.put(s.fingerprint(), s);
            incidentOf.put(s.fingerprint(), id); // refreshes its TTL with the member's
            changed.computeIfAbsent(id, k -> new ArrayList<>());
            return;
        }
        if (!s.firing) {
            return; // resolves an alert no open incident holds (e.g. dropped by TTL)
        }
        ServiceGraph graph = graph();
        List<Incident> related = new ArrayList<>();
        for (Incident incident : open.values()) {
            List<Signal> current = membersOf(incident.getId(), incident.getAlertFingerprints(), changed);
            Set<String> apps = new HashSet<>();
            long latestStart = Long.MIN_VALUE;
            for (Signal m : current) {
                apps.add(m.appId());
                latestStart = Math.max(latestStart, m.alert.getStartsAt().toEpochMilli());
            }
            if (s.alert.getStartsAt().toEpochMilli() - latestStart <= config.groupWindow().toMillis()
                    && graph.related(s.appId(), apps)) {
                related.add(incident);
            }
        }
        // The survivor is the incident receivers heard most of (paged, then notified, then written,
        // then one still in group_wait), the oldest among equals: a merge never pages anew under
        // another id, and the pages that were sent are the ones that stay open and resolve.
        Map<String, Integer> rank = new HashMap<>();
        for (Incident r : related) {
            Integer h = heard.get(r.getId());
            rank.put(r.getId(), 2 * (h == null ? 0 : h) + (r.getStatus() == IncidentStatus.UNKNOWN ? 0 : 1));
        }
        related.sort(Comparator.<Incident>comparingInt(r -> -rank.get(r.getId())).thenComparing(OLDEST_FIRST));
        String target;
        if (related.isEmpty()) {
            target = Incidents.id(s);
            open.put(target, placeholder(target, s));
            ctx.timerService().registerEventTimeTimer(s.at + config.groupWait().toMillis());
        } else {
            target = related.get(0).getId();
            for (Incident absorbed : related.subList(1, related.size())) {
                merge(absorbed, target, changed, ctx.timestamp(), out);
            }
        }
        members.put(s.fingerprint(), s);
        incidentOf.put(s.fingerprint(), target);
        changed.computeIfAbsent(target, k -> new ArrayList<>()).add(s.fingerprint());
    }

    /**
     * Moves the members of {@code absorbed} into {@code target}. An absorbed incident that was
     * written already is closed with a last version saying where it went (its page, if any, is
     * resolved; the merged incident carries on under its own id); one not yet written simply
     * disappears.
     */
    private void merge(Incident absorbed, String target, Map<String, List<String>> changed, long now,
                       Collector<Incident> out) throws Exception {
        List<String> moving = new ArrayList<>(absorbed.getAlertFingerprints());
        moving.addAll(changed.getOrDefault(absorbed.getId(), List.of()));
        List<String> into = changed.computeIfAbsent(target, k -> new ArrayList<>());
        for (String fp : moving) {
            if (members.contains(fp) && !into.contains(fp)) {
                incidentOf.put(fp, target);
                into.add(fp);
            }
        }
        changed.remove(absorbed.getId());
        open.remove(absorbed.getId());
        heard.remove(absorbed.getId());
        if (absorbed.getStatus() != IncidentStatus.UNKNOWN) {
            out.collect(Incidents.merged(absorbed, target, now));
        }
    }

    /** Writes a version of every open incident that changed, or whose silencing changed at {@code now}. */
    private void publish(Map<String, List<String>> changed, long now, Collector<Incident> out) throws Exception {
        ServiceGraph graph = graph();
        List<Incident> all = new ArrayList<>();
        open.values().forEach(all::add);
        all.sort(OLDEST_FIRST);
        for (Incident previous : all) {
            String id = previous.getId();
            List<Signal> current = membersOf(id, previous.getAlertFingerprints(), changed);
            if (current.isEmpty()) {
                open.remove(id); // every member expired (TTL)
                heard.remove(id);
                continue;
            }
            boolean placeholder = previous.getStatus() == IncidentStatus.UNKNOWN;
            if (placeholder && now < previous.getUpdatedAt().toEpochMilli() + config.groupWait().toMillis()) {
                // group_wait: not written before related signals had their chance to join; remember who did.
                open.put(id, Incident.newBuilder(previous)
                        .setAlertFingerprints(current.stream().map(Signal::fingerprint).collect(Collectors.toList()))
                        .build());
                continue;
            }
            Incident next = Incidents.build(id, current, graph, silencedBy(current, now),
                    placeholder ? null : previous, now);
            if (!placeholder && Incidents.sameContent(previous, next)) {
                if (changed.containsKey(id)) {
                    open.put(id, previous); // a member changed: the incident is alive (TTL)
                }
                continue;
            }
            out.collect(next);
            if (next.getStatus() == IncidentStatus.RESOLVED) {
                open.remove(id);
                heard.remove(id);
                for (Signal m : current) {
                    members.remove(m.fingerprint());
                    incidentOf.remove(m.fingerprint());
                }
            } else {
                open.put(id, next);
                Integer before = heard.get(id);
                int level = Math.max(before == null ? 0 : before,
                        Incidents.pages(next) ? PAGED : Incidents.notifies(next) ? NOTIFIED : 0);
                if (level > 0) {
                    heard.put(id, level);
                }
            }
        }
    }

    /** Members of an incident in join order: those written before, then those joining now. */
    private List<Signal> membersOf(String id, List<String> written, Map<String, List<String>> joining) throws Exception {
        List<Signal> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>(written);
        order.addAll(joining.getOrDefault(id, List.of()));
        for (String fp : order) {
            Signal m = seen.add(fp) ? members.get(fp) : null;
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    /** Ids of active silences covering every firing member (all members once none fires); empty if one is uncovered. */
    private List<String> silencedBy(List<Signal> current, long now) throws Exception {
        List<Silence> active = new ArrayList<>();
        for (Silence s : silences.values()) {
            if (Silences.active(s, now)) {
                active.add(s);
            }
        }
        if (active.isEmpty()) {
            return List.of();
        }
        List<Signal> firing = current.stream().filter(s -> s.firing).toList();
        Set<String> ids = new TreeSet<>();
        for (Signal m : firing.isEmpty() ? current : firing) {
            boolean covered = false;
            for (Silence s : active) {
                if (Silences.matches(s, m.alert)) {
                    ids.add(s.getId());
                    covered = true;
                }
            }
            if (!covered) {
                return List.of();
            }
        }
        return new ArrayList<>(ids);
    }

    /** Deletes the timer at {@code at} unless a pending signal or another silence still needs it. */
    private void release(long at, Context ctx) throws Exception {
        for (Signal s : pending.values()) {
            if (s.at == at) {
                return;
            }
        }
        for (Silence s : silences.values()) {
            if (s.getStartsAt().toEpochMilli() == at || s.getEndsAt().toEpochMilli() == at) {
                return;
            }
        }
        ctx.timerService().deleteEventTimeTimer(at);
    }

    private ServiceGraph graph() throws Exception {
        if (dependencies == null) {
            Map<String, Set<String>> d = new HashMap<>();
            for (ServiceEdge e : edges.values()) {
                d.computeIfAbsent(e.getClient().getId(), k -> new HashSet<>()).add(e.getServer().getId());
            }
            dependencies = d;
        }
        return new ServiceGraph(dependencies);
    }

    /** Granularity of the TTL sweeps ({@link #sweepAfterTtl}). */
    static final Duration SWEEP_EVERY = Duration.ofMinutes(1);

    private static final int NOTIFIED = 1;
    private static final int PAGED = 2;

    private static final Comparator<Incident> OLDEST_FIRST =
            Comparator.comparing(Incident::getOpenedAt).thenComparing(Incident::getId);

    /**
     * Stands for a just-opened incident until its first version is written, {@code group_wait} after
     * {@code updated_at} (status UNKNOWN, never written itself).
     */
    private static Incident placeholder(String id, Signal first) {
        return Incident.newBuilder()
                .setId(id)
                .setStatus(IncidentStatus.UNKNOWN)
                .setSeverity(first.alert.getSeverity())
                .setTitle("")
                .setSummary("")
                .setAlertFingerprints(new ArrayList<>(List.of(first.fingerprint())))
                .setOpenedAt(first.alert.getStartsAt())
                .setUpdatedAt(Instant.ofEpochMilli(first.at))
                .build();
    }
}
