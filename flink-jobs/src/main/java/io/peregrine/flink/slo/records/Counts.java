package io.peregrine.flink.slo.records;

/** Request counts summed over a span of time. */
public record Counts(long total, long availabilityGood, long latencyGood) {

    public static final Counts ZERO = new Counts(0, 0, 0);

    /** Requests that were not good for {@code sli}. */
    public long bad(Sli sli) {
        return total - good(sli);
    }

    public long good(Sli sli) {
        return sli == Sli.AVAILABILITY ? availabilityGood : latencyGood;
    }

    /** Bad / total; 0 without requests. */
    public double errorRatio(Sli sli) {
        return total == 0 ? 0 : (double) bad(sli) / total;
    }
}
