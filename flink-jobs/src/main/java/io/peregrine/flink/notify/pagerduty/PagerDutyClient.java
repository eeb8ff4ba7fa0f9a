package io.peregrine.flink.notify.pagerduty;

import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.HttpSender;
import io.peregrine.flink.notify.http.Receiver;
import io.peregrine.flink.notify.http.RetryPolicy;
import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Sends PagerDuty Events API v2 requests, without blocking the caller: each send is a future that
 * completes with the {@link Delivery} outcome once the receiver accepted it, refused it for good,
 * or the deadline passed.
 *
 * <p>The retry rules are every receiver's, in {@link HttpSender} (as Alertmanager's PagerDuty
 * integration does): 5xx, 429 and no answer at all (connection refused, timeout) are retried, the
 * wait doubling from {@code backoff} up to {@code max_backoff} with jitter; a 429's
 * {@code Retry-After} (seconds or an HTTP date) is honoured as given. Any other 4xx means the
 * request itself is wrong (bad routing key, invalid event): it is not retried and the delivery is
 * {@link Delivery.Outcome#REJECTED}, for the dead-letter topic. This class only says how a
 * PagerDuty request is made.
 */
public final class PagerDutyClient {

    private final HttpSender sender;

    public PagerDutyClient(PagerDutyConfig config) {
        this.sender = new HttpSender(new EventsApi(config));
    }

    public CompletableFuture<Delivery> send(PagerDutyEvent event) {
        HttpNotification n = new HttpNotification("pagerduty", event.fingerprint(), event.dedupKey() + ":"
                + event.action(), event.action(), "", event.body());
        return sender.send(n).thenApply(s -> new Delivery(event, s.outcome(), s.attempts(), s.httpStatus(), s.detail()));
    }

    /** A {@code Retry-After} value: delay in seconds, or an HTTP date; empty when absent or unreadable. */
    public static Optional<Duration> retryAfter(String value, Instant now) {
        return HttpSender.retryAfter(value, now);
    }

    /** PagerDuty's Events API as an HTTP receiver: the body already holds the routing key. */
    private record EventsApi(PagerDutyConfig config) implements Receiver {

        @Override
        public String name() {
            return "pagerduty";
        }

        @Override
        public RetryPolicy retry() {
            return new RetryPolicy("notify.pagerduty", config.requestTimeout(), config.backoff(), config.maxBackoff(),
                    config.deadline());
        }

        @Override
        public HttpRequest.Builder request(HttpNotification n, Instant now) {
            return HttpRequest.newBuilder(config.url())
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(n.body(), StandardCharsets.UTF_8));
        }
    }
}
