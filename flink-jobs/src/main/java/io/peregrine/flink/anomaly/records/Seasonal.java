package io.peregrine.flink.anomaly.records;

/**
 * A seasonal profile of one signal: per slot (hour of day, or hour of week), the EWMA of the value
 * and of its absolute deviation, and in how many distinct periods (days, weeks) the slot was seen.
 * The EWMA starts as a plain mean (weight 1/n) and settles at {@link #MIN_WEIGHT}, so a slot's first
 * day counts fully and later days move it gradually. A Flink POJO, part of {@link AnomalyState}.
 */
public class Seasonal {

    /** The smallest weight of a new value in a slot: about the last 1000 samples (3 days of 10 s windows). */
    public static final double MIN_WEIGHT = 1.0 / 1000;

    public double[] mean;
    public double[] dev;
    public long[] samples;
    public int[] periods;
    /** Index of the last period each slot was seen in (days or weeks since the epoch), -1 never. */
    public long[] lastPeriod;

    public Seasonal() {
    }

    public static Seasonal create(int slots) {
        Seasonal s = new Seasonal();
        s.mean = new double[slots];
        s.dev = new double[slots];
        s.samples = new long[slots];
        s.periods = new int[slots];
        s.lastPeriod = new long[slots];
        java.util.Arrays.fill(s.lastPeriod, -1);
        return s;
    }

    public void add(int slot, long period, double x) {
        samples[slot]++;
        double w = Math.max(1.0 / samples[slot], MIN_WEIGHT);
        double before = mean[slot];
        mean[slot] = samples[slot] == 1 ? x : before + w * (x - before);
        dev[slot] = samples[slot] == 1 ? 0 : dev[slot] + w * (Math.abs(x - before) - dev[slot]);
        if (lastPeriod[slot] != period) {
            lastPeriod[slot] = period;
            periods[slot]++;
        }
    }

    public boolean ready(int slot, int minPeriods) {
        return periods[slot] >= minPeriods;
    }
}
