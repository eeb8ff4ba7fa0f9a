package io.peregrine.flink.notify.pagerduty;

import io.peregrine.flink.notify.records.Delivery;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends PagerDuty Events API v2 requests, without blocking the caller: each send is a future that
 * completes with the {@link Delivery} outcome once the receiver accepted it, refused it for good,
 * or the deadline passed.
 *
 * <p>What is retried (as Alertmanager's PagerDuty integration does): 5xx, 429 and no answer at
 * all (connection refused, timeout). The wait doubles from {@code backoff} up to
 * {@code max_backoff}, with jitter (half fixed, half random) so that many alerts failing together
 * do not retry in lockstep; a 429's {@code Retry-After} (seconds or an HTTP date) is honoured as
 * given. Any other 4xx means the request itself is wrong (bad routing key, invalid event): it is
 * not retried and the delivery is {@link Delivery.Outcome#REJECTED}, for the dead-letter topic.
 */
public final class PagerDutyClient {

    private static final Logger log = LoggerFactory.getLogger(PagerDutyClient.class);

    private final PagerDutyConfig config;
    private final HttpClient http;

    public PagerDutyClient(PagerDutyConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public CompletableFuture<Delivery> send(PagerDutyEvent event) {
        return attempt(event, 1, System.nanoTime() + config.deadline().toNanos());
    }

    private CompletableFuture<Delivery> attempt(PagerDutyEvent event, int n, long deadlineNanos) {
        HttpRequest request = HttpRequest.newBuilder(config.url())
                .timeout(config.requestTimeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(event.body(), StandardCharsets.UTF_8))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, error) -> decide(event, n, response, error))
                .thenCompose(d -> {
                    if (d.delivery != null) {
                        return CompletableFuture.completedFuture(d.delivery);
                    }
                    long left = deadlineNanos - System.nanoTime();
                    if (d.delay.toNanos() >= left) {
                        return CompletableFuture.completedFuture(new Delivery(event, Delivery.Outcome.GAVE_UP, n,
                                d.status, "gave up after " + n + " attempts within " + config.deadline()
                                + "; last: " + d.detail));
                    }
                    log.debug("pagerduty {} {}: attempt {} failed ({}), retrying in {} ms", event.action(),
                            event.dedupKey(), n, d.detail, d.delay.toMillis());
                    return CompletableFuture.supplyAsync(() -> null,
                                    CompletableFuture.delayedExecutor(d.delay.toMillis(), TimeUnit.MILLISECONDS))
                            .thenCompose(x -> attempt(event, n + 1, deadlineNanos));
                });
    }

    /** Either a final delivery, or how long to wait before the next attempt. */
    private record Decision(Delivery delivery, Duration delay, int status, String detail) {
    }

    private Decision decide(PagerDutyEvent event, int n, HttpResponse<String> response, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(cause instanceof IOException)) {
                // Not a transport failure: a bug, not a reason to hammer the receiver.
                return new Decision(new Delivery(event, Delivery.Outcome.REJECTED, n, -1, "cannot send: " + cause), null,
                        -1, null);
            }
            return new Decision(null, backoff(n), -1, "no answer: " + cause);
        }
        int status = response.statusCode();
        String body = abbreviate(response.body());
        if (status >= 200 && status < 300) {
            return new Decision(new Delivery(event, Delivery.Outcome.DELIVERED, n, status, body), null, status, null);
        }
        if (status == 429) {
            Duration wait = retryAfter(response.headers().firstValue("Retry-After").orElse(null), Instant.now())
                    .orElseGet(() -> backoff(n));
            return new Decision(null, wait, status, "HTTP 429 (rate limited): " + body);
        }
        if (status >= 500) {
            return new Decision(null, backoff(n), status, "HTTP " + status + ": " + body);
        }
        return new Decision(new Delivery(event, Delivery.Outcome.REJECTED, n, status, "HTTP " + status + ": " + body),
                null, status, null);
    }

    /** Exponential backoff with equal jitter: half of the capped wait fixed, half random. */
    Duration backoff(int attempt) {
        long base = config.backoff().toMillis() << Math.min(attempt - 1, 30);
        long capped = Math.max(0, Math.min(config.maxBackoff().toMillis(), base));
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    /** A {@code Retry-After} value: delay in seconds, or an HTTP date; empty when absent or unreadable. */
    public static Optional<Duration> retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(now, at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
