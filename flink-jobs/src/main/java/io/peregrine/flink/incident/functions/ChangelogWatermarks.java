package io.peregrine.flink.incident.functions;

import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Watermarks of a changelog input (topology, silences) joined to the alert signals: none, and the
 * source marked idle at every periodic emission, so the joined operator's event time is the
 * signals' alone. Changelog records are state to apply on arrival, not events to order, and a
 * compacted topic is quiet for hours, which with ordinary watermarks would stall the signals.
 *
 * <p>Idle rather than a maximal watermark: with a maximal one, the correlator's event time would
 * jump to the end of time whenever the signals go idle (no SLI traffic for the idleness timeout),
 * firing every silence's end timer early and leaving later timers unable to fire. Records of an
 * idle source still flow (only watermarks and idleness change its status; Flink's
 * {@code SourceOutputWithWatermarks.collect} does not mark it active).
 */
public final class ChangelogWatermarks<T> implements WatermarkGenerator<T> {

    public static <T> WatermarkStrategy<T> strategy() {
        return WatermarkStrategy.<T>forGenerator(ctx -> new ChangelogWatermarks<>())
                .withTimestampAssigner((record, kafkaTimestamp) -> kafkaTimestamp);
    }

    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        output.markIdle();
    }
}
