package io.peregrine.flink.notify.http;

import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.Durations;
import java.io.Serializable;
import java.time.Duration;

/**
 * How hard a receiver is tried: each request may take {@code requestTimeout}; a failed one is
 * retried after a wait that starts at {@code backoff} and doubles up to {@code maxBackoff} (with
 * jitter); after {@code deadline} a still failing notification is given up (to the dead-letter
 * topic).
 *
 * @param path the configuration key of the receiver, for errors ({@code notify.slack})
 */
public record RetryPolicy(String path, Duration requestTimeout, Duration backoff, Duration maxBackoff,
                          Duration deadline) implements Serializable {

    public RetryPolicy {
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new ConfigException(path + ".request_timeout", Durations.format(requestTimeout), "must be positive");
        }
        if (backoff.isNegative()) {
            throw new ConfigException(path + ".backoff", Durations.format(backoff), "must not be negative");
        }
        if (maxBackoff.compareTo(backoff) < 0) {
            throw new ConfigException(path + ".max_backoff", Durations.format(maxBackoff),
                    "must be at least backoff (" + Durations.format(backoff) + ")");
        }
        if (deadline.compareTo(requestTimeout) < 0) {
            throw new ConfigException(path + ".deadline", Durations.format(deadline),
                    "must be at least request_timeout (" + Durations.format(requestTimeout) + ")");
        }
    }

    /** The defaults: 10 s per request, 1 s doubling to 60 s, give up after 10 minutes. */
    public static RetryPolicy defaults(String path) {
        return new RetryPolicy(path, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(60),
                Duration.ofMinutes(10));
    }

    /** How long Flink's async operator may hold one notification: past the sender's own deadline. */
    public Duration operatorTimeout() {
        return deadline.plus(requestTimeout).plusMinutes(1);
    }
}
