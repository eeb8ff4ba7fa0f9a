package io.peregrine.flink.notify;

import io.peregrine.flink.notify.functions.FailedDeliveries;
import io.peregrine.flink.notify.functions.PagerDutyDelivery;
import io.peregrine.flink.notify.functions.PagerDutyRouter;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.Incident;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Notification of incidents, as a pure builder on an incident stream of the same job (so a page leaves
 * as soon as the incident stage decides, without waiting for the incidents topic's transaction
 * to commit): PagerDuty today.
 *
 * <pre>
 * incidents ─▶ key by id ─▶ pagerduty-route ─▶ pagerduty-deliver (async) ─▶ failed ─▶ dead-letter sink
 * </pre>
 */
public final class NotifyWorkflow {

    private NotifyWorkflow() {
    }

    /**
     * Adds PagerDuty delivery of {@code incidents} (trigger and resolve, dedup_key = incident id);
     * undeliverable notifications go to {@code deadLetterSink}, naming {@code incidentsTopic}.
     */
    public static DataStream<Delivery> pagerDuty(DataStream<Incident> incidents, PagerDutyConfig config,
                                                 String incidentsTopic, Sink<DeadLetter> deadLetterSink) {
        SingleOutputStreamOperator<PagerDutyEvent> events = incidents
                .keyBy(Incident::getId)
                .process(new PagerDutyRouter(config.routingKey()))
                .name("pagerduty-route").uid("notify-pagerduty-route");
        // The operator's timeout outlasts the client's own deadline, which ends every delivery first.
        long timeoutMs = config.deadline().plus(config.requestTimeout()).plusMinutes(1).toMillis();
        SingleOutputStreamOperator<Delivery> deliveries = AsyncDataStream
                .unorderedWait(events, new PagerDutyDelivery(config), timeoutMs, TimeUnit.MILLISECONDS, 1_000)
                .name("pagerduty-deliver").uid("notify-pagerduty-deliver");
        deliveries
                .flatMap(new FailedDeliveries(incidentsTopic, "flink/notify/pagerduty"))
                .returns(new AvroTypeInfo<>(DeadLetter.class))
                .name("pagerduty-failed").uid("notify-pagerduty-failed")
                .sinkTo(deadLetterSink).name("pagerduty-dead-letter-sink").uid("notify-pagerduty-dead-letter-sink");
        return deliveries;
    }
}
