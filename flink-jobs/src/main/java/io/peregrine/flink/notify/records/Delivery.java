package io.peregrine.flink.notify.records;

/**
 * How a notification ended.
 *
 * @param attempts requests made
 * @param httpStatus status of the last answer, -1 when none came
 * @param detail what happened last, for logs and the dead-letter topic
 */
public record Delivery(PagerDutyEvent event, Outcome outcome, int attempts, int httpStatus, String detail) {

    public enum Outcome {
        /** The receiver accepted it (2xx). */
        DELIVERED,
        /** The receiver refused it for good (4xx other than 429): retrying cannot help; to the DLQ. */
        REJECTED,
        /** Still failing (5xx, 429, no answer) when the delivery deadline passed; to the DLQ. */
        GAVE_UP
    }

    public boolean delivered() {
        return outcome == Outcome.DELIVERED;
    }
}
