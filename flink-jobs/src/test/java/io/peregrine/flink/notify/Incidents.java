package io.peregrine.flink.notify;

import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.time.Instant;

/** Incident versions for tests, built from {@link SampleRecords#incident()}. */
final class Incidents {

    static final Instant T = SampleRecords.T0;

    private Incidents() {
    }

    static Incident open(String id, Severity severity, long updatedAtOffsetSeconds) {
        return Incident.newBuilder(SampleRecords.incident()).setId(id).setSeverity(severity)
                .setUpdatedAt(T.plusSeconds(updatedAtOffsetSeconds)).build();
    }

    /** The last version of incident {@code id}, open until then, resolved as stale: nothing was heard of it. */
    static Incident stale(String id, long updatedAtOffsetSeconds) {
        Incident open = open(id, Severity.PAGE, 0);
        return io.peregrine.flink.incident.functions.Incidents.stale(open, "no data for 1h",
                open.getUpdatedAt().toEpochMilli() + updatedAtOffsetSeconds * 1000);
    }

    /** The last version of incident {@code id}, open until then, merged into {@code into}. */
    static Incident merged(String id, String into, long updatedAtOffsetSeconds) {
        return io.peregrine.flink.incident.functions.Incidents.merged(open(id, Severity.PAGE, 0), into,
                T.plusSeconds(updatedAtOffsetSeconds).toEpochMilli());
    }

    static Incident resolved(String id, long updatedAtOffsetSeconds) {
        Instant at = T.plusSeconds(updatedAtOffsetSeconds);
        return Incident.newBuilder(SampleRecords.incident()).setId(id).setStatus(IncidentStatus.RESOLVED)
                .setUpdatedAt(at).setResolvedAt(at).build();
    }
}
