package io.peregrine.flink.notify;

import io.peregrine.flink.notify.functions.FailedDeliveries;
import io.peregrine.flink.notify.functions.PagerDutyDelivery;
import io.peregrine.flink.notify.functions.PagerDutyRouter;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Alert;
import io.peregrine.schema.DeadLetter;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Notification of alerts, as a pure builder on an alert stream of the same job (so a page leaves
 * as soon as the burn-rate function decides, without waiting for the alerts topic's transaction
 * to commit): PagerDuty today.
 *
 * <pre>
 * alerts ─▶ key by fingerprint ─▶ pagerduty-route ─▶ pagerduty-deliver (async) ─▶ failed ─▶ dead-letter sink
 * </pre>
 */
public final class NotifyWorkflow {

    private NotifyWorkflow() {
    }

    /** Adds PagerDuty delivery of {@code alerts}; undeliverable notifications go to {@code deadLetterSink}. */
    public static DataStream<Delivery> pagerDuty(DataStream<Alert> alerts, PagerDutyConfig config, String alertsTopic,
                                                 Sink<DeadLetter> deadLetterSink) {
        SingleOutputStreamOperator<PagerDutyEvent> events = alerts
                .keyBy(Alert::getFingerprint)
                .process(new PagerDutyRouter(config.routingKey()))
                .name("pagerduty-route").uid("notify-pagerduty-route");
        // The operator's timeout outlasts the client's own deadline, which ends every delivery first.
        long timeoutMs = config.deadline().plus(config.requestTimeout()).plusMinutes(1).toMillis();
        SingleOutputStreamOperator<Delivery> deliveries = AsyncDataStream
                .unorderedWait(events, new PagerDutyDelivery(config), timeoutMs, TimeUnit.MILLISECONDS, 1_000)
                .name("pagerduty-deliver").uid("notify-pagerduty-deliver");
        deliveries
                .flatMap(new FailedDeliveries(alertsTopic, "flink/notify/pagerduty"))
                .returns(new AvroTypeInfo<>(DeadLetter.class))
                .name("pagerduty-failed").uid("notify-pagerduty-failed")
                .sinkTo(deadLetterSink).name("pagerduty-dead-letter-sink").uid("notify-pagerduty-dead-letter-sink");
        return deliveries;
    }
}
