package io.peregrine.flink.incident.records;

import io.peregrine.schema.Alert;

/**
 * Keyed state of the hysteresis function for one alert fingerprint: the latest raw version, since
 * when its raw status holds, what has been told downstream, the recent status changes (for flap
 * detection) and the one registered timer. A Flink POJO in one {@code ValueState}; cleared once the
 * alert is resolved downstream and its changes have left the flap window.
 */
public class HysteresisState {

    /** Latest raw version received. */
    public Alert latest;
    /** Raw status of {@link #latest}: true for FIRING. */
    public boolean rawFiring;
    /** Event time (ms) of the latest raw status change. */
    public long rawSince;
    /** What downstream was told: firing or not. */
    public boolean confirmed;
    /** What downstream was told: flapping or not. */
    public boolean flapping;
    /** Event times (ms) of the raw status changes within the flap window, oldest first. */
    public long[] changes = new long[0];
    /** Latest event time seen (ms). */
    public long clock = Long.MIN_VALUE;
    /** The registered event-time timer, or Long.MIN_VALUE when none. */
    public long timer = Long.MIN_VALUE;

    public HysteresisState() {
    }
}
