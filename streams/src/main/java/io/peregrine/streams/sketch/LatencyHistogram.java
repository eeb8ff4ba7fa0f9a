package io.peregrine.streams.sketch;

import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import io.peregrine.schema.LatencySketch;
import io.peregrine.streams.internal.Bytes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A mutable DDSketch over nanosecond latencies, laid out as {@link LatencySketch} documents: the
 * sketches-java {@link LogarithmicMapping} at 1 % relative accuracy, one dense run of positive
 * bins, a zero bin for values below 1 ns, and exact count, sum, min and max.
 *
 * <p>Why not sketches-java's {@code DDSketch} itself: its counts are doubles and it keeps no exact
 * sum/min/max, and the hot path here (one {@link #add} per request) must not allocate. The index
 * mapping is sketches-java's own instance, so bins and quantiles agree with any reader that loads a
 * {@link LatencySketch} into sketches-java (a test checks this).
 */
public final class LatencyHistogram {

    /** Relative accuracy Peregrine writes. */
    public static final double RELATIVE_ACCURACY = 0.01;

    private static final LogarithmicMapping MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);
    private static final int CODEC_VERSION = 1;

    private long[] counts = new long[0];
    private int offset;          // bin index of counts[0]
    private int minIndex = Integer.MAX_VALUE;
    private int maxIndex = Integer.MIN_VALUE;
    private long zeroCount;
    private long count;
    private long sum;
    private long min = Long.MAX_VALUE;
    private long max = Long.MIN_VALUE;

    /** Bin index of a value of at least 1 ns. */
    public static int index(long valueNs) {
        return MAPPING.index(valueNs);
    }

    /** Representative value of a bin (within the relative accuracy of every value in it). */
    public static double value(int index) {
        return MAPPING.value(index);
    }

    /** Records one latency; negative values are a caller bug (they are rejected before this). */
    public void add(long valueNs) {
        if (valueNs < 0) {
            throw new IllegalArgumentException("negative latency " + valueNs);
        }
        count++;
        sum += valueNs;
        if (valueNs < min) {
            min = valueNs;
        }
        if (valueNs > max) {
            max = valueNs;
        }
        if (valueNs < 1) {
            zeroCount++;
            return;
        }
        addToBin(MAPPING.index(valueNs), 1);
    }

    private void addToBin(int index, long n) {
        if (index < minIndex || index > maxIndex) {
            grow(Math.min(index, minIndex), Math.max(index, maxIndex));
        }
        counts[index - offset] += n;
    }

    private void grow(int newMin, int newMax) {
        if (counts.length == 0) {
            // Padding on both sides: the latencies of one edge cluster within a few hundred bins.
            int pad = 32;
            offset = newMin - pad;
            counts = new long[newMax - newMin + 1 + 2 * pad];
        } else {
            int end = offset + counts.length - 1;
            if (newMin < offset || newMax > end) {
                int pad = Math.max(32, (newMax - newMin + 1) / 2);
                int newOffset = newMin < offset ? newMin - pad : offset;
                int newEnd = newMax > end ? newMax + pad : end;
                long[] grown = new long[newEnd - newOffset + 1];
                System.arraycopy(counts, 0, grown, offset - newOffset, counts.length);
                counts = grown;
                offset = newOffset;
            }
        }
        minIndex = newMin;
        maxIndex = newMax;
    }

    /** Empties the histogram, keeping its storage (the hot path reuses histograms across commits). */
    public void reset() {
        if (minIndex <= maxIndex) {
            java.util.Arrays.fill(counts, minIndex - offset, maxIndex - offset + 1, 0L);
        }
        minIndex = Integer.MAX_VALUE;
        maxIndex = Integer.MIN_VALUE;
        zeroCount = 0;
        count = 0;
        sum = 0;
        min = Long.MAX_VALUE;
        max = Long.MIN_VALUE;
    }

    /** Adds every value of {@code other} to this one. */
    public void merge(LatencyHistogram other) {
        if (other.count == 0) {
            return;
        }
        count += other.count;
        sum += other.sum;
        zeroCount += other.zeroCount;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
        for (int i = other.minIndex; i <= other.maxIndex; i++) {
            long c = other.counts[i - other.offset];
            if (c != 0) {
                addToBin(i, c);
            }
        }
    }

    /** Adds a sketch read from a record; it must use Peregrine's relative accuracy. */
    public void merge(LatencySketch s) {
        if (Math.abs(s.getRelativeAccuracy() - RELATIVE_ACCURACY) > 1e-12) {
            throw new IllegalArgumentException("cannot merge a sketch of relative accuracy " + s.getRelativeAccuracy()
                    + " into one of " + RELATIVE_ACCURACY);
        }
        if (s.getCount() == 0) {
            return;
        }
        count += s.getCount();
        sum += s.getSumNs();
        zeroCount += s.getZeroCount();
        if (s.getMinNs() != null) {
            min = Math.min(min, s.getMinNs());
        }
        if (s.getMaxNs() != null) {
            max = Math.max(max, s.getMaxNs());
        }
        List<Long> bins = s.getBinCounts();
        for (int i = 0; i < bins.size(); i++) {
            long c = bins.get(i);
            if (c != 0) {
                addToBin(s.getBinOffset() + i, c);
            }
        }
    }

    public long count() {
        return count;
    }

    public long sum() {
        return sum;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /**
     * The value at quantile {@code q} in [0, 1], as sketches-java computes it (rank q x (count - 1),
     * representative value of the bin reaching it), clamped to the exact min and max; null when empty.
     */
    public Long quantile(double q) {
        if (q < 0 || q > 1) {
            throw new IllegalArgumentException("quantile must be in [0, 1]: " + q);
        }
        if (count == 0) {
            return null;
        }
        double rank = q * (count - 1);
        double n = zeroCount;
        if (n > rank) {
            return 0L;
        }
        for (int i = minIndex; i <= maxIndex; i++) {
            n += counts[i - offset];
            if (n > rank) {
                long v = Math.round(MAPPING.value(i));
                return Math.max(min, Math.min(max, v));
            }
        }
        return max;
    }

    /** This histogram as the Avro record. */
    public LatencySketch toAvro() {
        List<Long> bins = new ArrayList<>();
        int binOffset = 0;
        if (minIndex <= maxIndex) {
            binOffset = minIndex;
            for (int i = minIndex; i <= maxIndex; i++) {
                bins.add(counts[i - offset]);
            }
        }
        return LatencySketch.newBuilder()
                .setRelativeAccuracy(RELATIVE_ACCURACY)
                .setBinOffset(binOffset)
                .setBinCounts(bins)
                .setZeroCount(zeroCount)
                .setCount(count)
                .setSumNs(sum)
                .setMinNs(count == 0 ? null : min)
                .setMaxNs(count == 0 ? null : max)
                .build();
    }

    public static LatencyHistogram fromAvro(LatencySketch s) {
        LatencyHistogram h = new LatencyHistogram();
        h.merge(s);
        return h;
    }

    public void write(Bytes.Writer w) {
        w.writeByte(CODEC_VERSION);
        w.writeLong(count).writeLong(sum).writeLong(zeroCount);
        if (count > 0) {
            w.writeLong(min).writeLong(max);
        }
        boolean hasBins = minIndex <= maxIndex;
        w.writeInt(hasBins ? maxIndex - minIndex + 1 : 0);
        if (hasBins) {
            w.writeInt(minIndex);
            for (int i = minIndex; i <= maxIndex; i++) {
                w.writeLong(counts[i - offset]);
            }
        }
    }

    public static LatencyHistogram read(Bytes.Reader r) {
        int version = r.readByte();
        if (version != CODEC_VERSION) {
            throw new Bytes.CorruptDataException("latency histogram format " + version + " unknown");
        }
        LatencyHistogram h = new LatencyHistogram();
        h.count = r.readLong();
        h.sum = r.readLong();
        h.zeroCount = r.readLong();
        if (h.count > 0) {
            h.min = r.readLong();
            h.max = r.readLong();
        }
        int n = r.readSize();
        if (n > 0) {
            int first = r.readInt();
            h.counts = new long[n];
            h.offset = first;
            h.minIndex = first;
            h.maxIndex = first + n - 1;
            for (int i = 0; i < n; i++) {
                h.counts[i] = r.readLong();
            }
        }
        return h;
    }

    public LatencyHistogram copy() {
        LatencyHistogram h = new LatencyHistogram();
        h.merge(this);
        return h;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LatencyHistogram other && toAvro().equals(other.toAvro());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new long[] {count, sum, zeroCount});
    }

    @Override
    public String toString() {
        return "LatencyHistogram{count=" + count + ", p50=" + quantile(0.5) + ", p99=" + quantile(0.99) + "}";
    }
}
