package io.peregrine.flink.slo.records;

import java.util.Arrays;

/**
 * An application's recent SLI counts in fixed-size ring buffers, one per bucket size of a
 * {@link RingLayout}: bounded (242 slots for the workbook table, about 8 KB) however long the
 * application lives, so no Flink window of days and no list that grows with traffic.
 *
 * <p>A slot holds the counts of one bucket and that bucket's index ({@code start / bucketMs});
 * writing to a slot whose index is older recycles it, and a sum only reads slots whose index lies
 * in the window, so stale slots never need clearing. An SLI window counts in the bucket its start
 * falls in.
 *
 * <p>A Flink POJO (public fields, no-arg constructor) of flat primitive arrays: cheap to copy and
 * to serialize, and evolvable.
 */
public class SliHistory {

    static final long EMPTY = Long.MIN_VALUE;

    /** Per ring: bucket size in ms. */
    public long[] bucketMs;
    /** Per ring: its first slot in the flat arrays. */
    public int[] offset;
    /** Per ring: its number of slots. */
    public int[] slots;
    /** Per slot: the bucket index held, or {@link #EMPTY}. */
    public long[] index;
    public long[] total;
    public long[] availabilityGood;
    public long[] latencyGood;

    public SliHistory() {
    }

    public static SliHistory create(RingLayout layout) {
        SliHistory h = new SliHistory();
        int rings = layout.rings();
        h.bucketMs = new long[rings];
        h.offset = new int[rings];
        h.slots = new int[rings];
        int n = 0;
        for (int r = 0; r < rings; r++) {
            h.bucketMs[r] = layout.bucketMs(r);
            h.slots[r] = layout.slots(r);
            h.offset[r] = n;
            n += layout.slots(r);
        }
        h.index = new long[n];
        Arrays.fill(h.index, EMPTY);
        h.total = new long[n];
        h.availabilityGood = new long[n];
        h.latencyGood = new long[n];
        return h;
    }

    /** Whether this history was built for {@code layout} (it changes when the tiers are reconfigured). */
    public boolean fits(RingLayout layout) {
        if (bucketMs == null || bucketMs.length != layout.rings()) {
            return false;
        }
        for (int r = 0; r < bucketMs.length; r++) {
            if (bucketMs[r] != layout.bucketMs(r) || slots[r] != layout.slots(r)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Adds one SLI window's counts in every ring. A ring whose slot for that bucket already holds a
     * newer bucket has moved past it: the window is too old for that ring and is left out of it.
     */
    public void add(long windowStartMs, long total, long availabilityGood, long latencyGood) {
        for (int r = 0; r < bucketMs.length; r++) {
            long idx = Math.floorDiv(windowStartMs, bucketMs[r]);
            int slot = offset[r] + (int) Math.floorMod(idx, (long) slots[r]);
            if (index[slot] != idx) {
                if (index[slot] != EMPTY && index[slot] > idx) {
                    continue;
                }
                index[slot] = idx;
                this.total[slot] = 0;
                this.availabilityGood[slot] = 0;
                this.latencyGood[slot] = 0;
            }
            this.total[slot] += total;
            this.availabilityGood[slot] += availabilityGood;
            this.latencyGood[slot] += latencyGood;
        }
    }

    /**
     * Counts of every bucket of {@code ring} whose start is at or after {@code now - windowMs} and
     * before {@code now}: the window, give or take the bucket in progress. With history shorter than the window, that is all of it: the ratio of a long
     * window over little history is the ratio over the traffic seen so far, never diluted by
     * imagined traffic and never held back until the window has filled.
     */
    public Counts sum(int ring, long windowMs, long now) {
        long b = bucketMs[ring];
        long first = -Math.floorDiv(windowMs - now, b); // ceil((now - windowMs) / b)
        long last = Math.floorDiv(now - 1, b);
        long t = 0;
        long a = 0;
        long l = 0;
        int end = offset[ring] + slots[ring];
        for (int s = offset[ring]; s < end; s++) {
            long idx = index[s];
            if (idx >= first && idx <= last) {
                t += total[s];
                a += availabilityGood[s];
                l += latencyGood[s];
            }
        }
        return t == 0 ? Counts.ZERO : new Counts(t, a, l);
    }
}
