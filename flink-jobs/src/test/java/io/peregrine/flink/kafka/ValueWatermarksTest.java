package io.peregrine.flink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.schema.DeadLetter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class ValueWatermarksTest {

    private static final long NOW = 1_795_000_000_000L;   // 2026
    private static final long OLD = 1_748_858_400_000L;   // 2025-06-02T10:00Z

    private final List<Long> emitted = new ArrayList<>();
    private final WatermarkOutput output = new WatermarkOutput() {
        @Override
        public void emitWatermark(Watermark watermark) {
            emitted.add(watermark.getTimestamp());
        }

        @Override
        public void markIdle() {
        }

        @Override
        public void markActive() {
        }
    };

    @Test
    void shouldAdvanceOnValuesAndNotOnDeadLettersOrTombstones() {
        ValueWatermarks.ValuesOnly<String> generator = new ValueWatermarks.ValuesOnly<>(Duration.ofSeconds(5));

        generator.onEvent(Decoded.rejected("k", new DeadLetter(), NOW), NOW, output);
        generator.onEvent(Decoded.tombstone("k", NOW), NOW, output);
        generator.onPeriodicEmit(output);
        assertThat(emitted).allMatch(w -> w < OLD);

        generator.onEvent(Decoded.value("k", "window", OLD), OLD, output);
        generator.onEvent(Decoded.rejected("k", new DeadLetter(), NOW), NOW, output);
        generator.onPeriodicEmit(output);
        assertThat(emitted.get(emitted.size() - 1)).isEqualTo(OLD - 5_000 - 1);
    }

    @Test
    void shouldStampValuesWithTheirEventTimeAndOthersWithTheKafkaTimestamp() {
        var assigner = ValueWatermarks.<String>of(v -> OLD, Duration.ZERO, Duration.ofMinutes(1))
                .createTimestampAssigner(null);
        assertThat(assigner.extractTimestamp(Decoded.value("k", "w", NOW), NOW)).isEqualTo(OLD);
        assertThat(assigner.extractTimestamp(Decoded.rejected("k", new DeadLetter(), NOW), NOW)).isEqualTo(NOW);
    }
}
