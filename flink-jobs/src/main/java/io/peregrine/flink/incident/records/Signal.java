package io.peregrine.flink.incident.records;

import io.peregrine.schema.Alert;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * An alert after hysteresis and flap detection: what the incident stage should believe about one
 * fingerprint from event time {@link #at} on. {@link #firing} is the de-noised state, which may
 * differ from the latest raw version's status (an alert held open while it flaps, or a resolve not
 * yet confirmed). A Flink POJO with explicit type information ({@link #typeInfo}).
 */
public class Signal {

    /** The latest raw version of the alert (labels, severity, summary, start and end). */
    public Alert alert;
    /** True while the alert counts as firing. */
    public boolean firing;
    /** True while it toggles more often than the flap limit, and is held open for that reason. */
    public boolean flapping;
    /** Event time (ms) from which this holds. */
    public long at;

    public Signal() {
    }

    public static Signal of(Alert alert, boolean firing, boolean flapping, long at) {
        Signal s = new Signal();
        s.alert = alert;
        s.firing = firing;
        s.flapping = flapping;
        s.at = at;
        return s;
    }

    public String fingerprint() {
        return alert.getFingerprint();
    }

    public String appId() {
        return alert.getApp().getId();
    }

    public static TypeInformation<Signal> typeInfo() {
        Map<String, TypeInformation<?>> fields = new HashMap<>();
        fields.put("alert", new AvroTypeInfo<>(Alert.class));
        fields.put("firing", Types.BOOLEAN);
        fields.put("flapping", Types.BOOLEAN);
        fields.put("at", Types.LONG);
        return Types.POJO(Signal.class, fields);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Signal s && firing == s.firing && flapping == s.flapping && at == s.at
                && Objects.equals(alert, s.alert);
    }

    @Override
    public int hashCode() {
        return Objects.hash(alert, firing, flapping, at);
    }

    @Override
    public String toString() {
        return "Signal{" + (alert == null ? null : alert.getApp().getId() + " " + alert.getKind()) + ", firing=" + firing
                + ", flapping=" + flapping + ", at=" + at + '}';
    }
}
