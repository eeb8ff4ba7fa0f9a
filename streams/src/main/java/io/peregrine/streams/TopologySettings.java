package io.peregrine.streams;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What the topologies need to know, derived from {@link StreamsAppConfig}; a value, so a test can
 * build exactly the production topology with chosen settings.
 *
 * @param sourcePartitions partitions of the raw event topics (the number of upstream tasks whose
 *     progress closes windows); 1 under {@code TopologyTestDriver}
 */
public record TopologySettings(Duration windowSize, Duration grace, long defaultLatencyThresholdMs,
                               Map<String, Long> latencyThresholdOverrides, Duration queryRetention,
                               Duration topologyEdgeTtl, Duration maxFutureSkew, Duration idleSourceTimeout,
                               Duration dnsNameTtl, int sourcePartitions) {

    public TopologySettings {
        Objects.requireNonNull(windowSize, "windowSize");
        Objects.requireNonNull(grace, "grace");
        latencyThresholdOverrides = Map.copyOf(latencyThresholdOverrides);
        if (windowSize.toMillis() < 1) {
            throw new IllegalArgumentException("window size must be positive: " + windowSize);
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative: " + grace);
        }
        if (sourcePartitions < 1) {
            throw new IllegalArgumentException("sourcePartitions must be positive: " + sourcePartitions);
        }
    }

    /** The defaults of {@link StreamsAppConfig} with one source partition, as under TopologyTestDriver. */
    public static TopologySettings defaults() {
        return StreamsAppConfig.of(Map.of()).topologySettings(1);
    }

    public long windowSizeMs() {
        return windowSize.toMillis();
    }

    public long graceMs() {
        return grace.toMillis();
    }

    /** Start of the window holding {@code timestampMs}. */
    public long windowStart(long timestampMs) {
        return Math.floorDiv(timestampMs, windowSizeMs()) * windowSizeMs();
    }

    /** The latency SLO threshold of an application, in ms. */
    public long latencyThresholdMs(String appId) {
        Long o = latencyThresholdOverrides.get(appId);
        return o != null ? o : defaultLatencyThresholdMs;
    }

    public TopologySettings withSourcePartitions(int partitions) {
        return new TopologySettings(windowSize, grace, defaultLatencyThresholdMs, latencyThresholdOverrides,
                queryRetention, topologyEdgeTtl, maxFutureSkew, idleSourceTimeout, dnsNameTtl, partitions);
    }

    public TopologySettings withLatencyThresholds(long defaultMs, Map<String, Long> overrides) {
        return new TopologySettings(windowSize, grace, defaultMs, overrides, queryRetention, topologyEdgeTtl,
                maxFutureSkew, idleSourceTimeout, dnsNameTtl, sourcePartitions);
    }
}
