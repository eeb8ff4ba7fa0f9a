package io.peregrine.flink.slo.records;

import io.peregrine.schema.AppId;
import io.peregrine.schema.ServiceSliWindow;
import java.time.Instant;

/**
 * The part of a {@link ServiceSliWindow} the burn-rate evaluation needs: the good/total counts of
 * both SLIs, without the latency sketch and percentiles, so that little crosses the network at the
 * key-by.
 */
public record SliWindow(AppId app, Instant windowStart, Instant windowEnd, long total, long availabilityGood,
                        long latencyGood, long latencyThresholdMs) {

    public static SliWindow of(ServiceSliWindow w) {
        return new SliWindow(w.getApp(), w.getWindowStart(), w.getWindowEnd(), w.getTotal(), w.getAvailabilityGood(),
                w.getLatencyGood(), w.getLatencyThresholdMs());
    }

    public String appId() {
        return app.getId();
    }
}
