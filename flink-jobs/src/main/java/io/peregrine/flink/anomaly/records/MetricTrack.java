package io.peregrine.flink.anomaly.records;

/**
 * One signal of one application: its rolling history (a ring of the last values, whose median and
 * MAD are the short-term baseline, recomputed every few windows), its daily and weekly profiles,
 * and the alert's hysteresis. A Flink POJO, part of {@link AnomalyState}.
 */
public class MetricTrack {

    public double[] ring;
    public int ringCount;
    public int ringPos;
    /** Cached median and MAD of the ring, and windows added since they were computed. */
    public double median = Double.NaN;
    public double mad = Double.NaN;
    public int sinceRefresh;
    public Seasonal daily;
    public Seasonal weekly;

    /** Consecutive anomalous windows in {@link #streakDirection} (towards firing). */
    public int badStreak;
    /** +1 HIGH, -1 LOW, 0 none. */
    public int streakDirection;
    /** Start of the first window of the current bad streak (ms). */
    public long streakStart;
    /** Consecutive calm windows while firing (towards resolving). */
    public int goodStreak;
    public boolean firing;
    public long startsAt;
    public long updatedAt = Long.MIN_VALUE;
    /** The largest |score| of the firing episode, and the explanation of that window. */
    public double peakScore;
    public String peakExplanation;

    public MetricTrack() {
    }

    public static MetricTrack create(int historyWindows) {
        MetricTrack t = new MetricTrack();
        t.ring = new double[historyWindows];
        t.daily = Seasonal.create(24);
        t.weekly = Seasonal.create(168);
        return t;
    }

    /** A version time after every earlier one, as close to {@code eventTime} as allowed. */
    public long nextUpdatedAt(long eventTime) {
        return updatedAt == Long.MIN_VALUE ? eventTime : Math.max(updatedAt + 1, eventTime);
    }
}
