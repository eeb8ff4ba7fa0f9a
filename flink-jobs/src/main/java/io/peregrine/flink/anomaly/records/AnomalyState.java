package io.peregrine.flink.anomaly.records;

import io.peregrine.schema.AppId;

/**
 * Keyed state of anomaly detection for one application: one {@link MetricTrack} per signal, the
 * application's event-time clock and its one timer. A Flink POJO in one {@code ValueState} with a
 * TTL, read and written once per SLI window.
 */
public class AnomalyState {

    public AppId app;
    public long lastWindowEnd = Long.MIN_VALUE;
    public MetricTrack requestRate;
    public MetricTrack errorRate;
    public MetricTrack latencyP99;
    /** The registered event-time timer, or Long.MIN_VALUE when none. */
    public long timer = Long.MIN_VALUE;

    public AnomalyState() {
    }

    public static AnomalyState create(int historyWindows) {
        AnomalyState s = new AnomalyState();
        s.requestRate = MetricTrack.create(historyWindows);
        s.errorRate = MetricTrack.create(historyWindows);
        s.latencyP99 = MetricTrack.create(historyWindows);
        return s;
    }

    public boolean anyFiring() {
        return requestRate.firing || errorRate.firing || latencyP99.firing;
    }
}
