package io.peregrine.flink.notify.http;

import io.peregrine.flink.notify.records.Delivery.Outcome;
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
 * Sends notifications to one {@link Receiver} without blocking the caller: each send is a future
 * that completes with the {@link Sent} outcome once the receiver accepted it, refused it for good,
 * or the deadline passed. The receiver only says how a request is made; the rules of retrying are
 * the same for every receiver, and are PagerDuty's (Alertmanager retries the same way):
 *
 * <ul>
 * <li>2xx is delivered.</li>
 * <li>5xx, 429 and no answer at all (connection refused, timeout) are retried. The wait doubles
 * from {@code backoff} up to {@code max_backoff}, with equal jitter (half fixed, half random) so
 * that many notifications failing together do not retry in lockstep; a 429's {@code Retry-After}
 * (seconds or an HTTP date) is honoured as given, even above {@code max_backoff}.</li>
 * <li>Any other 4xx means the request itself is wrong (bad key, revoked webhook, invalid body): it
 * is not retried and is {@link Outcome#REJECTED}, for the dead-letter topic.</li>
 * <li>Still failing when the next wait would pass {@code deadline}: {@link Outcome#GAVE_UP}.</li>
 * </ul>
 */
public final class HttpSender {

    private static final Logger log = LoggerFactory.getLogger(HttpSender.class);

    private final Receiver receiver;
    private final RetryPolicy policy;
    private final HttpClient http;

    public HttpSender(Receiver receiver) {
        this.receiver = receiver;
        this.policy = receiver.retry();
        this.http = HttpClient.newBuilder()
                .connectTimeout(policy.requestTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public CompletableFuture<Sent> send(HttpNotification n) {
        return attempt(n, 1, System.nanoTime() + policy.deadline().toNanos());
    }

    private CompletableFuture<Sent> attempt(HttpNotification n, int attempt, long deadlineNanos) {
        HttpRequest request;
        try {
            request = receiver.request(n, Instant.now()).timeout(policy.requestTimeout()).build();
        } catch (RuntimeException e) {
            // A request that cannot even be built (a bad path) will not build on a retry either.
            return CompletableFuture.completedFuture(new Sent(n, Outcome.REJECTED, attempt - 1, -1, "cannot build: " + e));
        }
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, error) -> decide(n, attempt, response, error))
                .thenCompose(d -> {
                    if (d.sent != null) {
                        return CompletableFuture.completedFuture(d.sent);
                    }
                    long left = deadlineNanos - System.nanoTime();
                    if (d.delay.toNanos() >= left) {
                        return CompletableFuture.completedFuture(new Sent(n, Outcome.GAVE_UP, attempt, d.status,
                                "gave up after " + attempt + " attempts within " + policy.deadline() + "; last: "
                                        + d.detail));
                    }
                    log.debug("{} {} {}: attempt {} failed ({}), retrying in {} ms", receiver.name(), n.action(), n.key(),
                            attempt, d.detail, d.delay.toMillis());
                    return CompletableFuture.supplyAsync(() -> null,
                                    CompletableFuture.delayedExecutor(d.delay.toMillis(), TimeUnit.MILLISECONDS))
                            .thenCompose(x -> attempt(n, attempt + 1, deadlineNanos));
                });
    }

    /** Either a final outcome, or how long to wait before the next attempt. */
    private record Decision(Sent sent, Duration delay, int status, String detail) {
    }

    private Decision decide(HttpNotification n, int attempt, HttpResponse<String> response, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(cause instanceof IOException)) {
                // Not a transport failure: a bug, not a reason to hammer the receiver.
                return new Decision(new Sent(n, Outcome.REJECTED, attempt, -1, "cannot send: " + cause), null, -1, null);
            }
            return new Decision(null, backoff(attempt), -1, "no answer: " + cause);
        }
        int status = response.statusCode();
        String body = abbreviate(response.body());
        if (status >= 200 && status < 300) {
            return new Decision(new Sent(n, Outcome.DELIVERED, attempt, status, body), null, status, null);
        }
        if (status == 429) {
            Duration wait = retryAfter(response.headers().firstValue("Retry-After").orElse(null), Instant.now())
                    .orElseGet(() -> backoff(attempt));
            return new Decision(null, wait, status, "HTTP 429 (rate limited): " + body);
        }
        if (status >= 500) {
            return new Decision(null, backoff(attempt), status, "HTTP " + status + ": " + body);
        }
        return new Decision(new Sent(n, Outcome.REJECTED, attempt, status, "HTTP " + status + ": " + body), null,
                status, null);
    }

    /** Exponential backoff with equal jitter: half of the capped wait fixed, half random. */
    public static Duration backoff(RetryPolicy policy, int attempt) {
        long base = policy.backoff().toMillis() << Math.min(attempt - 1, 30);
        long capped = Math.max(0, Math.min(policy.maxBackoff().toMillis(), base));
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    private Duration backoff(int attempt) {
        return backoff(policy, attempt);
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
