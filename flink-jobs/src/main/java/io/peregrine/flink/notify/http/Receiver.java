package io.peregrine.flink.notify.http;

import java.io.Serializable;
import java.net.http.HttpRequest;
import java.time.Instant;

/**
 * A configured HTTP receiver of notifications (Slack, Opsgenie, a webhook): how hard to try it,
 * and how one attempt's request is made from a {@link HttpNotification}. The request is built per
 * attempt because some of it depends on the moment (a webhook's signature covers a timestamp that
 * the receiver checks against its replay window) and the secrets live here, not in the notification.
 */
public interface Receiver extends Serializable {

    /** The receiver's name, in logs, metrics and operator names. */
    String name();

    RetryPolicy retry();

    /** The request for one attempt at {@code now}; the sender adds the timeout. */
    HttpRequest.Builder request(HttpNotification notification, Instant now);
}
