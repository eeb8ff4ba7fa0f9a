package io.peregrine.flink.notify.records;

/**
 * One PagerDuty Events API v2 request to make: a trigger or a resolve of the alert episode
 * {@code dedupKey}, with its JSON body ready to send (so a retry, or a re-send after a restore,
 * sends the same bytes).
 *
 * @param fingerprint the alert's fingerprint, the key deliveries are ordered by
 * @param dedupKey {@code <fingerprint>:<starts_at ms>}: one PagerDuty alert per alert episode
 * @param action {@code trigger} or {@code resolve}
 * @param body the request body (JSON)
 */
public record PagerDutyEvent(String fingerprint, String dedupKey, String action, String body) {
}
