package io.peregrine.flink.incident.functions;

import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.incident.records.HysteresisState;
import io.peregrine.flink.incident.records.Signal;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertStatus;
import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per alert fingerprint: dedup, hysteresis and flap detection, turning raw alert versions into
 * {@link Signal}s the incident stage can trust.
 *
 * <ul>
 *   <li><b>Dedup.</b> A version not newer ({@code updated_at}) than the latest one seen is a replay
 *       or a duplicate and is dropped; a version that changes nothing downstream sees (same status,
 *       severity, summary and start) sends nothing.</li>
 *   <li><b>Hysteresis.</b> A firing alert counts once it still fires {@code fire_after - 1}
 *       evaluations after it started; a resolved one once it stays resolved {@code resolve_after - 1}
 *       evaluations. A resolve that is followed by a new FIRING within that time never reaches the
 *       incident, so neither does a second page.</li>
 *   <li><b>Flapping.</b> More than {@code max_changes} raw status changes within the flap window mark
 *       the alert flapping: it is held firing (its incident stays open, marked flapping, and is not
 *       paged again) until the changes in the window fall back to the limit, and then resolves
 *       normally if the alert is resolved by then.</li>
 * </ul>
 *
 * Event time throughout (each version's {@code updated_at}, timers on the watermark), so a replay
 * decides the same. State: one {@link HysteresisState}, with TTL as a safety net for alerts whose
 * resolve never comes, and cleared (with its timer) once downstream was told the alert resolved and
 * its changes left the flap window.
 */
public final class AlertHysteresis extends KeyedProcessFunction<String, Alert, Signal> {
    private static final long serialVersionUID = 1L;

    private final IncidentConfig config;
    private transient ValueState<HysteresisState> state;

    public AlertHysteresis(IncidentConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<HysteresisState> descriptor =
                new ValueStateDescriptor<>("incident-hysteresis", HysteresisState.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(config.stateTtl())
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        state = getRuntimeContext().getState(descriptor);
    }

    @Override
    public void processElement(Alert alert, Context ctx, Collector<Signal> out) throws Exception {
        if (alert.getStatus() != AlertStatus.FIRING && alert.getStatus() != AlertStatus.RESOLVED) {
            return; // UNKNOWN: neither firing nor resolved, by the schema's contract
        }
        HysteresisState st = state.value();
        boolean firing = alert.getStatus() == AlertStatus.FIRING;
        if (st == null) {
            if (!firing) {
                return; // a resolve of nothing this stage knows (its firing version predates the state)
            }
            st = new HysteresisState();
        } else if (!alert.getUpdatedAt().isAfter(st.latest.getUpdatedAt())) {
            return; // a replayed or duplicate version
        }
        long at = alert.getUpdatedAt().toEpochMilli();
        long now = Math.max(at, st.clock);
        st.clock = now;
        Alert previous = st.latest;
        st.latest = alert;
        if (previous == null || firing != st.rawFiring) {
            st.rawFiring = firing;
            st.rawSince = now;
            st.changes = append(st.changes, now);
        }
        // A firing version with a new start right after a firing one is a new episode whose resolve was
        // lost: news, so that an incident closed as stale meanwhile is opened again. (After a raw
        // resolve, a new start is the swallowed recovery of the hysteresis, not news.)
        boolean news = previous != null && firing && st.confirmed && (previous.getSeverity() != alert.getSeverity()
                || !Objects.equals(previous.getSummary(), alert.getSummary())
                || previous.getStatus() == AlertStatus.FIRING && !previous.getStartsAt().equals(alert.getStartsAt()));
        evaluate(st, now, news, ctx.timerService(), out);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Signal> out) throws Exception {
        HysteresisState st = state.value();
        if (st == null || st.timer != timestamp) {
            return;
        }
        st.timer = Long.MIN_VALUE;
        st.clock = Math.max(st.clock, timestamp);
        evaluate(st, st.clock, false, ctx.timerService(), out);
    }

    private void evaluate(HysteresisState st, long now, boolean news, TimerService timers, Collector<Signal> out)
            throws Exception {
        long window = config.flapWindow().toMillis();
        st.changes = Arrays.stream(st.changes).filter(c -> c > now - window).toArray();
        boolean wasConfirmed = st.confirmed;
        boolean wasFlapping = st.flapping;
        st.flapping = st.changes.length > config.flapMaxChanges();
        if (st.rawFiring && !st.confirmed && now >= st.rawSince + config.fireDelay().toMillis()) {
            st.confirmed = true;
        } else if (!st.rawFiring && st.confirmed && !st.flapping
                && now >= st.rawSince + config.resolveDelay().toMillis()) {
            st.confirmed = false;
        }
        if (st.confirmed != wasConfirmed || (st.confirmed && (st.flapping != wasFlapping || news))) {
            out.collect(Signal.of(st.latest, st.confirmed, st.confirmed && st.flapping, now));
        }

        long next = Long.MAX_VALUE;
        if (st.rawFiring && !st.confirmed) {
            next = st.rawSince + config.fireDelay().toMillis();
        } else if (!st.rawFiring && st.confirmed && !st.flapping) {
            next = st.rawSince + config.resolveDelay().toMillis();
        }
        if (st.changes.length > 0) {
            next = Math.min(next, st.changes[0] + window); // the oldest change leaves the window
        }
        if (st.timer != Long.MIN_VALUE && st.timer != next) {
            timers.deleteEventTimeTimer(st.timer);
            st.timer = Long.MIN_VALUE;
        }
        if (!st.confirmed && !st.rawFiring && st.changes.length == 0) {
            state.clear(); // resolved downstream, nothing left to remember: no state, no timer
            return;
        }
        if (next != Long.MAX_VALUE && st.timer != next) {
            timers.registerEventTimeTimer(next);
            st.timer = next;
        }
        state.update(st);
    }

    /** Appends a change, keeping only as many as flap detection needs (one above the limit). */
    private long[] append(long[] changes, long at) {
        long[] grown = Arrays.copyOf(changes, changes.length + 1);
        grown[changes.length] = at;
        int keep = config.flapMaxChanges() + 1;
        return grown.length > keep ? Arrays.copyOfRange(grown, grown.length - keep, grown.length) : grown;
    }
}
