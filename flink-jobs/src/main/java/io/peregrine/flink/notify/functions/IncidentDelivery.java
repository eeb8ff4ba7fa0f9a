package io.peregrine.flink.notify.functions;

import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.Receiver;
import io.peregrine.flink.notify.http.Sent;
import io.peregrine.flink.notify.records.Delivery;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a receiver's notifications from Flink's async I/O operator, with {@link HttpSender}'s
 * retries: requests run off the task thread, so a slow or rate-limiting receiver never stalls the
 * job or its checkpoints, and the operator checkpoints what is still in flight and sends it again
 * after a restore (at least once; the receivers de-duplicate: Opsgenie by alias, webhooks by the
 * notification id header).
 *
 * <p>Order per incident: notifications with the same key are chained, each starting when the
 * previous one ended, so a resolve never overtakes the trigger it resolves while that trigger is
 * retried; different keys proceed independently. After a restore the operator re-submits
 * in-flight notifications in their original order, so the chain is rebuilt in order too.
 */
public final class IncidentDelivery extends RichAsyncFunction<HttpNotification, Sent> {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(IncidentDelivery.class);

    private final Receiver receiver;

    private transient HttpSender sender;
    private transient Map<String, CompletableFuture<Sent>> tails;
    private transient Counter delivered;
    private transient Counter failed;

    public IncidentDelivery(Receiver receiver) {
        this.receiver = receiver;
    }

    @Override
    public void open(OpenContext context) {
        sender = new HttpSender(receiver);
        tails = new ConcurrentHashMap<>();
        delivered = getRuntimeContext().getMetricGroup().counter("notificationsDelivered");
        failed = getRuntimeContext().getMetricGroup().counter("notificationsFailed");
    }

    @Override
    public void asyncInvoke(HttpNotification n, ResultFuture<Sent> result) {
        CompletableFuture<Sent> previous = tails.get(n.key());
        CompletableFuture<Sent> next = previous == null ? sender.send(n)
                : previous.handle((s, e) -> null).thenCompose(x -> sender.send(n));
        tails.put(n.key(), next);
        next.whenComplete((sent, error) -> {
            tails.remove(n.key(), next);
            if (error != null) {
                sent = new Sent(n, Delivery.Outcome.GAVE_UP, 0, -1, "delivery failed: " + error);
            }
            if (sent.delivered()) {
                delivered.inc();
            } else {
                failed.inc();
                log.warn("{} {} {} not delivered: {} after {} attempts: {}", receiver.name(), n.action(), n.key(),
                        sent.outcome(), sent.attempts(), sent.detail());
            }
            result.complete(List.of(sent));
        });
    }

    @Override
    public void timeout(HttpNotification n, ResultFuture<Sent> result) {
        // Only if the operator's timeout is shorter than the sender's deadline; NotifyWorkflow sets it longer.
        result.complete(List.of(new Sent(n, Delivery.Outcome.GAVE_UP, 0, -1, "async operator timeout")));
    }
}
