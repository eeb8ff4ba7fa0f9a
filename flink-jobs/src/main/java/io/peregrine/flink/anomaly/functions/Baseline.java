package io.peregrine.flink.anomaly.functions;

import io.peregrine.flink.anomaly.AnomalyConfig;
import io.peregrine.flink.anomaly.records.MetricTrack;
import io.peregrine.flink.anomaly.records.Seasonal;
import io.peregrine.schema.AnomalyMetric;
import java.util.Arrays;

/**
 * The robust baselines of one signal, and the score of a new value against them.
 *
 * <p><b>Short term:</b> median and MAD of the last {@code history_windows} values (recomputed every
 * {@link #REFRESH} windows: a lagging baseline is what keeps a developing anomaly from becoming
 * its own reference). Robust z-score {@code (x - median) / (1.4826 x MAD)}, as the modified z-score
 * of Iglewicz and Hoaglin; 1.4826 x MAD estimates the standard deviation of normal noise, and
 * neither a spike nor a few outliers move the median or MAD much.
 *
 * <p><b>Seasonality:</b> per hour of day and hour of week, an EWMA of the value and of its absolute
 * deviation ({@link Seasonal}). Once an hour has been seen on {@code seasonal_min_days} days (or an
 * hour of week in {@code seasonal_min_weeks} weeks; weekly wins when both are ready) it is a second
 * reference, and the value is judged against the one it fits better: the nightly batch at 02:00
 * that the last ten minutes never saw is usual for 02:00, and a slow drift the hour-of-day profile
 * has not learnt is usual for the last ten minutes. The mean absolute deviation is turned into a
 * MAD-equivalent (x 0.8453 under normal noise) so both references score on the same scale.
 *
 * <p><b>Floors:</b> a flat signal has a MAD of 0, which would make any change infinitely anomalous;
 * the spread is floored per signal at a fraction of the baseline and an absolute minimum
 * ({@link #floor}).
 */
public final class Baseline {

    /** Windows between recomputations of the rolling median and MAD. */
    static final int REFRESH = 6;
    /** 1.4826 x MAD estimates sigma under normal noise. */
    public static final double MAD_TO_SIGMA = 1.4826;
    /** Mean absolute deviation to MAD under normal noise: 0.6745 / 0.7979. */
    static final double MEAN_ABS_TO_MAD = 0.8453;

    private Baseline() {
    }

    /**
     * A judged value.
     *
     * @param reference {@code recent}, {@code hour of day} or {@code hour of week}
     * @param seasonalScore the score against the seasonal reference, NaN when none is ready
     */
    public record Judgement(double observed, double baseline, double spread, double score, String reference,
                            double seasonalScore) {
        public int direction() {
            return score > 0 ? 1 : score < 0 ? -1 : 0;
        }
    }

    /** The spread floor of a signal around {@code baseline}, in its unit. */
    static double floor(AnomalyMetric metric, double baseline) {
        double b = Math.abs(baseline);
        return switch (metric) {
            case REQUEST_RATE -> Math.max(0.05 * b, 0.1);
            case ERROR_RATE -> Math.max(0.1 * b, 0.005);
            default -> Math.max(0.05 * b, 1.0);
        };
    }

    static int hourOfDay(long windowStartMs) {
        return (int) Math.floorMod(Math.floorDiv(windowStartMs, 3_600_000L), 24L);
    }

    static int hourOfWeek(long windowStartMs) {
        // The epoch began on a Thursday; any fixed origin gives the same weekly slots.
        return (int) Math.floorMod(Math.floorDiv(windowStartMs, 3_600_000L), 168L);
    }

    /** The score of {@code x} against {@code t}'s baselines, or null while the track warms up. */
    public static Judgement judge(MetricTrack t, AnomalyMetric metric, double x, long windowStartMs, AnomalyConfig c) {
        if (t.ringCount < c.warmupWindows()) {
            return null;
        }
        if (Double.isNaN(t.median) || t.sinceRefresh >= REFRESH) {
            refresh(t);
        }
        double spread = Math.max(t.mad, floor(metric, t.median));
        double score = (x - t.median) / (MAD_TO_SIGMA * spread);
        Judgement recent = new Judgement(x, t.median, spread, score, "recent", Double.NaN);
        Judgement seasonal = seasonal(t, metric, x, windowStartMs, c);
        if (seasonal == null) {
            return recent;
        }
        return Math.abs(seasonal.score()) < Math.abs(score) ? seasonal
                : new Judgement(x, t.median, spread, score, "recent", seasonal.score());
    }

    private static Judgement seasonal(MetricTrack t, AnomalyMetric metric, double x, long windowStartMs, AnomalyConfig c) {
        int w = hourOfWeek(windowStartMs);
        int d = hourOfDay(windowStartMs);
        Seasonal profile;
        int slot;
        String name;
        if (t.weekly.ready(w, c.seasonalMinWeeks())) {
            profile = t.weekly;
            slot = w;
            name = "hour of week";
        } else if (t.daily.ready(d, c.seasonalMinDays())) {
            profile = t.daily;
            slot = d;
            name = "hour of day";
        } else {
            return null;
        }
        double mean = profile.mean[slot];
        double spread = Math.max(profile.dev[slot] * MEAN_ABS_TO_MAD, floor(metric, mean));
        double score = (x - mean) / (MAD_TO_SIGMA * spread);
        return new Judgement(x, mean, spread, score, name, score);
    }

    /**
     * Adds {@code x} to {@code t}'s history after it was judged. The rolling ring always learns (a
     * lasting level shift becomes the new normal); a seasonal slot that is ready does not learn a
     * value anomalous for it, so one bad night does not teach that nights are bad.
     */
    public static void learn(MetricTrack t, AnomalyMetric metric, double x, long windowStartMs, AnomalyConfig c) {
        t.ring[t.ringPos] = x;
        t.ringPos = (t.ringPos + 1) % t.ring.length;
        t.ringCount = Math.min(t.ringCount + 1, t.ring.length);
        t.sinceRefresh++;
        learn(t.daily, hourOfDay(windowStartMs), Math.floorDiv(windowStartMs, 86_400_000L), c.seasonalMinDays(),
                metric, x, c);
        learn(t.weekly, hourOfWeek(windowStartMs), Math.floorDiv(windowStartMs, 604_800_000L), c.seasonalMinWeeks(),
                metric, x, c);
    }

    private static void learn(Seasonal s, int slot, long period, int minPeriods, AnomalyMetric metric, double x,
                              AnomalyConfig c) {
        if (s.ready(slot, minPeriods)) {
            double spread = Math.max(s.dev[slot] * MEAN_ABS_TO_MAD, floor(metric, s.mean[slot]));
            if (Math.abs(x - s.mean[slot]) / (MAD_TO_SIGMA * spread) >= c.threshold()) {
                return;
            }
        }
        s.add(slot, period, x);
    }

    static void refresh(MetricTrack t) {
        int n = t.ringCount;
        double[] v = Arrays.copyOf(t.ring, n);
        Arrays.sort(v);
        double median = median(v);
        for (int i = 0; i < n; i++) {
            v[i] = Math.abs(v[i] - median);
        }
        Arrays.sort(v);
        t.median = median;
        t.mad = median(v);
        t.sinceRefresh = 0;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
