package io.peregrine.flink.incident.functions;

import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.config.Durations;
import io.peregrine.flink.incident.records.Control;
import io.peregrine.flink.incident.records.Liveness;
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
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
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
 * <p><b>Order and latency.</b> Signals apply on arrival: each is buffered only until the next
 * processing-time tick of this operator (a timer at the current time, so what arrived together,
 * such as the signals of one evaluation from both upstream instances, applies together, in event
 * time order). Waiting for the watermark instead would hold every page for the SLI source's
 * out-of-orderness (30 s) plus a window (10 s): the watermark only passes a window's end once
 * later windows arrived from every partition. The correlator's event-time clock is the latest
 * signal's time or the watermark, whichever is later ({@link #clock}); versions and silences are
 * decided on it. group_wait ends when the watermark passes it (every upstream instance's signals
 * of the first instant are in: a backlog decides as before) or after as much processing time
 * (live: the watermark trails by 40 s), whichever comes first; signals of instants after a
 * group_wait's end wait until it is over, so that a first version is written at its end with what
 * the incident had then, not later with a backlog's later members and silences. Every instant at
 * which an incident changes without a signal (a group_wait's end, a silence's start or end) is
 * written at that instant, whichever path moves event time past it. The watermark still drives
 * event-time timers (silences' start and end, group_wait, and one at each signal's instant, which
 * applies what a tick has not yet). Every signal waits, not only a fingerprint's latest: within one
 * tick, or reading a backlog (a start, a restore, a burst), an alert's resolve can arrive before its
 * firing was applied; keeping only the latest would lose the incident.
 * The price: related signals that arrive in different ticks are applied in arrival order, so a
 * replay after a restore may open an incident under the id of another of its first alerts (its
 * re-sent page then carries another dedup_key). Within {@code group_wait} this cannot happen to
 * the first version, which is what pages. The topology and silence inputs carry no event time of
 * their own (their sources stay idle, {@link ChangelogWatermarks}) and apply on arrival.
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
 * <p><b>Stale incidents.</b> An open incident nothing is heard of for {@code stale_after} (no
 * signal of a member, no heartbeat of a member's application, {@link AppHeartbeats}) is resolved
 * with a last version saying why ({@link Incidents#stale}): the application vanished, its agent
 * died, or a resolve was lost, and its page must not stay open for ever. So is one whose members
 * have not changed for almost {@code state_ttl} (a resolve lost while the application still
 * reports): its state, and its members' hysteresis state, are about to expire, after which its
 * resolve could never be written. Processing time, like the TTL it precedes: when every input stops,
 * event time stops too. The job's own downtime is not silence: after a (re)start each incident has
 * {@code stale_after} again to hear from its applications (the backlog is read first). A resolve of
 * a member after that finds no incident and is dropped; a member that fires again opens a new
 * incident, under a new id, which pages anew.
 *
 * <p><b>State.</b> Edges and silences mirror their compacted topics (tombstones delete; silences
 * are dropped when they end). Open incidents, their members, the fingerprint index and their
 * {@link Liveness} are removed when the incident resolves; every change of a member re-writes all of
 * its incident's entries, so they expire together, and never before the stale check above closed
 * the incident. TTL ({@code state_ttl}, processing time from each write) still guards against edges
 * whose tombstone never comes. Timers: one per pending instant, and a silence's start and end,
 * deleted with the silence unless something else needs that instant (event time); the tick that
 * applies pending signals, group_wait's end in processing time, a stale check per open incident
 * and a sweep {@code state_ttl} after writes (processing time; the last two coalesced to the minute
 * and each firing both), the sweep removing what expired from the backend and from the in-memory
 * index of the service map ({@link #sweep}).
 */
public final class IncidentCorrelator extends KeyedCoProcessFunction<String, Signal, Control, Incident> {
    private static final long serialVersionUID = 1L;

    /** The one key both inputs are keyed by. */
    public static final String SCOPE = "incidents";

    private final IncidentConfig config;

    private transient MapState<String, ServiceEdge> edges;
    private transient MapState<String, Silence> silences;
    /** Signals waiting for the next tick (or the watermark), by {@link #pendingKey}: every decision of a fingerprint, not only its latest. */
    private transient MapState<String, Signal> pending;
    private transient MapState<String, Incident> open;
    private transient MapState<String, Signal> members;
    private transient MapState<String, String> incidentOf;
    /** Open incidents a receiver heard of: {@link #NOTIFIED}, or {@link #PAGED} once one paged. */
    private transient MapState<String, Integer> heard;
    /** When each open incident last heard of its alerts (processing time), for {@code stale_after}. */
    private transient MapState<String, Liveness> liveness;
    /** Fingerprint to the start of its firing episode, for members of incidents resolved as stale. */
    private transient MapState<String, Long> staleEpisodes;
    /** Incidents in group_wait to the processing time it ends at: written then even if event time lags. */
    private transient MapState<String, Long> groupWaitUntil;
    /** The correlator's event time: the latest applied signal's, or the watermark, whichever is later. */
    private transient ValueState<Long> clock;
    /** Client app id to the app ids it calls, built from {@link #edges} on first use after a start. */
    private transient Map<String, Set<String>> dependencies;
    /** Processing time when this instance opened (a start or restore): stale checks count from it at the earliest. */
    private transient long startedAt;
    /** Whether {@link #wallClock} looked for open incidents without liveness since this instance opened. */
    private transient boolean adopted;

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
        MapStateDescriptor<String, Liveness> l =
                new MapStateDescriptor<>("incident-liveness", Types.STRING, Liveness.typeInfo());
        l.enableTimeToLive(ttl);
        liveness = getRuntimeContext().getMapState(l);
        MapStateDescriptor<String, Long> se = new MapStateDescriptor<>("incident-stale-episodes", Types.STRING, Types.LONG);
        se.enableTimeToLive(ttl);
        staleEpisodes = getRuntimeContext().getMapState(se);
        MapStateDescriptor<String, Long> gw = new MapStateDescriptor<>("incident-group-wait", Types.STRING, Types.LONG);
        gw.enableTimeToLive(ttl);
        groupWaitUntil = getRuntimeContext().getMapState(gw);
        clock = getRuntimeContext().getState(new ValueStateDescriptor<>("incident-clock", Types.LONG));
        startedAt = ((StreamingRuntimeContext) getRuntimeContext()).getProcessingTimeService().getCurrentProcessingTime();
        adopted = false;
    }

    /** Processing time now; the first call of this instance also adopts incidents restored without liveness. */
    private long wallClock(Context ctx) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        if (!adopted) {
            adopted = true;
            // Restored from a checkpoint of a version without stale checks: they start now.
            for (Incident i : open.values()) {
                if (!liveness.contains(i.getId())) {
                    List<String> apps = new ArrayList<>();
                    for (String fp : i.getAlertFingerprints()) {
                        Signal m = members.get(fp);
                        if (m != null && !apps.contains(m.appId())) {
                            apps.add(m.appId());
                        }
                    }
                    Liveness l = Liveness.of(now, now, apps);
                    liveness.put(i.getId(), l);
                    checkStaleAt(l, ctx);
                }
            }
        }
        return now;
    }

    @Override
    public void processElement1(Signal signal, Context ctx, Collector<Incident> out) throws Exception {
        Signal applied = members.get(signal.fingerprint());
        if (applied != null && applied.at > signal.at) {
            return; // out of order: the later decision stands
        }
        pending.put(pendingKey(signal), signal);
        // Applied at the next tick, not when the watermark passes (see Order and latency); the
        // event-time timer applies it should the watermark come first (a restore's backlog).
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime());
        ctx.timerService().registerEventTimeTimer(signal.at);
        String id = incidentOf.get(signal.fingerprint());
        if (id != null) {
            seen(id, wallClock(ctx)); // evidence on arrival, even while event time waits for other inputs
        }
    }

    /** Records evidence that incident {@code id} is alive. */
    private void seen(String id, long now) throws Exception {
        Liveness l = liveness.get(id);
        if (l != null && l.seenAt < now) {
            l.seenAt = now;
            liveness.put(id, l);
        }
    }

    @Override
    public void processElement2(Control control, Context ctx, Collector<Incident> out) throws Exception {
        if (control.kind == Control.Kind.HEARTBEAT) {
            long now = wallClock(ctx);
            List<String> alive = new ArrayList<>();
            for (Map.Entry<String, Liveness> e : liveness.entries()) {
                if (e.getValue().apps.contains(control.key)) {
                    alive.add(e.getKey());
                }
            }
            for (String id : alive) {
                seen(id, now);
            }
            return;
        }
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
        long now = clock(ctx.timerService().currentWatermark());
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
            publish(Map.of(), now, wallClock(ctx), ctx, out);
        }
        forgetClockIfIdle();
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Incident> out) throws Exception {
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
            long wall = wallClock(ctx);
            if (Math.floorMod(timestamp, every()) == 0) { // stale checks and sweeps are coalesced to every()
                resolveStale(timestamp, ctx, out);
                sweep();
            }
            // A tick: apply what arrived; write incidents whose group_wait ended in processing time.
            boolean groupWaitEnds = false;
            for (Long until : groupWaitUntil.values()) {
                groupWaitEnds |= until <= wall;
            }
            if (!pending.isEmpty() || groupWaitEnds) {
                applyPending(Long.MIN_VALUE, wall, ctx, out);
            }
            forgetClockIfIdle();
            return;
        }
        applyPending(timestamp, wallClock(ctx), ctx, out);
        forgetClockIfIdle();
    }

    /**
     * Applies every pending signal in event-time order, instant by instant (those of one instant
     * together), writing what changed at each, as event-time timers at each instant would: a
     * backlog (a restore, a lagging partition) writes the versions incidents had at each instant,
     * not only the last. Event time then moves on to {@code through} (an event-time timer's; MIN_VALUE
     * for a tick), if later. Every instant in between at which an incident changes without a signal
     * (a silence's start or end, a group_wait that is over) is written at that instant, with
     * what the incident had then, whichever path moved event time past it: a silence's end timer may
     * fire after a tick applied later signals, or with later signals still waiting.
     */
    private void applyPending(long through, long wall, OnTimerContext ctx, Collector<Incident> out) throws Exception {
        List<Map.Entry<String, Signal>> due = new ArrayList<>();
        for (Map.Entry<String, Signal> e : pending.entries()) {
            due.add(Map.entry(e.getKey(), e.getValue()));
        }
        due.sort(Comparator.<Map.Entry<String, Signal>>comparingLong(e -> e.getValue().at)
                .thenComparing(e -> e.getValue().fingerprint()));
        TreeSet<Long> instants = new TreeSet<>();
        due.forEach(e -> instants.add(e.getValue().at));
        Long c = clock.value();
        if (through != Long.MIN_VALUE && (c == null || through > c)) {
            instants.add(through);
        }
        int i = 0;
        for (long instant : instants) {
            if (groupWaitPendsBefore(instant, wall, ctx)) {
                break; // the rest waits (see groupWaitPendsBefore), for the watermark or the wall clock
            }
            for (long end = boundaryBefore(instant, wall, ctx); end != Long.MIN_VALUE; end = boundaryBefore(instant, wall, ctx)) {
                publish(new LinkedHashMap<>(), clock(end), wall, ctx, out);
            }
            Map<String, List<String>> changed = new LinkedHashMap<>();
            for (; i < due.size() && due.get(i).getValue().at == instant; i++) {
                Signal s = due.get(i).getValue();
                pending.remove(due.get(i).getKey()); // by its own key: checkpoints before pendingKey hold the bare fingerprint
                Signal member = members.get(s.fingerprint());
                if (member == null || member.at <= s.at) { // else out of order: the later decision stands
                    apply(s, changed, wall, ctx, out);
                }
            }
            publish(changed, clock(instant), wall, ctx, out);
        }
        if (instants.isEmpty()) {
            publish(new LinkedHashMap<>(), clock(Long.MIN_VALUE), wall, ctx, out); // a group_wait ended in processing time
        }
        if (!due.isEmpty()) {
            sweepAfterTtl(ctx); // members, the index and incidents were written
        }
        dropEndedSilences();
    }

    /** Removes the silences that ended by the correlator's event time: each was written at its end already. */
    private void dropEndedSilences() throws Exception {
        Long now = clock.value();
        if (now == null) {
            return;
        }
        List<String> ended = new ArrayList<>();
        for (Map.Entry<String, Silence> e : silences.entries()) {
            if (e.getValue().getEndsAt().toEpochMilli() <= now) {
                ended.add(e.getKey());
            }
        }
        for (String id : ended) {
            silences.remove(id);
        }
    }

    /**
     * The earliest instant after the correlator's event time and before {@code instant} at which an
     * incident changes without a signal: the end of a group_wait that is over, or a
     * silence's start or end (a backlog that runs past a silence's end writes the unsilenced version
     * at that end, as its timer would); MIN_VALUE if none.
     */
    private long boundaryBefore(long instant, long wall, Context ctx) throws Exception {
        Long c = clock.value();
        long after = c == null ? Long.MIN_VALUE : c;
        long earliest = Long.MAX_VALUE;
        for (Incident i : open.values()) {
            long end = groupWaitEnd(i);
            if (end > after && end < instant && groupWaitOver(i, wall, ctx)) {
                earliest = Math.min(earliest, end);
            }
        }
        if (!open.isEmpty()) {
            for (Silence s : silences.values()) {
                for (long t : new long[] {s.getStartsAt().toEpochMilli(), s.getEndsAt().toEpochMilli()}) {
                    if (t > after && t < instant) {
                        earliest = Math.min(earliest, t);
                    }
                }
            }
        }
        return earliest == Long.MAX_VALUE ? Long.MIN_VALUE : earliest;
    }

    /**
     * Whether an incident in group_wait that ends before {@code instant} is undecided: signals of
     * later instants must wait, or event time would pass its end before its first version was
     * written, which would then be written late, with the members and silences of a later instant
     * (reading a backlog, the correlator's clock runs ahead of the watermark that ends group_wait).
     * Live, group_wait ends by the wall clock about when the next instant's signals arrive, so they
     * hardly wait.
     */
    private boolean groupWaitPendsBefore(long instant, long wall, Context ctx) throws Exception {
        for (Incident i : open.values()) {
            long end = groupWaitEnd(i);
            if (end != Long.MAX_VALUE && end < instant && !groupWaitOver(i, wall, ctx)) {
                return true;
            }
        }
        return false;
    }

    /** When incident {@code i}'s group_wait ends in event time; MAX_VALUE once it was written. */
    private long groupWaitEnd(Incident i) {
        return i.getStatus() == IncidentStatus.UNKNOWN
                ? i.getUpdatedAt().toEpochMilli() + config.groupWait().toMillis() : Long.MAX_VALUE;
    }

    /**
     * Whether incident {@code i}'s group_wait is over: the watermark passed its end (every upstream
     * instance's signals of its first instant are in), or as much processing time passed.
     */
    private boolean groupWaitOver(Incident i, long wall, Context ctx) throws Exception {
        if (groupWaitEnd(i) <= ctx.timerService().currentWatermark()) {
            return true;
        }
        Long until = groupWaitUntil.get(i.getId());
        return until != null && wall >= until;
    }

    /**
     * Drops the clock once nothing is open, pending or silenced: nothing is left whose versions must
     * keep growing, and event time starts again from the next signal or watermark.
     */
    private void forgetClockIfIdle() throws Exception {
        if (open.isEmpty() && pending.isEmpty() && silences.isEmpty()) {
            clock.clear();
        }
    }

    /** Advances the correlator's event time to {@code at} if later; returns it. */
    private long clock(long at) throws Exception {
        Long c = clock.value();
        if (c != null && c >= at) {
            return c;
        }
        clock.update(at);
        return at;
    }

    /**
     * Registers the sweep that follows the TTL of what was just written. TTL counts in processing
     * time from each write, so this is a processing-time timer, coalesced to {@link #SWEEP_EVERY}
     * (edges are re-written with every window of traffic): at most {@code state_ttl / SWEEP_EVERY}
     * timers, each at least {@code state_ttl} after the writes it stands for.
     */
    private void sweepAfterTtl(Context ctx) {
        long every = every();
        long due = ctx.timerService().currentProcessingTime() + config.stateTtl().toMillis();
        ctx.timerService().registerProcessingTimeTimer(due - Math.floorMod(due, every) + every);
    }

    /** Granularity of processing-time timers: {@link #SWEEP_EVERY}, finer only for a TTL of minutes (tests). */
    private long every() {
        return Math.min(SWEEP_EVERY.toMillis(), Math.max(1, config.stateTtl().toMillis() / 4));
    }

    /**
     * When incident {@code l} is stale, unless heard of before: {@code stale_after} after the latest
     * evidence (or the start of this instance, whichever is later), or the last timer tick before
     * its state expires, {@code state_ttl} after its members last changed.
     */
    private long staleAt(Liveness l) {
        long every = every();
        long silent = Math.max(l.seenAt, startedAt) + config.staleAfter().toMillis();
        long expires = l.changedAt + config.stateTtl().toMillis() - 1;
        return Math.min(silent, expires - Math.floorMod(expires, every));
    }

    /** Registers the stale check of an incident, coalesced with the sweeps to {@link #every}, never later than due. */
    private void checkStaleAt(Liveness l, Context ctx) {
        long every = every();
        long due = staleAt(l);
        long rem = Math.floorMod(due, every);
        ctx.timerService().registerProcessingTimeTimer(rem == 0 ? due : due - rem + every);
    }

    /**
     * Resolves every open incident stale at {@code now} with a last version saying why, and removes
     * it; re-registers the check of the others (one heard of since its check was set).
     */
    private void resolveStale(long now, OnTimerContext ctx, Collector<Incident> out) throws Exception {
        List<Map.Entry<String, Liveness>> all = new ArrayList<>();
        for (Map.Entry<String, Liveness> e : liveness.entries()) {
            all.add(Map.entry(e.getKey(), e.getValue()));
        }
        all.sort(Map.Entry.comparingByKey());
        for (Map.Entry<String, Liveness> e : all) {
            String id = e.getKey();
            Liveness l = e.getValue();
            Incident last = open.get(id);
            if (last == null) {
                liveness.remove(id);
                continue;
            }
            if (now < staleAt(l)) {
                checkStaleAt(l, ctx);
                continue;
            }
            if (last.getStatus() != IncidentStatus.UNKNOWN) { // a placeholder was never written: nobody to tell
                boolean silent = now >= Math.max(l.seenAt, startedAt) + config.staleAfter().toMillis();
                String why = silent
                        ? "no data for " + Durations.format(config.staleAfter()) + " (no alert change, no SLI window of "
                                + String.join(", ", l.apps) + " since " + Instant.ofEpochMilli(l.seenAt) + ")"
                        : "no alert change since " + Instant.ofEpochMilli(l.changedAt) + ", and its state expires after "
                                + Durations.format(config.stateTtl());
                out.collect(Incidents.stale(last, why, ctx.timerService().currentWatermark()));
            }
            for (String fp : last.getAlertFingerprints()) {
                Signal m = members.get(fp);
                if (id.equals(incidentOf.get(fp))) {
                    members.remove(fp);
                    incidentOf.remove(fp);
                    if (m != null && m.firing) {
                        staleEpisodes.put(fp, m.alert.getStartsAt().toEpochMilli());
                        sweepAfterTtl(ctx); // the episode is forgotten with its hysteresis state
                    }
                }
            }
            forget(id);
        }
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
        drain(staleEpisodes);
        List<Incident> all = new ArrayList<>();
        open.values().forEach(all::add);
        for (Incident incident : all) {
            boolean alive = false;
            for (String fp : incident.getAlertFingerprints()) {
                alive |= members.contains(fp);
            }
            if (!alive) {
                forget(incident.getId());
            }
        }
        drain(open);
        drain(liveness);
        drain(groupWaitUntil);
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
    private void apply(Signal s, Map<String, List<String>> changed, long wall, OnTimerContext ctx,
                       Collector<Incident> out) throws Exception {
        String id = incidentOf.get(s.fingerprint());
        if (id != null) {
            members.put(s.fingerprint(), s);
            incidentOf.put(s.fingerprint(), id); // refreshes its TTL with the member's
            changed.computeIfAbsent(id, k -> new ArrayList<>());
            return;
        }
        if (!s.firing) {
            staleEpisodes.remove(s.fingerprint());
            return; // resolves an alert no open incident holds (its incident went stale, or was dropped by TTL)
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
            Long staleEpisode = staleEpisodes.get(s.fingerprint());
            // The same firing episode as an incident resolved as stale: a new incident, not that one again.
            target = staleEpisode != null && staleEpisode == s.alert.getStartsAt().toEpochMilli()
                    ? Incidents.reopenedId(s) : Incidents.id(s);
            staleEpisodes.remove(s.fingerprint());
            open.put(target, placeholder(target, s));
            ctx.timerService().registerEventTimeTimer(s.at + config.groupWait().toMillis());
            if (!config.groupWait().isZero()) {
                // Event time moves with signals and the watermark; when neither comes, the wall clock ends group_wait.
                groupWaitUntil.put(target, wall + config.groupWait().toMillis());
                ctx.timerService().registerProcessingTimeTimer(wall + config.groupWait().toMillis());
            }
            Liveness l = Liveness.of(wall, wall, List.of(s.appId()));
            liveness.put(target, l);
            checkStaleAt(l, ctx);
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
        forget(absorbed.getId());
        if (absorbed.getStatus() != IncidentStatus.UNKNOWN) {
            out.collect(Incidents.merged(absorbed, target, now));
        }
    }

    /** Writes a version of every open incident that changed, or whose silencing changed at {@code now}. */
    private void publish(Map<String, List<String>> changed, long now, long wall, Context ctx, Collector<Incident> out)
            throws Exception {
        ServiceGraph graph = graph();
        List<Incident> all = new ArrayList<>();
        open.values().forEach(all::add);
        all.sort(OLDEST_FIRST);
        for (Incident previous : all) {
            String id = previous.getId();
            List<Signal> current = membersOf(id, previous.getAlertFingerprints(), changed);
            if (current.isEmpty()) {
                forget(id); // every member expired (TTL: the job was down when it was due to go stale)
                continue;
            }
            boolean placeholder = previous.getStatus() == IncidentStatus.UNKNOWN;
            Long waitUntil = placeholder ? groupWaitUntil.get(id) : null;
            // Event time ends it once both the watermark (the clock alone is not enough: signals of the
            // first instant from a slower upstream instance may still come) and the instant written reach it.
            boolean waiting = placeholder && !config.groupWait().isZero()
                    && Math.min(ctx.timerService().currentWatermark(), now)
                            < previous.getUpdatedAt().toEpochMilli() + config.groupWait().toMillis()
                    && (waitUntil == null || wall < waitUntil);
            if (placeholder && !waiting) {
                id = firstWrittenId(id, current, changed);
            }
            if (changed.containsKey(id)) {
                alive(id, current, wall, ctx);
            }
            if (waiting) {
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
            groupWaitUntil.remove(id);
            if (next.getStatus() == IncidentStatus.RESOLVED) {
                forget(id);
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

    /**
     * The id a new incident is first written under: that of its earliest member (by start, then
     * fingerprint) rather than of the one that happened to arrive first, so a replay that receives
     * the alerts of its first evaluation in another order pages under the same dedup_key. Moves the
     * incident's entries to it. Kept as it is when an incident re-opened after going stale, or one
     * with the earliest member's id is open.
     */
    private String firstWrittenId(String id, List<Signal> current, Map<String, List<String>> changed) throws Exception {
        Signal first = current.stream().min(Comparator.<Signal>comparingLong(m -> m.alert.getStartsAt().toEpochMilli())
                .thenComparing(Signal::fingerprint)).orElseThrow();
        String canonical = Incidents.id(first);
        Long episode = staleEpisodes.get(first.fingerprint());
        if (canonical.equals(id) || open.contains(canonical)
                || current.stream().noneMatch(m -> Incidents.id(m).equals(id))
                || episode != null && episode == first.alert.getStartsAt().toEpochMilli()) {
            return id;
        }
        open.put(canonical, Incident.newBuilder(open.get(id)).setId(canonical).build());
        open.remove(id);
        for (Signal m : current) {
            if (id.equals(incidentOf.get(m.fingerprint()))) {
                incidentOf.put(m.fingerprint(), canonical);
            }
        }
        Liveness l = liveness.get(id);
        if (l != null) {
            liveness.put(canonical, l);
            liveness.remove(id);
        }
        Integer h = heard.get(id);
        if (h != null) {
            heard.put(canonical, h);
            heard.remove(id);
        }
        groupWaitUntil.remove(id);
        List<String> joining = changed.remove(id);
        if (joining != null) {
            changed.put(canonical, joining);
        }
        return canonical;
    }

    /**
     * A member of incident {@code id} changed: re-writes every entry of the incident, so that they
     * all expire together {@code state_ttl} from now, and records when, for the stale check.
     */
    private void alive(String id, List<Signal> current, long wall, Context ctx) throws Exception {
        List<String> apps = new ArrayList<>();
        for (Signal m : current) {
            members.put(m.fingerprint(), m);
            incidentOf.put(m.fingerprint(), id);
            if (!apps.contains(m.appId())) {
                apps.add(m.appId());
            }
        }
        Integer h = heard.get(id);
        if (h != null) {
            heard.put(id, h);
        }
        Liveness before = liveness.get(id);
        Liveness l = Liveness.of(wall, Math.max(wall, before == null ? wall : before.seenAt), apps);
        liveness.put(id, l);
        if (before == null) {
            checkStaleAt(l, ctx);
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

    /** Drops incident {@code id}'s own entries: the incident, its evidence and its group_wait. */
    private void forget(String id) throws Exception {
        open.remove(id);
        heard.remove(id);
        liveness.remove(id);
        groupWaitUntil.remove(id);
    }

    /** Where a signal waits in {@link #pending}: one entry per fingerprint and instant (the later decision of an instant stands). */
    private static String pendingKey(Signal s) {
        return s.fingerprint() + "@" + s.at;
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
