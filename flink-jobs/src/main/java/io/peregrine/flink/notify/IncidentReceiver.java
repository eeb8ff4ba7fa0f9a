package io.peregrine.flink.notify;

import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.http.Receiver;
import io.peregrine.schema.Incident;
import io.peregrine.flink.notify.records.IncidentNotice;
import java.util.List;

/**
 * A receiver of incident notifications: what it is told about one incident version (a trigger, an
 * update, a resolve), what it is told about a batch held back by its rate limit, and how fast it
 * may be told. The HTTP side (retries, secrets, signing) is {@link Receiver}'s.
 */
public interface IncidentReceiver extends Receiver {

    /** The request for one incident version that {@code IncidentChanges} chose to notify. */
    HttpNotification notification(Incident incident, NotifyAction action);

    /**
     * One request summarising incident versions held back by the rate limit: the latest version of
     * each incident, oldest first ({@code held} has at least two), out of {@code heldVersions}
     * versions held in all.
     */
    HttpNotification digest(List<IncidentNotice> held, long heldVersions);

    RateLimit rateLimit();

    /** What a notification tells about its incident. */
    enum NotifyAction {
        /** The incident opened. */
        TRIGGER,
        /** What pages changed while it is open: severity or probable root cause. */
        UPDATE,
        /** It resolved. */
        RESOLVE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
