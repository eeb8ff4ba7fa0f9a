package io.peregrine.flink.anomaly.records;

import io.peregrine.schema.AppId;
import io.peregrine.schema.ServiceSliWindow;
import java.time.Instant;

/**
 * What anomaly detection reads of an SLI window: counts and p99, without the latency sketch, so that
 * little crosses the network at the key-by.
 *
 * @param p99Ms p99 latency in milliseconds, NaN when the window has no requests
 */
public record SliSignals(AppId app, Instant windowStart, Instant windowEnd, long requests, long errors, double p99Ms) {

    public static SliSignals of(ServiceSliWindow w) {
        Long p99 = w.getP99Ns();
        return new SliSignals(w.getApp(), w.getWindowStart(), w.getWindowEnd(), w.getRequests(), w.getErrors(),
                p99 == null ? Double.NaN : p99 / 1e6);
    }

    public String appId() {
        return app.getId();
    }

    /** Window length in seconds (at least a millisecond, so rates stay finite). */
    public double seconds() {
        return Math.max(1, windowEnd.toEpochMilli() - windowStart.toEpochMilli()) / 1000.0;
    }
}
