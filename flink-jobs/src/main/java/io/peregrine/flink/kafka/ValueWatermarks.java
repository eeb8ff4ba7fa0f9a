package io.peregrine.flink.kafka;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time for a Peregrine source: a decoded value's own time drives the watermark (bounded
 * out-of-orderness, idleness for quiet partitions); dead letters and tombstones do not move it.
 *
 * <p>Why: a rejected record has no event time of its own, only its Kafka timestamp, which is the
 * wall-clock time it was produced and may be far ahead of the data (a replayed or backfilled
 * topic, or one garbage record among old windows). Letting it advance the watermark would fire
 * every pending event-time timer at once and make the values behind it late.
 */
public final class ValueWatermarks {

    /** A value's event time in epoch milliseconds. */
    @FunctionalInterface
    public interface EventTime<V> extends java.io.Serializable {
        long of(V value);
    }

    private ValueWatermarks() {
    }

    public static <V> WatermarkStrategy<Decoded<V>> of(EventTime<V> eventTime, Duration outOfOrderness,
                                                       Duration idleness) {
        SerializableTimestampAssigner<Decoded<V>> timestamps = (d, kafkaTimestamp) ->
                d.value != null ? eventTime.of(d.value) : kafkaTimestamp;
        return WatermarkStrategy.<Decoded<V>>forGenerator(ctx -> new ValuesOnly<>(outOfOrderness))
                .withTimestampAssigner(timestamps)
                .withIdleness(idleness);
    }

    /** Bounded out-of-orderness over values only. */
    static final class ValuesOnly<V> implements WatermarkGenerator<Decoded<V>> {
        private final BoundedOutOfOrdernessWatermarks<Decoded<V>> delegate;

        ValuesOnly(Duration outOfOrderness) {
            this.delegate = new BoundedOutOfOrdernessWatermarks<>(outOfOrderness);
        }

        @Override
        public void onEvent(Decoded<V> event, long eventTimestamp, WatermarkOutput output) {
            if (event.value != null) {
                delegate.onEvent(event, eventTimestamp, output);
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            delegate.onPeriodicEmit(output);
        }
    }
}
