package io.peregrine.flink.slo.records;

import io.peregrine.schema.AppId;

/**
 * Keyed state of the burn-rate function for one application: its SLI history, what each SLO's alert
 * says, its event-time clock and its one timer. A Flink POJO in one {@code ValueState}, read and
 * written once per SLI window.
 */
public class SloState {

    /** The application's identity as of its latest SLI window (descriptive fields may change). */
    public AppId app;
    /** Evaluation time: the latest SLI window end, or the latest timer that fired (ms). */
    public long clock = Long.MIN_VALUE;
    /** Start of the earliest SLI window received since the state was created (ms). */
    public long firstSeen = Long.MAX_VALUE;
    /** End of the latest SLI window received (ms). */
    public long lastDataAt = Long.MIN_VALUE;
    /** Latency threshold carried by the latest SLI window, for alert texts. */
    public long latencyThresholdMs;
    public SliHistory history;
    public AlertTrack availability = new AlertTrack();
    public AlertTrack latency = new AlertTrack();
    /** The registered event-time timer, or Long.MIN_VALUE when none. */
    public long timer = Long.MIN_VALUE;

    public SloState() {
    }

    public AlertTrack track(Sli sli) {
        return sli == Sli.AVAILABILITY ? availability : latency;
    }

    public boolean anyFiring() {
        return availability.firing() || latency.firing();
    }
}
