package io.peregrine.flink.incident;

import io.peregrine.flink.incident.records.Control;
import io.peregrine.flink.incident.records.Signal;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.AppId;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.Severity;
import io.peregrine.schema.Silence;
import io.peregrine.schema.SilenceMatcher;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Alerts, signals, edges and silences for incident tests, built from the schema module's samples. */
public final class Fixtures {

    public static final Instant T0 = Instant.parse("2025-06-02T10:00:00Z");

    private Fixtures() {
    }

    public static AppId app(String name) {
        return AppId.newBuilder(SampleRecords.checkoutApp()).setId("k8s/shop/" + name).setName(name).build();
    }

    public static long at(int seconds) {
        return T0.plusSeconds(seconds).toEpochMilli();
    }

    /** A version of the availability alert of {@code app}, started at {@code startS}, written at {@code atS}. */
    public static Alert alert(String app, AlertStatus status, int startS, int atS) {
        Alert a = Alert.newBuilder(SampleRecords.alert())
                .setFingerprint("fp-" + app)
                .setApp(app(app))
                .setStatus(status)
                .setSeverity(Severity.PAGE)
                .setSummary(app + ": availability SLO burning 20x")
                .setLabels(Map.of("app", app(app).getId(), "slo", "availability", "severity", "page"))
                .setStartsAt(Instant.ofEpochMilli(at(startS)))
                .setUpdatedAt(Instant.ofEpochMilli(at(atS)))
                .setEndsAt(status == AlertStatus.RESOLVED ? Instant.ofEpochMilli(at(atS)) : null)
                .build();
        return a;
    }

    public static Signal firing(String app, int startS) {
        return Signal.of(alert(app, AlertStatus.FIRING, startS, startS), true, false, at(startS));
    }

    public static Signal resolved(String app, int startS, int atS) {
        return Signal.of(alert(app, AlertStatus.RESOLVED, startS, atS), false, false, at(atS));
    }

    public static Control edge(String client, String server) {
        ServiceEdge e = ServiceEdge.newBuilder(SampleRecords.serviceEdge()).setClient(app(client)).setServer(app(server))
                .build();
        return Control.edge(app(client).getId() + "->" + app(server).getId(), e);
    }

    public static Control noEdge(String client, String server) {
        return Control.edge(app(client).getId() + "->" + app(server).getId(), null);
    }

    public static Control silence(String id, String label, String value, boolean regex, int startS, int endS) {
        Silence s = Silence.newBuilder(SampleRecords.silence())
                .setId(id)
                .setMatchers(List.of(SilenceMatcher.newBuilder().setName(label).setValue(value).setIsRegex(regex)
                        .setIsEqual(true).build()))
                .setStartsAt(Instant.ofEpochMilli(at(startS)))
                .setEndsAt(Instant.ofEpochMilli(at(endS)))
                .build();
        return Control.silence(id, s);
    }
}
