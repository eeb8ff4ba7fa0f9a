package io.peregrine.flink.notify;

import io.peregrine.flink.BufferTimeouts;
import io.peregrine.flink.notify.functions.FailedDeliveries;
import io.peregrine.flink.notify.functions.FailedNotifications;
import io.peregrine.flink.notify.functions.IncidentChanges;
import io.peregrine.flink.notify.functions.IncidentDelivery;
import io.peregrine.flink.notify.functions.RateLimitedRequests;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.opsgenie.OpsgenieConfig;
import io.peregrine.flink.notify.opsgenie.OpsgenieReceiver;
import io.peregrine.flink.notify.slack.SlackConfig;
import io.peregrine.flink.notify.slack.SlackReceiver;
import io.peregrine.flink.notify.webhook.WebhookConfig;
import io.peregrine.flink.notify.webhook.WebhookReceiver;
import io.peregrine.flink.notify.functions.PagerDutyDelivery;
import io.peregrine.flink.notify.functions.PagerDutyRouter;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.Incident;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Notification of incidents, as pure builders on an incident stream of the same job (so a page
 * leaves as soon as the incident stage decides, without waiting for the incidents topic's
 * transaction to commit): PagerDuty, Slack, Opsgenie and signed webhooks.
 *
 * <pre>
 * incidents ─▶ key by id ─▶ pagerduty-route ─▶ pagerduty-deliver (async) ─▶ failed ─▶ dead-letter sink
 * incidents ─▶ key by id ─▶ &lt;r&gt;-changes ─▶ key by receiver ─▶ &lt;r&gt;-rate-limit ─▶ &lt;r&gt;-deliver (async) ─▶ &lt;r&gt;-failed ─▶ dead-letter sink
 * </pre>
 *
 * Every incident receiver has the same delivery guarantees: a notice per change a human must hear
 * ({@link IncidentChanges}), a token bucket that summarises instead of dropping
 * ({@link RateLimitedRequests}), retries with backoff and jitter, 429 and Retry-After honoured, other
 * 4xx to the dead-letter topic ({@link HttpSender}), in-flight requests checkpointed
 * ({@link IncidentDelivery}).
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
                .name("pagerduty-route").uid("notify-pagerduty-route")
                .setBufferTimeout(BufferTimeouts.ALERTS_MS);
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

    /** Adds Slack delivery of {@code incidents}; undeliverable notifications go to {@code deadLetterSink}. */
    public static DataStream<Sent> slack(DataStream<Incident> incidents, SlackConfig config, String incidentsTopic,
                                         Sink<DeadLetter> deadLetterSink) {
        return incidents(incidents, new SlackReceiver(config), incidentsTopic, deadLetterSink);
    }

    /** Adds Opsgenie delivery of {@code incidents}; undeliverable notifications go to {@code deadLetterSink}. */
    public static DataStream<Sent> opsgenie(DataStream<Incident> incidents, OpsgenieConfig config, String incidentsTopic,
                                            Sink<DeadLetter> deadLetterSink) {
        return incidents(incidents, new OpsgenieReceiver(config), incidentsTopic, deadLetterSink);
    }

    /** Adds delivery of {@code incidents} to a signed webhook; undeliverable notifications go to {@code deadLetterSink}. */
    public static DataStream<Sent> webhook(DataStream<Incident> incidents, WebhookConfig config, String incidentsTopic,
                                           Sink<DeadLetter> deadLetterSink) {
        return incidents(incidents, new WebhookReceiver(config), incidentsTopic, deadLetterSink);
    }

    /** Adds delivery of {@code incidents} to every receiver {@code config} names; their outcomes, as one stream. */
    public static Optional<DataStream<Sent>> incidents(DataStream<Incident> incidents, NotifyConfig config,
                                                       String incidentsTopic, Sink<DeadLetter> deadLetterSink) {
        DataStream<Sent> all = null;
        for (IncidentReceiver r : config.receivers()) {
            DataStream<Sent> sent = incidents(incidents, r, incidentsTopic, deadLetterSink);
            all = all == null ? sent : all.union(sent);
        }
        return Optional.ofNullable(all);
    }

    /** The incident pipeline for one receiver; operator uids start with {@code notify-<receiver>-}. */
    public static DataStream<Sent> incidents(DataStream<Incident> incidents, IncidentReceiver receiver,
                                             String incidentsTopic, Sink<DeadLetter> deadLetterSink) {
        String name = receiver.name().replace('/', '-');
        String uid = "notify-" + name;
        SingleOutputStreamOperator<HttpNotification> requests = incidents
                .keyBy(Incident::getId)
                .process(new IncidentChanges())
                .name(name + "-changes").uid(uid + "-changes")
                .setBufferTimeout(BufferTimeouts.ALERTS_MS)
                .keyBy(n -> receiver.name())
                .process(new RateLimitedRequests(receiver))
                .name(name + "-rate-limit").uid(uid + "-rate-limit");
        SingleOutputStreamOperator<Sent> sent = AsyncDataStream
                .unorderedWait(requests, new IncidentDelivery(receiver), receiver.retry().operatorTimeout().toMillis(),
                        TimeUnit.MILLISECONDS, 1_000)
                .name(name + "-deliver").uid(uid + "-deliver");
        sent.flatMap(new FailedNotifications(incidentsTopic, "flink/notify/" + receiver.name()))
                .returns(new AvroTypeInfo<>(DeadLetter.class))
                .name(name + "-failed").uid(uid + "-failed")
                .sinkTo(deadLetterSink).name(name + "-dead-letter-sink").uid(uid + "-dead-letter-sink");
        return sent;
    }
}
