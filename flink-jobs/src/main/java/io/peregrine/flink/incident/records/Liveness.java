package io.peregrine.flink.incident.records;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * When an open incident last heard of its alerts, in processing time, for {@code stale_after} and
 * the last call before {@code state_ttl}. A Flink POJO with explicit type information
 * ({@link #typeInfo}), one per open incident in the correlator's state.
 */
public class Liveness {

    /** When a member last changed (a signal was applied): its state was written, and its TTL restarted, then. */
    public long changedAt;
    /** When the latest evidence came: a member's signal, or a heartbeat of one of {@link #apps}. */
    public long seenAt;
    /** Ids of the members' applications, whose heartbeats count as evidence. */
    public List<String> apps = new ArrayList<>();

    public Liveness() {
    }

    public static Liveness of(long changedAt, long seenAt, List<String> apps) {
        Liveness l = new Liveness();
        l.changedAt = changedAt;
        l.seenAt = seenAt;
        l.apps = new ArrayList<>(apps);
        return l;
    }

    public static TypeInformation<Liveness> typeInfo() {
        Map<String, TypeInformation<?>> fields = new HashMap<>();
        fields.put("changedAt", Types.LONG);
        fields.put("seenAt", Types.LONG);
        fields.put("apps", Types.LIST(Types.STRING));
        return Types.POJO(Liveness.class, fields);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Liveness l && changedAt == l.changedAt && seenAt == l.seenAt && Objects.equals(apps, l.apps);
    }

    @Override
    public int hashCode() {
        return Objects.hash(changedAt, seenAt, apps);
    }

    @Override
    public String toString() {
        return "Liveness{changedAt=" + changedAt + ", seenAt=" + seenAt + ", apps=" + apps + '}';
    }
}
