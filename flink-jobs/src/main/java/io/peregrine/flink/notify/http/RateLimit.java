package io.peregrine.flink.notify.http;

import io.peregrine.flink.config.ConfigException;
import java.io.Serializable;

/**
 * A token bucket per receiver: {@code burst} notifications at once, refilled at {@code perMinute}.
 * What arrives while the bucket is empty is held and, when the next token comes, sent as one
 * summary (a digest) instead of being dropped: a storm of incidents reaches the channel as a few
 * messages that list it, not as a hundred pages, nor as silence.
 */
public record RateLimit(double perMinute, int burst) implements Serializable {

    public RateLimit {
        if (!(perMinute > 0) || Double.isInfinite(perMinute)) {
            throw new ConfigException("rate_limit.per_minute", perMinute, "must be a positive number");
        }
        if (burst < 1) {
            throw new ConfigException("rate_limit.burst", burst, "must be at least 1");
        }
    }

    /** 60 a minute with bursts of 20: Slack's documented 1 message/s with short bursts, and well within Opsgenie's. */
    public static RateLimit defaults() {
        return new RateLimit(60, 20);
    }

    /** Milliseconds it takes to earn one token. */
    public double msPerToken() {
        return 60_000.0 / perMinute;
    }
}
