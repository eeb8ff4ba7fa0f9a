package io.peregrine.flink.incident.functions;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Watermarks of a changelog input (topology, silences) joined to an event-time stream: always
 * the maximum, so the changelog never holds the joined operator's event time back. Its records
 * are state to apply on arrival, not events to order, and a compacted topic is quiet for hours,
 * which with ordinary watermarks would stall the alerts it is joined to (or, with idleness, stall
 * them for the idleness timeout after each rare update).
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
        output.emitWatermark(new Watermark(Long.MAX_VALUE));
    }
}
