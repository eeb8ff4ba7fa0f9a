package io.peregrine.flink.notify.records;

/**
 * One PagerDuty Events API v2 request to make: a trigger or a resolve of the incident
 * {@code dedupKey}, with its JSON body ready to send (so a retry, or a re-send after a restore,
 * sends the same bytes).
 *
 * @param fingerprint the incident id, the key deliveries are ordered by
 * @param dedupKey the incident id: one PagerDuty alert per incident
 * @param action {@code trigger} or {@code resolve}
 * @param body the request body (JSON)
 */
public record PagerDutyEvent(String fingerprint, String dedupKey, String action, String body) {
}
