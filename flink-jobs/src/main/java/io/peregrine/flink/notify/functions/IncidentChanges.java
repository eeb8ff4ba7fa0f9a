package io.peregrine.flink.notify.functions;

import io.peregrine.flink.incident.functions.Incidents;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decides, per incident (the key: its id), which versions a human must hear about: the first OPEN
 * version, an OPEN version whose severity or probable root cause changed, and the RESOLVED version
 * of an incident that was notified. Versions that change nothing a pager shows (a new evidence
 * line, a replayed version, a version older than the last one seen) pass silently, and so does a
 * silenced open version ({@code silenced_by} not empty): the first version after the silence ends
 * is heard as if new. Keyed state:
 * what was last notified, cleared on resolve; a TTL of {@link #OPEN_FOR_AT_MOST} catches incidents
 * whose resolve never comes.
 */
public final class IncidentChanges extends KeyedProcessFunction<String, Incident, IncidentNotice> {
    private static final long serialVersionUID = 1L;

    /** An incident open this long without any new version is forgotten (the TTL of its state). */
    static final Duration OPEN_FOR_AT_MOST = Duration.ofDays(14);

    private transient ValueState<String> notified;
    private transient ValueState<Long> lastUpdate;

    @Override
    public void open(OpenContext context) {
        StateTtlConfig ttl = StateTtlConfig.newBuilder(OPEN_FOR_AT_MOST)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        ValueStateDescriptor<String> n = new ValueStateDescriptor<>("notified", String.class);
        n.enableTimeToLive(ttl);
        ValueStateDescriptor<Long> u = new ValueStateDescriptor<>("last-update", Long.class);
        u.enableTimeToLive(ttl);
        notified = getRuntimeContext().getState(n);
        lastUpdate = getRuntimeContext().getState(u);
    }

    @Override
    public void processElement(Incident incident, Context ctx, Collector<IncidentNotice> out) throws Exception {
        Long last = lastUpdate.value();
        long at = incident.getUpdatedAt().toEpochMilli();
        if (last != null && at <= last) {
            return;
        }
        String before = notified.value();
        if (incident.getStatus() == IncidentStatus.RESOLVED) {
            if (before != null) {
                out.collect(new IncidentNotice(incident, NotifyAction.RESOLVE));
            }
            notified.clear();
            lastUpdate.clear();
            return;
        }
        if (incident.getStatus() != IncidentStatus.OPEN) {
            return;
        }
        lastUpdate.update(at);
        if (!Incidents.notifies(incident)) {
            return;
        }
        String now = shown(incident);
        if (!now.equals(before)) {
            out.collect(new IncidentNotice(incident, before == null ? NotifyAction.TRIGGER : NotifyAction.UPDATE));
            notified.update(now);
        }
    }

    /** What a pager shows of an open incident, compared between versions. */
    static String shown(Incident incident) {
        AppId root = incident.getRootCause();
        return incident.getSeverity().name() + '\u0000' + (root == null ? "" : root.getId());
    }
}
