package io.peregrine.flink.slo.functions;

import io.peregrine.flink.slo.Objective;
import io.peregrine.flink.slo.SloConfig;
import io.peregrine.flink.slo.records.AlertTrack;
import io.peregrine.flink.slo.records.RingLayout;
import io.peregrine.flink.slo.records.Sli;
import io.peregrine.flink.slo.records.SliHistory;
import io.peregrine.flink.slo.records.SliWindow;
import io.peregrine.flink.slo.records.SloState;
import io.peregrine.schema.Alert;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SLO burn-rate alerting for one application (the key: its app id): keeps the application's SLI
 * counts in ring buffers ({@link SliHistory}) and, on every SLI window, evaluates both SLOs
 * (availability, latency) against the burn-rate tiers ({@link BurnRates}); emits an {@link Alert}
 * version whenever what the alert says changes: FIRING when it starts, FIRING again when its
 * severity changes (a ticket escalating to a page, or a page calming to a ticket), RESOLVED when
 * no tier holds any more. A change of tier within one severity is not a new version.
 *
 * <p><b>Time.</b> Each application has its own event-time clock, the end of its latest SLI window:
 * evaluation happens as each window arrives, without waiting for the watermark, because a page must
 * not wait for the slowest partition. An SLI window older than every alerting window is dropped and
 * counted ({@code sliWindowsTooOld}). The watermark drives the one timer a key has: while an alert
 * fires, a re-evaluation every minute, so an application whose traffic stopped still resolves as
 * its windows empty; otherwise the clean-up, once the latest window has left every alerting window
 * (longest window plus one bucket), which clears the key's state completely.
 *
 * <p><b>Little history.</b> A long window (1 h, 6 h, 3 d) over an application first seen minutes
 * ago holds only those minutes, and its error ratio is the ratio over them: not padded with
 * imagined good traffic, not held back until the window is full. So a service that goes from
 * healthy to failing every request pages on its first failing window when it has been seen for
 * up to 11 minutes at steady traffic (1 bad window in n+1 exceeds the 1.44 % of the 1 h / 14.4x
 * tier for n up to 68 windows), within two windows up to 22 minutes, within three up to 34. With
 * a full hour of history the 1 h window needs 14.4 x 0.1 % x 3600 s = 51.8 s of total outage: the
 * workbook's own detection time for that tier, which no evaluation strategy can shorten. Slower
 * tiers wait for enough history before they speak (see {@link BurnRates}), so a young service is
 * paged, not ticketed first.
 *
 * <p>Everything the alerts say is derived from event time, so a replay from a checkpoint produces
 * exactly the same versions, which the transactional sink then writes once.
 */
public final class BurnRateFunction extends KeyedProcessFunction<String, SliWindow, Alert> {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(BurnRateFunction.class);

    /** How often an alert that fires is re-evaluated when its application sends no SLI windows. */
    static final Duration REEVALUATE = Duration.ofMinutes(1);

    private final SloConfig config;
    private final BurnRates burnRates;
    private final RingLayout layout;
    private final long retentionMs;

    private transient ValueState<SloState> state;
    private transient Counter tooOld;
    private transient Counter fired;
    private transient Counter resolved;
    private transient boolean warnedLayout;

