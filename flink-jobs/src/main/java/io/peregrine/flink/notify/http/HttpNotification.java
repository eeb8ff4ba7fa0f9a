package io.peregrine.flink.notify.http;

/**
 * One HTTP request a receiver must get, ready to send: the same bytes on every retry and after a
 * restore from a checkpoint. It holds no secret (API keys, signing keys and secret URLs are added
 * per attempt from the receiver's configuration), so checkpoints and dead letters never carry one.
 *
 * @param receiver the receiver's name, e.g. {@code slack}, {@code webhook/ops}
 * @param key what deliveries are ordered by (the incident id): a resolve never overtakes its trigger
 * @param id stable identity of this notification, for the receiver's de-duplication
 * @param action {@code trigger}, {@code update}, {@code resolve} or {@code digest}
 * @param path appended to the receiver's base URL ({@code ""} for the URL itself)
 * @param body the request body (JSON)
 */
public record HttpNotification(String receiver, String key, String id, String action, String path, String body) {
}
