package io.peregrine.flink.notify.http;

import io.peregrine.flink.notify.records.Delivery;

/**
 * How a notification ended (the outcomes are PagerDuty's {@link Delivery.Outcome}: the same rules).
 *
 * @param attempts requests made
 * @param httpStatus status of the last answer, -1 when none came
 * @param detail what happened last, for logs and the dead-letter topic
 */
public record Sent(HttpNotification notification, Delivery.Outcome outcome, int attempts, int httpStatus,
                   String detail) {

    public boolean delivered() {
        return outcome == Delivery.Outcome.DELIVERED;
    }
}
