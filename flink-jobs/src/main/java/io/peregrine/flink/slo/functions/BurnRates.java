package io.peregrine.flink.slo.functions;

import io.peregrine.flink.slo.BurnRateTier;
import io.peregrine.flink.slo.Objective;
import io.peregrine.flink.slo.SloConfig;
import io.peregrine.flink.slo.records.Counts;
import io.peregrine.flink.slo.records.RingLayout;
import io.peregrine.flink.slo.records.Sli;
import io.peregrine.flink.slo.records.SliHistory;
import java.io.Serializable;
import java.util.List;

/**
 * The multi-window, multi-burn-rate rule (SRE workbook, "Alerting on SLOs"), as a pure function of
 * an application's SLI history: for each tier, pages first, the error ratio over the long and the
 * short window, divided by the error budget, must both exceed the tier's burn rate. The first tier
 * that holds is the answer, which is how a higher tier suppresses the lower ones: one SLO has one
 * alert, at the severity of the highest tier that holds.
 *
 * <p><b>Little history.</b> A long window over an application seen for less than that window holds
 * what there is, and its error ratio is the ratio over that: never padded with imagined good
 * traffic, never held back until the window has filled. That is what lets a young service page on
 * its first failing windows. But with little history every long window holds the same data, and a
 * slower tier would judge it against a lower threshold (6x, 1x instead of 14.4x): 10 s of errors on
 * a service seen for half an hour would open a ticket that lasts hours, "10 % of the budget in
 * 3 days" said of 30 minutes. So a slower tier only speaks once the application's history is
 * longer than the faster tiers' longest window plus its own short window: it then judges only short
 * windows that lie wholly after the history outgrew the faster tier, whose long window saw everything
 * before (defaults: 6 h / 30 m after 1.5 h of history, 3 d / 6 h after 12 h). Without the "plus its
 * short window", a 1 minute outage of a young service, paged and resolved within minutes, would
 * open a ticket 6 hours later, when the ticket tier's 6 h window first became eligible with the
 * outage still in it.
 *
 * <p>Low-traffic guard: a tier only counts when its short window has at least
 * {@code min_requests} requests and {@code min_bad_requests} bad ones, so a handful of requests
 * (one failure out of three is a 333x burn of a 99.9 % budget) never pages.
 */
public final class BurnRates implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Relative slack on "exceeds", so that a ratio exactly at the threshold does not fire on rounding. */
    private static final double EXCEEDS = 1 + 1e-9;

    /** What one evaluation found for one SLO: the tier that holds (or none) and the evidence. */
    public record Evaluation(int tier, BurnRateTier rule, Counts longCounts, Counts shortCounts,
                             double longBurnRate, double shortBurnRate) {
        public boolean firing() {
            return tier >= 0;
        }
    }

    private final List<BurnRateTier> tiers;
    private final RingLayout layout;
    private final int[] longRing;
    private final int[] shortRing;
    /** Per tier: the history a tier needs before it may fire (0 for the fastest ones). */
    private final long[] requiredSpanMs;
    private final long minRequests;
    private final long minBad;

    public BurnRates(SloConfig config) {
        this.tiers = config.tiers();
        this.layout = RingLayout.forTiers(tiers);
        this.longRing = new int[tiers.size()];
        this.shortRing = new int[tiers.size()];
        for (int i = 0; i < tiers.size(); i++) {
            longRing[i] = layout.ringFor(tiers.get(i).longWindow().toMillis());
            shortRing[i] = layout.ringFor(tiers.get(i).shortWindow().toMillis());
        }
        this.requiredSpanMs = new long[tiers.size()];
        for (int i = 0; i < tiers.size(); i++) {
            long own = tiers.get(i).longWindow().toMillis();
            for (BurnRateTier other : tiers) {
                long l = other.longWindow().toMillis();
                if (l < own) {
                    requiredSpanMs[i] = Math.max(requiredSpanMs[i], l);
                }
            }
            if (requiredSpanMs[i] > 0) {
                requiredSpanMs[i] += tiers.get(i).shortWindow().toMillis();
            }
        }
        this.minRequests = config.minRequests();
        this.minBad = config.minBadRequests();
    }

    public RingLayout layout() {
        return layout;
    }

    public List<BurnRateTier> tiers() {
        return tiers;
    }

    /**
     * The highest tier of {@code sli} that holds at {@code now}, or a non-firing evaluation.
     *
     * @param spanMs how long the application has been known: {@code now} minus its first window's start
     */
    public Evaluation evaluate(SliHistory history, Sli sli, Objective objective, long now, long spanMs) {
        if (!objective.enabled()) {
            return new Evaluation(-1, null, Counts.ZERO, Counts.ZERO, 0, 0);
        }
        for (int i = 0; i < tiers.size(); i++) {
            if (requiredSpanMs[i] > 0 && spanMs <= requiredSpanMs[i]) {
                continue;
            }
            Evaluation e = evaluateTier(history, sli, objective, now, i);
            if (e.firing()) {
                return e;
            }
        }
        return new Evaluation(-1, null, Counts.ZERO, Counts.ZERO, 0, 0);
    }

    /** Tier {@code i} alone, with its evidence; {@link Evaluation#firing()} says whether it holds. */
    public Evaluation evaluateTier(SliHistory history, Sli sli, Objective objective, long now, int i) {
        BurnRateTier t = tiers.get(i);
        Counts shortCounts = history.sum(shortRing[i], t.shortWindow().toMillis(), now);
        Counts longCounts = history.sum(longRing[i], t.longWindow().toMillis(), now);
        double shortBurn = shortCounts.errorRatio(sli) / objective.errorBudget();
        double longBurn = longCounts.errorRatio(sli) / objective.errorBudget();
        boolean enoughTraffic = shortCounts.total() >= minRequests && shortCounts.bad(sli) >= minBad;
        boolean holds = enoughTraffic && shortBurn > t.burnRate() * EXCEEDS && longBurn > t.burnRate() * EXCEEDS;
        return new Evaluation(holds ? i : -1, t, longCounts, shortCounts, longBurn, shortBurn);
    }
}
