package io.peregrine.flink.notify.functions;

import io.peregrine.flink.notify.pagerduty.PagerDutyEvents;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.Severity;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decides, per incident id, what PagerDuty must hear: one trigger when an open incident first pages
 * (severity PAGE and not silenced; a ticket that escalates, or a silence that ends, pages then),
 * and one resolve when an incident PagerDuty was told about resolves. Every other version (a new
 * member, a new root cause, flapping, a silence added after the page) sends nothing: PagerDuty
 * already has the incident open, and re-triggering would only repeat it. Keyed state: whether the
 * incident was triggered, cleared on resolve, so incidents that never paged hold nothing here.
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
        triggered = getRuntimeContext().getState(new ValueStateDescriptor<>("pagerduty-triggered", Boolean.class));
    }

    @Override
    public void processElement(Incident incident, Context ctx, Collector<PagerDutyEvent> out) throws Exception {
        boolean wasTriggered = triggered.value() != null;
        if (incident.getStatus() == IncidentStatus.OPEN) {
            boolean pages = incident.getSeverity() == Severity.PAGE && incident.getSilencedBy().isEmpty();
            if (pages && !wasTriggered) {
                out.collect(PagerDutyEvents.trigger(incident, routingKey));
                triggered.update(true);
            }
        } else if (incident.getStatus() == IncidentStatus.RESOLVED && wasTriggered) {
            out.collect(PagerDutyEvents.resolve(incident.getId(), routingKey));
            triggered.clear();
        }
    }
}
