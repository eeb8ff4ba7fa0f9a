package io.peregrine.flink.incident.records;

import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.Silence;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * One change of the incident stage's slowly changing inputs, both compacted topics: an edge of the
 * service map ({@code peregrine.topology}) or a silence ({@code peregrine.silences}), or the
 * tombstone that deletes one (value null); or a heartbeat of an application. They share one input
 * of the correlator, which has only two. A Flink POJO with explicit type information ({@link #typeInfo}).
 */
public class Control {

    /** HEARTBEAT: an application still reports SLI windows ({@code AppHeartbeats}), evidence its incidents are not stale. */
    public enum Kind { EDGE, SILENCE, HEARTBEAT }

    public Kind kind;
    /** The record key: {@code client->server} for an edge, the silence id for a silence, the app id for a heartbeat. */
    public String key;
    /** The edge, for EDGE; null for its tombstone and for SILENCE. */
    public ServiceEdge edge;
    /** The silence, for SILENCE; null for its tombstone and for EDGE. */
    public Silence silence;

    public Control() {
    }

    public static Control edge(String key, ServiceEdge edge) {
        Control c = new Control();
        c.kind = Kind.EDGE;
        c.key = key;
        c.edge = edge;
        return c;
    }

    public static Control silence(String key, Silence silence) {
        Control c = new Control();
        c.kind = Kind.SILENCE;
        c.key = key;
        c.silence = silence;
        return c;
    }

    /** That the application {@code appId} reported an SLI window. */
    public static Control heartbeat(String appId) {
        Control c = new Control();
        c.kind = Kind.HEARTBEAT;
        c.key = appId;
        return c;
    }

    public boolean isTombstone() {
        return kind != Kind.HEARTBEAT && edge == null && silence == null;
    }

    public static TypeInformation<Control> typeInfo() {
        Map<String, TypeInformation<?>> fields = new HashMap<>();
        fields.put("kind", Types.ENUM(Kind.class));
        fields.put("key", Types.STRING);
        fields.put("edge", new AvroTypeInfo<>(ServiceEdge.class));
        fields.put("silence", new AvroTypeInfo<>(Silence.class));
        return Types.POJO(Control.class, fields);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Control c && kind == c.kind && Objects.equals(key, c.key) && Objects.equals(edge, c.edge)
                && Objects.equals(silence, c.silence);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, key, edge, silence);
    }

    @Override
    public String toString() {
        return "Control{" + kind + " " + key + (isTombstone() ? " tombstone" : "") + '}';
    }
}
