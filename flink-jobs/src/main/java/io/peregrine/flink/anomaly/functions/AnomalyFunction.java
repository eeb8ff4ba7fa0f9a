package io.peregrine.flink.anomaly.functions;

import io.peregrine.flink.anomaly.AnomalyConfig;
import io.peregrine.flink.anomaly.functions.Baseline.Judgement;
import io.peregrine.flink.anomaly.records.AnomalyState;
import io.peregrine.flink.anomaly.records.MetricTrack;
import io.peregrine.flink.anomaly.records.SliSignals;
import io.peregrine.schema.Alert;
import io.peregrine.schema.Anomaly;
import io.peregrine.schema.AnomalyMetric;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Anomaly detection for one application (the key: its app id) on three signals of its SLI windows:
 * request rate, error rate and p99 latency, each against robust baselines ({@link Baseline}).
 *
 * <ul>
 * <li><b>Anomalies:</b> every judged window whose |score| reaches {@code threshold} (in a direction
 * that matters: error rate and latency only upwards, request rate both ways) is an {@link Anomaly}
 * record, on the {@link #ANOMALIES} side output, for {@code peregrine.anomalies}.</li>
 * <li><b>Alerts, with hysteresis:</b> an ANOMALY alert fires after {@code trigger_windows}
 * consecutive anomalous windows in the same direction, so one spike does not page, and resolves
 * after {@code recovery_windows} consecutive windows under {@code recovery_threshold} (a lower bar
 * than firing, so a signal hovering at the threshold does not flap).</li>
 * <li><b>Too little traffic:</b> below {@code min_requests} in a window, error rate and latency
 * are neither judged nor learnt (a 1-in-3 error window means nothing), and request rate is judged
 * only when the window or its baseline has that many; such a window counts as calm.</li>
 * <li><b>Warm-up:</b> a signal is judged once it has {@code warmup_windows} of history.</li>
 * <li><b>State:</b> one value per application with a TTL of {@code state_ttl}, so applications that
 * disappeared are forgotten; while an alert fires, an event-time timer resolves it
 * {@code resolve_after_silence} after the application's last window if no more come.</li>
 * </ul>
 *
 * Windows of an application are judged in order of their end; one that is not newer than the
 * latest seen (a replayed or late duplicate) is dropped and counted.
 */
public final class AnomalyFunction extends KeyedProcessFunction<String, SliSignals, Alert> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Anomaly> ANOMALIES = new OutputTag<>("anomalies", new AvroTypeInfo<>(Anomaly.class));

    static final List<AnomalyMetric> METRICS = List.of(AnomalyMetric.REQUEST_RATE, AnomalyMetric.ERROR_RATE,
            AnomalyMetric.LATENCY_P99);

    private final AnomalyConfig config;

    private transient ValueState<AnomalyState> state;
    private transient Counter outOfOrder;
    private transient Counter anomalies;

    public AnomalyFunction(AnomalyConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<AnomalyState> d = new ValueStateDescriptor<>("anomaly-state", AnomalyState.class);
        // The background sweep visits one entry per state access (Flink's default, five, was a large
        // share of the per-window cost); two accesses per window still pass every key many times a TTL.
        d.enableTimeToLive(StateTtlConfig.newBuilder(config.stateTtl())
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupIncrementally(1, false)
                .build());
        state = getRuntimeContext().getState(d);
        outOfOrder = getRuntimeContext().getMetricGroup().counter("anomalyWindowsOutOfOrder");
        anomalies = getRuntimeContext().getMetricGroup().counter("anomalies");
    }

    @Override
    public void processElement(SliSignals w, Context ctx, Collector<Alert> out) throws Exception {
        AnomalyState st = state.value();
        long start = w.windowStart().toEpochMilli();
        long end = w.windowEnd().toEpochMilli();
        if (st == null) {
            st = AnomalyState.create(config.historyWindows());
        } else if (end <= st.lastWindowEnd) {
            outOfOrder.inc();
            return;
        }
        st.app = w.app();
        st.lastWindowEnd = end;
        for (AnomalyMetric m : METRICS) {
            observe(st, m, track(st, m), w, start, end, ctx, out);
        }
        if (st.anyFiring()) {
            long due = end + config.resolveAfterSilence().toMillis();
            if (st.timer != due) {
                if (st.timer != Long.MIN_VALUE) {
                    ctx.timerService().deleteEventTimeTimer(st.timer);
                }
                ctx.timerService().registerEventTimeTimer(due);
                st.timer = due;
            }
        } else if (st.timer != Long.MIN_VALUE) {
            ctx.timerService().deleteEventTimeTimer(st.timer);
            st.timer = Long.MIN_VALUE;
        }
        state.update(st);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
        AnomalyState st = state.value();
        if (st == null || st.timer != timestamp) {
            return;
        }
        st.timer = Long.MIN_VALUE;
        for (AnomalyMetric m : METRICS) {
            MetricTrack t = track(st, m);
            if (t.firing) {
                resolve(st, m, t, st.lastWindowEnd, timestamp, "no SLI windows since " + java.time.Instant.ofEpochMilli(
                        st.lastWindowEnd), out);
            }
        }
        state.update(st);
    }

    private static MetricTrack track(AnomalyState st, AnomalyMetric m) {
        return switch (m) {
            case REQUEST_RATE -> st.requestRate;
            case ERROR_RATE -> st.errorRate;
            default -> st.latencyP99;
        };
    }

    private void observe(AnomalyState st, AnomalyMetric m, MetricTrack t, SliSignals w, long start, long end,
                         Context ctx, Collector<Alert> out) {
        double x;
        boolean judged;
        switch (m) {
            case REQUEST_RATE -> {
                x = w.requests() / w.seconds();
                boolean busy = w.requests() >= config.minRequests()
                        || (!Double.isNaN(t.median) && t.median * w.seconds() >= config.minRequests());
                Judgement j = Baseline.judge(t, m, x, start, config);
                Baseline.learn(t, m, x, start, config);
                judged = busy && j != null;
                hysteresis(st, m, t, judged ? j : null, start, end, ctx, out);
                return;
            }
            case ERROR_RATE -> {
                x = w.requests() == 0 ? 0 : (double) w.errors() / w.requests();
                judged = w.requests() >= config.minRequests();
            }
            default -> {
                x = w.p99Ms();
                judged = w.requests() >= config.minRequests() && !Double.isNaN(x);
            }
        }
        if (!judged) {
            hysteresis(st, m, t, null, start, end, ctx, out);
            return;
        }
        Judgement j = Baseline.judge(t, m, x, start, config);
        Baseline.learn(t, m, x, start, config);
        hysteresis(st, m, t, j, start, end, ctx, out);
    }

    /** Whether {@code j} is an anomaly that matters for {@code m}: errors and latency only upwards. */
    private boolean anomalous(AnomalyMetric m, Judgement j) {
        if (j == null || Math.abs(j.score()) < config.threshold()) {
            return false;
        }
        return m == AnomalyMetric.REQUEST_RATE || j.score() > 0;
    }

    private void hysteresis(AnomalyState st, AnomalyMetric m, MetricTrack t, Judgement j, long start, long end,
                            Context ctx, Collector<Alert> out) {
        boolean bad = anomalous(m, j);
        if (bad) {
            anomalies.inc();
            ctx.output(ANOMALIES, AnomalyRecords.anomaly(st.app, m, start, end, j, ctx.timerService().currentProcessingTime()));
        }
        if (!t.firing) {
            if (!bad) {
                t.badStreak = 0;
                t.streakDirection = 0;
                return;
            }
            if (t.badStreak > 0 && t.streakDirection == j.direction()) {
                t.badStreak++;
            } else {
                t.badStreak = 1;
                t.streakDirection = j.direction();
                t.streakStart = start;
            }
            if (t.badStreak >= config.triggerWindows()) {
                t.firing = true;
                t.startsAt = t.streakStart;
                t.goodStreak = 0;
                t.peakScore = Math.abs(j.score());
                t.updatedAt = t.nextUpdatedAt(end);
                out.collect(AnomalyRecords.firing(st.app, m, config.severity(), config.threshold(), t.badStreak, j,
                        t.startsAt, t.updatedAt));
            }
            return;
        }
        boolean calm = j == null || Math.abs(j.score()) < config.recoveryThreshold()
                || (m != AnomalyMetric.REQUEST_RATE && j.score() < 0);
        if (!calm) {
            t.goodStreak = 0;
            t.peakScore = Math.max(t.peakScore, Math.abs(j.score()));
            return;
        }
        if (++t.goodStreak >= config.recoveryWindows()) {
            resolve(st, m, t, end, end, j == null ? "not judged: too little traffic"
                    : AnomalyRecords.explanation(m, j), out);
        }
    }

    private void resolve(AnomalyState st, AnomalyMetric m, MetricTrack t, long endsAt, long eventTime, String why,
                         Collector<Alert> out) {
        t.updatedAt = t.nextUpdatedAt(eventTime);
        out.collect(AnomalyRecords.resolved(st.app, m, config.severity(), config.threshold(), t.startsAt, endsAt,
                t.updatedAt, why, t.peakScore));
        t.firing = false;
        t.badStreak = 0;
        t.streakDirection = 0;
        t.goodStreak = 0;
        t.peakScore = 0;
    }
}
