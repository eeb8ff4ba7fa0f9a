package io.peregrine.flink.notify.records;

import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.schema.Incident;

/** An incident version that receivers must hear about, and what it tells them. */
public record IncidentNotice(Incident incident, NotifyAction action) {
}
