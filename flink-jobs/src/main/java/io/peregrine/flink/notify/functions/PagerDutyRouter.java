package io.peregrine.flink.notify.functions;

import io.peregrine.flink.notify.pagerduty.PagerDutyEvents;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.Severity;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decides, per alert fingerprint, what PagerDuty must hear: a trigger when an alert starts firing
 * at PAGE severity (or escalates to it), a resolve when an alert PagerDuty was told about resolves
 * or calms down to a ticket. Other versions (tickets, a tier change within a page, a repeated
 * version after a replay) send nothing. Keyed state: the start of the episode PagerDuty has open,
 * cleared on resolve, so an application's quiet alerts hold no state here.
 */
public final class PagerDutyRouter extends KeyedProcessFunction<String, Alert, PagerDutyEvent> {
    private static final long serialVersionUID = 1L;

    private final String routingKey;
    private transient ValueState<Long> openEpisode;

    public PagerDutyRouter(String routingKey) {
        this.routingKey = routingKey;
    }

    @Override
    public void open(OpenContext context) {
        openEpisode = getRuntimeContext().getState(new ValueStateDescriptor<>("pagerduty-open-episode", Long.class));
    }

    @Override
    public void processElement(Alert alert, Context ctx, Collector<PagerDutyEvent> out) throws Exception {
        Long open = openEpisode.value();
        long episode = alert.getStartsAt().toEpochMilli();
        boolean pages = alert.getStatus() == AlertStatus.FIRING && alert.getSeverity() == Severity.PAGE;
        if (pages) {
            if (open != null && open == episode) {
                return;
            }
            if (open != null) {
                // A new episode while PagerDuty still has an old one open: its resolve was never
                // seen (it cannot be, versions are ordered), but do not leave it open regardless.
                out.collect(PagerDutyEvents.resolve(alert.getFingerprint(), open, routingKey));
            }
            out.collect(PagerDutyEvents.trigger(alert, routingKey));
            openEpisode.update(episode);
        } else if (open != null && alert.getStatus() != AlertStatus.UNKNOWN) {
            out.collect(PagerDutyEvents.resolve(alert.getFingerprint(), open, routingKey));
            openEpisode.clear();
        }
    }
}
