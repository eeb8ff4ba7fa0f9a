package io.peregrine.flink.slo.records;

import io.peregrine.schema.Severity;

/**
 * What has been said about one SLO of one application: whether its alert fires, at which severity
 * and tier, since when, and the last {@code updated_at} written (each version's must be later).
 * A Flink POJO, part of {@link SloState}.
 */
public class AlertTrack {

    /** Severity of the firing alert; null when not firing. */
    public Severity severity;
    /** Index of the tier that fires, in the configured order; -1 when not firing. */
    public int tier = -1;
    /** When the alert started firing (event time, ms). */
    public long startsAt;
    /** updated_at of the last version written for this fingerprint, or Long.MIN_VALUE. */
    public long updatedAt = Long.MIN_VALUE;

    public AlertTrack() {
    }

    public boolean firing() {
        return severity != null;
    }

    /** The next updated_at: {@code at}, unless that would not be later than the previous version's. */
    public long nextUpdatedAt(long at) {
        return updatedAt == Long.MIN_VALUE ? at : Math.max(at, updatedAt + 1);
    }
}
