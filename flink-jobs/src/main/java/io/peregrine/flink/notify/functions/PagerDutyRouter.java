package io.peregrine.flink.notify.functions;

import io.peregrine.flink.incident.functions.Incidents;
import io.peregrine.flink.notify.pagerduty.PagerDutyEvents;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decides, per incident id, what PagerDuty must hear: one trigger when an open incident first pages
 * (severity PAGE and not silenced; a ticket that escalates, or a silence that ends, pages then),
 * and one resolve when an incident PagerDuty was told about resolves. Every other version (a new
 * member, a new root cause, flapping, a silence added after the page) sends nothing: PagerDuty
 * already has the incident open, and re-triggering would only repeat it. An incident merged into
 * another ends with a RESOLVED version, so its page is resolved; the one it went into keeps its own
 * (PagerDuty's resolve carries no text: the merge is in the incident's last version). Keyed state:
 * whether the incident was triggered, cleared on resolve, so incidents that never paged hold
 * nothing here; a TTL of {@link IncidentChanges#OPEN_FOR_AT_MOST} without any version catches
 * incidents whose resolve never comes.
 */
public final class PagerDutyRouter extends KeyedProcessFunction<String, Incident, PagerDutyEvent> {
    private static final long serialVersionUID = 1L;

    private final String routingKey;
    private transient ValueState<Boolean> triggered;

    public PagerDutyRouter(String routingKey) {
        this.routingKey = routingKey;
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<Boolean> t = new ValueStateDescriptor<>("pagerduty-triggered", Boolean.class);
        // Refreshed by every version of the incident: only one that stops changing for this long
        // (its resolve never came, see IncidentCorrelator's state_ttl) is forgotten.
        t.enableTimeToLive(StateTtlConfig.newBuilder(IncidentChanges.OPEN_FOR_AT_MOST)
                .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        triggered = getRuntimeContext().getState(t);
    }

    @Override
    public void processElement(Incident incident, Context ctx, Collector<PagerDutyEvent> out) throws Exception {
        boolean wasTriggered = triggered.value() != null;
        if (incident.getStatus() == IncidentStatus.OPEN) {
            if (Incidents.pages(incident) && !wasTriggered) {
                out.collect(PagerDutyEvents.trigger(incident, routingKey));
                triggered.update(true);
            }
        } else if (incident.getStatus() == IncidentStatus.RESOLVED && wasTriggered) {
            out.collect(PagerDutyEvents.resolve(incident.getId(), routingKey));
            triggered.clear();
        }
    }
}
