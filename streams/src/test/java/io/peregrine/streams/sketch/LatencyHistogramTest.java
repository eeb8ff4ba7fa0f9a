package io.peregrine.streams.sketch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import io.peregrine.schema.LatencySketch;
import io.peregrine.schema.SampleRecords;
import io.peregrine.streams.internal.Bytes;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void shouldLayOutBinsExactlyAsTheSchemaDocuments() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v : SampleRecords.typicalLatenciesNs()) {
            h.add(v);
        }
        assertThat(h.toAvro()).isEqualTo(SampleRecords.latencySketch(SampleRecords.typicalLatenciesNs()));
    }

    @Test
    void shouldAnswerQuantilesLikeSketchesJavaLoadedFromTheRecord() {
        Random r = new Random(42);
        LatencyHistogram h = new LatencyHistogram();
        DDSketch reference = new DDSketch(new LogarithmicMapping(0.01), UnboundedSizeDenseStore::new);
        for (int i = 0; i < 50_000; i++) {
            long v = (long) Math.exp(12 + r.nextGaussian() * 2); // ~160 µs, heavy tail
            h.add(v);
        }
        // Load the Avro record into sketches-java as the schema says a reader can.
        LatencySketch s = h.toAvro();
        for (int i = 0; i < s.getBinCounts().size(); i++) {
            if (s.getBinCounts().get(i) > 0) {
                reference.getPositiveValueStore().add(s.getBinOffset() + i, s.getBinCounts().get(i));
            }
        }
        for (double q : new double[] {0.5, 0.9, 0.95, 0.99}) {
            double expected = reference.getValueAtQuantile(q);
            assertThat((double) h.quantile(q)).isCloseTo(expected, org.assertj.core.api.Assertions.withinPercentage(0.01));
        }
    }

    @Test
    void shouldMergeAndRoundTripThroughItsBinaryForm() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        a.add(0);
        a.add(1_000);
        b.add(5_000_000_000L);
        b.add(3);
        a.merge(b);
        assertThat(a.count()).isEqualTo(4);
        assertThat(a.toAvro().getZeroCount()).isEqualTo(1);
        assertThat(a.toAvro().getMinNs()).isZero();
        assertThat(a.toAvro().getMaxNs()).isEqualTo(5_000_000_000L);
        Bytes.Writer w = new Bytes.Writer();
        a.write(w);
        LatencyHistogram back = LatencyHistogram.read(new Bytes.Reader(w.toByteArray()));
        assertThat(back.toAvro()).isEqualTo(a.toAvro());
        assertThat(LatencyHistogram.fromAvro(a.toAvro()).toAvro()).isEqualTo(a.toAvro());
        assertThat(new LatencyHistogram().quantile(0.5)).isNull();
    }

    @Test
    void shouldRejectSketchesOfAnotherAccuracy() {
        LatencySketch other = LatencySketch.newBuilder(SampleRecords.latencySketch(1, 2)).setRelativeAccuracy(0.02).build();
        assertThatThrownBy(() -> new LatencyHistogram().merge(other)).isInstanceOf(IllegalArgumentException.class);
    }
}
