package io.peregrine.flink.notify.functions;

import io.peregrine.flink.notify.pagerduty.PagerDutyClient;
import io.peregrine.flink.notify.pagerduty.PagerDutyConfig;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.PagerDutyEvent;
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
 * Delivers PagerDuty events from Flink's async I/O operator: requests and their retries run off the
 * task thread, so a slow or rate-limiting receiver never stalls the job or its checkpoints, and the
 * operator checkpoints what is still in flight and sends it again after a restore (at least once;
 * PagerDuty's dedup_key makes a repeated trigger or resolve harmless).
 *
 * <p>Order per alert: a resolve must never overtake the trigger it resolves, even while that
 * trigger is being retried. Deliveries of one fingerprint are chained, each starting when the
 * previous one ended; different fingerprints proceed independently. After a restore the operator
 * re-submits in-flight events in their original order, so the chain is rebuilt in order too.
 */
public final class PagerDutyDelivery extends RichAsyncFunction<PagerDutyEvent, Delivery> {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(PagerDutyDelivery.class);

    private final PagerDutyConfig config;

    private transient PagerDutyClient client;
    private transient Map<String, CompletableFuture<Delivery>> tails;
    private transient Counter delivered;
    private transient Counter failed;

    public PagerDutyDelivery(PagerDutyConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext context) {
        client = new PagerDutyClient(config);
        tails = new ConcurrentHashMap<>();
        delivered = getRuntimeContext().getMetricGroup().counter("pagerdutyDelivered");
        failed = getRuntimeContext().getMetricGroup().counter("pagerdutyFailed");
    }

    @Override
    public void asyncInvoke(PagerDutyEvent event, ResultFuture<Delivery> result) {
        CompletableFuture<Delivery> previous = tails.get(event.fingerprint());
        CompletableFuture<Delivery> next = previous == null ? client.send(event)
                : previous.handle((d, e) -> null).thenCompose(x -> client.send(event));
        tails.put(event.fingerprint(), next);
        next.whenComplete((delivery, error) -> {
            tails.remove(event.fingerprint(), next);
            if (error != null) {
                delivery = new Delivery(event, Delivery.Outcome.GAVE_UP, 0, -1, "delivery failed: " + error);
            }
            if (delivery.delivered()) {
                delivered.inc();
            } else {
                failed.inc();
                log.warn("pagerduty {} {} not delivered: {} after {} attempts: {}", event.action(), event.dedupKey(),
                        delivery.outcome(), delivery.attempts(), delivery.detail());
            }
            result.complete(List.of(delivery));
        });
    }

    @Override
    public void timeout(PagerDutyEvent event, ResultFuture<Delivery> result) {
        // Only if the operator's timeout is shorter than the client's deadline; FlinkJobs sets it longer.
        result.complete(List.of(new Delivery(event, Delivery.Outcome.GAVE_UP, 0, -1, "async operator timeout")));
    }
}
