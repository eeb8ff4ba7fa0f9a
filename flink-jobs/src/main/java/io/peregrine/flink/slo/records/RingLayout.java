package io.peregrine.flink.slo.records;

import io.peregrine.flink.slo.BurnRateTier;
import java.io.Serializable;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Which ring buffers hold an application's SLI history, derived from the burn-rate tiers. Each
 * window of a tier is summed from one ring: the one with the coarsest bucket that is at most 1/30
 * of the window (so a sum is off by at most one bucket, under 3.4 % of the window), among buckets
 * of 10 s, 1 min, 5 min and 1 h. A ring has as many slots as its longest window needs, plus two
 * (the bucket in progress and one of slack). For the workbook table: 5 m from 10 s buckets, 30 m
 * and 1 h from 1 min buckets, 6 h from 5 min buckets, 3 d from 1 h buckets, 242 slots in all.
 */
public final class RingLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    static final long[] BUCKETS_MS = {10_000L, 60_000L, 300_000L, 3_600_000L};

    private final long[] bucketMs;
    private final int[] slots;
    private final long horizonMs;

    private RingLayout(long[] bucketMs, int[] slots, long horizonMs) {
        this.bucketMs = bucketMs;
        this.slots = slots;
        this.horizonMs = horizonMs;
    }

    public static RingLayout forTiers(List<BurnRateTier> tiers) {
        TreeMap<Long, Integer> rings = new TreeMap<>();
        long horizon = 0;
        for (BurnRateTier t : tiers) {
            for (Duration w : List.of(t.longWindow(), t.shortWindow())) {
                long b = bucketFor(w.toMillis());
                int needed = (int) -Math.floorDiv(-w.toMillis(), b) + 2;
                rings.merge(b, needed, Math::max);
                horizon = Math.max(horizon, w.toMillis());
            }
        }
        long[] bucket = rings.keySet().stream().mapToLong(Long::longValue).toArray();
        int[] slot = rings.values().stream().mapToInt(Integer::intValue).toArray();
        return new RingLayout(bucket, slot, horizon);
    }

    /** The bucket size the sum over a window of {@code windowMs} is read from. */
    public static long bucketFor(long windowMs) {
        long chosen = BUCKETS_MS[0];
        for (long b : BUCKETS_MS) {
            if (b * 30 <= windowMs) {
                chosen = b;
            }
        }
        return chosen;
    }

    public int rings() {
        return bucketMs.length;
    }

    public long bucketMs(int ring) {
        return bucketMs[ring];
    }

    public int slots(int ring) {
        return slots[ring];
    }

    public int totalSlots() {
        return Arrays.stream(slots).sum();
    }

    /** The ring that serves windows of {@code windowMs}. */
    public int ringFor(long windowMs) {
        long b = bucketFor(windowMs);
        for (int i = 0; i < bucketMs.length; i++) {
            if (bucketMs[i] == b) {
                return i;
            }
        }
        throw new IllegalArgumentException("no ring for a window of " + windowMs + " ms");
    }

    /** The longest window: history older than this is never read. */
    public long horizonMs() {
        return horizonMs;
    }

    /** The largest bucket. */
    public long maxBucketMs() {
        return bucketMs[bucketMs.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RingLayout r && Arrays.equals(bucketMs, r.bucketMs) && Arrays.equals(slots, r.slots);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bucketMs) + Arrays.hashCode(slots);
    }

    @Override
    public String toString() {
        return "RingLayout{bucketMs=" + Arrays.toString(bucketMs) + ", slots=" + Arrays.toString(slots) + '}';
    }
}