    public BurnRateFunction(SloConfig config) {
        this.config = config;
        this.burnRates = new BurnRates(config);
        this.layout = burnRates.layout();
        this.retentionMs = layout.horizonMs() + layout.maxBucketMs();
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<SloState> descriptor = new ValueStateDescriptor<>("slo-state", SloState.class);
        // A backstop only: the clean-up timer clears a key's state exactly once it is useless. TTL
        // (processing time) catches keys whose timer cannot fire because event time stopped. Its
        // background sweep visits one entry per state access, not Flink's default five: with two
        // accesses per SLI window it still passes every key far more often than keys expire, and the
        // default's sweep was the largest single cost of the operator on the heap backend.
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(retentionMs).plusDays(1))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupIncrementally(1, false)
                .build());
        state = getRuntimeContext().getState(descriptor);
        var metrics = getRuntimeContext().getMetricGroup();
        tooOld = metrics.counter("sliWindowsTooOld");
        fired = metrics.counter("sloAlertsFired");
        resolved = metrics.counter("sloAlertsResolved");
    }

    @Override
    public void processElement(SliWindow w, Context ctx, Collector<Alert> out) throws Exception {
        SloState st = state.value();
        long end = w.windowEnd().toEpochMilli();
        if (st != null && end <= st.clock - layout.horizonMs()) {
            tooOld.inc();
            return;
        }
        if (st == null) {
            st = new SloState();
            st.history = SliHistory.create(layout);
        } else if (!st.history.fits(layout)) {
            if (!warnedLayout) {
                log.warn("burn-rate tiers changed since the last checkpoint: restarting SLI history (alerting "
                        + "windows refill from new data); first affected app {}", w.appId());
                warnedLayout = true;
            }
            st.history = SliHistory.create(layout);
        }
        st.app = w.app();
        st.latencyThresholdMs = w.latencyThresholdMs();
        st.history.add(w.windowStart().toEpochMilli(), w.total(), w.availabilityGood(), w.latencyGood());
        st.firstSeen = Math.min(st.firstSeen, w.windowStart().toEpochMilli());
        st.lastDataAt = Math.max(st.lastDataAt, end);
        st.clock = Math.max(st.clock, end);
        evaluate(st, out);
        schedule(st, ctx.timerService());
        state.update(st);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
        SloState st = state.value();
        if (st == null || timestamp != st.timer) {
            return;
        }
        st.timer = Long.MIN_VALUE;
        st.clock = Math.max(st.clock, timestamp);
        evaluate(st, out);
        if (!st.anyFiring() && st.clock >= st.lastDataAt + retentionMs) {
            state.clear();
            return;
        }
        schedule(st, ctx.timerService());
        state.update(st);
    }

    /**
     * One timer per key: re-registered only when it must fire earlier than the one registered; a
     * timer that fires early just evaluates (a no-op while data flows) and registers the next.
     */
    private void schedule(SloState st, TimerService timers) {
        long due = st.anyFiring() ? st.clock + REEVALUATE.toMillis() : st.lastDataAt + retentionMs;
        if (st.timer == Long.MIN_VALUE || due < st.timer) {
            if (st.timer != Long.MIN_VALUE) {
                timers.deleteEventTimeTimer(st.timer);
            }
            timers.registerEventTimeTimer(due);
            st.timer = due;
        }
    }

    private void evaluate(SloState st, Collector<Alert> out) {
        SloConfig.AppObjectives objectives = config.objectivesFor(st.app.getId());
        for (Sli sli : Sli.values()) {
            Objective objective = sli == Sli.AVAILABILITY ? objectives.availability() : objectives.latency();
            BurnRates.Evaluation e = burnRates.evaluate(st.history, sli, objective, st.clock,
                    st.clock - st.firstSeen);
            AlertTrack track = st.track(sli);
            if (e.firing()) {
                boolean starts = !track.firing();
                if (starts || track.severity != e.rule().severity()) {
                    if (starts) {
                        track.startsAt = st.clock;
                        fired.inc();
                    }
                    long updatedAt = track.nextUpdatedAt(st.clock);
                    out.collect(SloAlerts.firing(sli, st.app, objective, st.latencyThresholdMs, e, track.startsAt,
                            updatedAt));
                    track.updatedAt = updatedAt;
                    track.severity = e.rule().severity();
                }
                track.tier = e.tier();
            } else if (track.firing()) {
                int tier = track.tier >= 0 && track.tier < burnRates.tiers().size() ? track.tier : 0;
                BurnRates.Evaluation now = burnRates.evaluateTier(st.history, sli, objective, st.clock, tier);
                long updatedAt = track.nextUpdatedAt(st.clock);
                out.collect(SloAlerts.resolved(sli, st.app, objective, st.latencyThresholdMs, track.severity, now,
                        track.startsAt, st.clock, updatedAt));
                resolved.inc();
                track.updatedAt = updatedAt;
                track.severity = null;
                track.tier = -1;
            }
        }
    }
}
