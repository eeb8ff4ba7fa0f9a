package io.peregrine.streams.servicemap;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppUsageWindow;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Side;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.StoreNames;
import io.peregrine.streams.TopologySettings;
import io.peregrine.streams.endpoints.EndpointIndex;
import io.peregrine.streams.endpoints.ExternalServices;
import io.peregrine.streams.internal.Bytes;
import io.peregrine.streams.internal.CommitHook;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Merges the partials of all ingest tasks per window and emits each window's final results once,
 * when it closes.
 *
 * <p><b>When a window closes.</b> Not on this task's own stream time: the repartition topic mixes
 * records from every ingest task, and one that catches up on a backlog (after a restart) would see
 * its partials dropped as late because a faster one had moved the time on. Instead every ingest
 * task broadcasts {@link Partial.Tick}s with its own event-time progress, and the watermark is the
 * minimum over all of them (as in Flink), ignoring sources that declared themselves idle. A window
 * closes when the watermark passes its end plus the grace period. An ingest task sends a window's
 * partials before any tick that would close it, on the same partition, so nothing an ingest task
 * accepted is ever late here; the watermark only moves forward, and is part of the committed state.
 *
 * <p>Open windows live in memory and, before each commit ({@link CommitHook}), what changed is
 * written to the changelogged {@code windows-open} store, so a restart resumes them exactly.
 */
final class WindowProcessor implements Processor<String, Partial, String, Output> {

    static final String WATERMARK = "watermark";
    private static final String SOURCE = "source|";

    private final TopologySettings settings;
    private final EndpointIndex index;
    private final PipelineCounters counters;

    private ProcessorContext<String, Output> context;
    private KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> openStore;
    private KeyValueStore<String, byte[]> clockStore;
    private WindowStore<String, ServiceEdgeWindow> edgeWindows;
    private WindowStore<String, ServiceSliWindow> sliWindows;
    private WindowStore<String, AppUsageWindow> usageWindows;
    private KeyValueStore<String, ServiceEdge> topology;
    private KeyValueStore<String, byte[]> apps;

    private final Partial.PartialSerde serde = new Partial.PartialSerde();
    /** Open windows by start, each slot's merged partial. */
    private final NavigableMap<Long, Map<String, Partial>> open = new TreeMap<>();
    private final Set<Slot> dirty = new HashSet<>();
    private final Set<Slot> persisted = new HashSet<>();
    private long[] sourceTime;
    private boolean[] sourceIdle;
    private boolean[] sourceKnown;
    private final Set<Integer> dirtySources = new HashSet<>();
    private long watermark = -1;
    private boolean watermarkDirty;
    private long lastTtlCheck = -1;

    private record Slot(long windowStart, String slot) {
    }

    WindowProcessor(TopologySettings settings, EndpointIndex index, PipelineCounters counters) {
        this.settings = settings;
        this.index = index;
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<String, Output> context) {
        this.context = context;
        openStore = context.getStateStore(StoreNames.WINDOWS_OPEN);
        clockStore = context.getStateStore(StoreNames.WINDOWS_CLOCK);
        edgeWindows = context.getStateStore(StoreNames.SERVICE_MAP_WINDOWS);
        sliWindows = context.getStateStore(StoreNames.SLI_WINDOWS);
        usageWindows = context.getStateStore(StoreNames.APP_USAGE_WINDOWS);
        topology = context.getStateStore(StoreNames.TOPOLOGY_EDGES);
        apps = context.getStateStore(StoreNames.APPS);
        int n = settings.sourcePartitions();
        sourceTime = new long[n];
        sourceIdle = new boolean[n];
        sourceKnown = new boolean[n];
        open.clear();
        dirty.clear();
        persisted.clear();
        dirtySources.clear();
        watermark = -1;
        watermarkDirty = false;
        load();
        CommitHook hook = context.getStateStore(StoreNames.WINDOWS_COMMIT_HOOK);
        hook.onCommit(context, () -> Math.max(0, watermark), this::persist);
    }

    private void load() {
        try (KeyValueIterator<org.apache.kafka.common.utils.Bytes, byte[]> it = openStore.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                Partial p = serde.deserialize(null, kv.value);
                long ws = windowStartOf(p);
                String slot = slotOf(p);
                open.computeIfAbsent(ws, k -> new LinkedHashMap<>()).put(slot, p);
                persisted.add(new Slot(ws, slot));
            }
        }
        try (KeyValueIterator<String, byte[]> it = clockStore.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                Bytes.Reader r = new Bytes.Reader(kv.value);
                if (kv.key.equals(WATERMARK)) {
                    watermark = r.readLong();
                } else if (kv.key.startsWith(SOURCE)) {
                    int s = Integer.parseInt(kv.key.substring(SOURCE.length()));
                    if (s < sourceTime.length) {
                        sourceTime[s] = r.readLong();
                        sourceIdle[s] = r.readBoolean();
                        sourceKnown[s] = true;
                    }
                }
            }
        }
    }

    @Override
    public void process(Record<String, Partial> record) {
        Partial p = record.value();
        if (p == null) {
            return;
        }
        if (p instanceof Partial.Tick t) {
            onTick(t);
            return;
        }
        long ws = windowStartOf(p);
        if (closes(ws) <= watermark) {
            // Only possible for a source that was idle and came back with old data.
            counters.increment(PipelineCounters.LATE_PARTIALS);
            return;
        }
        String slot = slotOf(p);
        Map<String, Partial> window = open.computeIfAbsent(ws, k -> new LinkedHashMap<>());
        Partial existing = window.get(slot);
        if (existing == null) {
            window.put(slot, p);
        } else {
            merge(existing, p);
        }
        dirty.add(new Slot(ws, slot));
    }

    private long closes(long windowStart) {
        return windowStart + settings.windowSizeMs() + settings.graceMs();
    }

    private static long windowStartOf(Partial p) {
        return p instanceof Partial.Edge e ? e.windowStart() : ((Partial.Usage) p).windowStart();
    }

    private static String slotOf(Partial p) {
        return p instanceof Partial.Edge e ? e.slot() : ((Partial.Usage) p).slot();
    }

    private static void merge(Partial into, Partial from) {
        if (into instanceof Partial.Edge e) {
            e.stats().merge(((Partial.Edge) from).stats());
        } else {
            ((Partial.Usage) into).stats().merge(((Partial.Usage) from).stats());
        }
    }

    // ------------------------------------------------------------------ watermark

    private void onTick(Partial.Tick t) {
        int s = t.source();
        if (s < 0 || s >= sourceTime.length) {
            // More ingest tasks than configured: the raw topics gained partitions. Their progress
            // cannot be waited for safely; the configuration must be updated (it is derived at start).
            counters.increment("windows.unknown-sources");
            return;
        }
        sourceKnown[s] = true;
        sourceTime[s] = Math.max(sourceTime[s], t.streamTimeMs());
        sourceIdle[s] = t.idle();
        dirtySources.add(s);
        long w = computeWatermark();
        if (w > watermark) {
            watermark = w;
            watermarkDirty = true;
            closeWindows();
        }
    }

    private long computeWatermark() {
        long min = Long.MAX_VALUE;
        long max = -1;
        boolean anyActive = false;
        for (int i = 0; i < sourceTime.length; i++) {
            if (!sourceKnown[i]) {
                return -1; // a source that has not spoken yet may still send anything
            }
            max = Math.max(max, sourceTime[i]);
            if (!sourceIdle[i]) {
                anyActive = true;
                min = Math.min(min, sourceTime[i]);
            }
        }
        // Every source idle: all raw partitions are drained, so what they sent is complete.
        return anyActive ? min : max;
    }

    // ------------------------------------------------------------------ closing

    private void closeWindows() {
        while (!open.isEmpty() && closes(open.firstKey()) <= watermark) {
            Map.Entry<Long, Map<String, Partial>> w = open.pollFirstEntry();
            closeWindow(w.getKey(), w.getValue());
        }
        expireTopology();
    }

    private void closeWindow(long ws, Map<String, Partial> slots) {
        long we = ws + settings.windowSizeMs();
        Map<String, List<Partial.Edge>> byServer = new TreeMap<>();
        List<Partial.Usage> usages = new ArrayList<>();
        for (Partial p : slots.values()) {
            if (p instanceof Partial.Edge e) {
                byServer.computeIfAbsent(e.server().getId(), k -> new ArrayList<>()).add(e);
            } else {
                usages.add((Partial.Usage) p);
            }
        }
        for (List<Partial.Edge> edges : byServer.values()) {
            closeServer(ws, we, edges);
        }
        for (Partial.Usage u : usages) {
            AppUsageWindow out = Outputs.usageWindow(ws, we, u.app(), u.stats());
            usageWindows.put(u.app().getId(), out, ws);
            context.forward(new Record<>(u.app().getId(), new Output(Output.Kind.APP_USAGE, out), ws));
            seen(u.app(), ws, we, false, false, true);
        }
        for (String slot : slots.keySet()) {
            Slot s = new Slot(ws, slot);
            dirty.remove(s);
            if (persisted.remove(s)) {
                openStore.delete(storeKey(s));
            }
        }
    }

    private static final class EdgeHalves {
        final AppId client;
        EdgeStats clientHalf;
        EdgeStats serverHalf;

        EdgeHalves(AppId client) {
            this.client = client;
        }
    }

    /**
     * All edges into one server in one window, and its SLI. A call seen by both ends counts once:
     * a server-side observation whose client address belongs to an instrumented client of this
     * server (one that reported the call itself) joins that client's edge, where the client's
     * figures win; any other becomes an edge from the client's address.
     */
    private void closeServer(long ws, long we, List<Partial.Edge> edges) {
        AppId server = edges.get(0).server();
        Map<String, EdgeHalves> out = new TreeMap<>();
        Map<String, String> clientOfIp = new HashMap<>();
        EdgeStats serverTotal = new EdgeStats();
        EdgeStats clientTotal = new EdgeStats();
        List<Partial.Edge> serverSide = new ArrayList<>();
        edges.sort((a, b) -> a.slot().compareTo(b.slot()));
        for (Partial.Edge e : edges) {
            if (e.side() == Side.CLIENT) {
                out.computeIfAbsent(e.client().getId(), k -> new EdgeHalves(e.client())).clientHalf = e.stats();
                clientTotal.merge(e.stats());
                for (String ip : e.stats().clientIps) {
                    clientOfIp.putIfAbsent(ip, e.client().getId());
                }
            } else {
                serverSide.add(e);
                serverTotal.merge(e.stats());
            }
        }
        for (Partial.Edge e : serverSide) {
            String known = clientOfIp.get(e.clientIp());
            AppId client;
            if (known != null) {
                client = out.get(known).client;
            } else {
                client = index.appOfAddress(e.clientIp(), ws);
                if (client == null) {
                    EndpointIndex.NodeInfo node = index.nodeOfAddress(e.clientIp(), "");
                    client = ExternalServices.client(e.clientIp(), node == null ? null : node.hostname());
                }
            }
            AppId c = client;
            EdgeHalves h = out.computeIfAbsent(client.getId(), k -> new EdgeHalves(c));
            if (h.serverHalf == null) {
                h.serverHalf = new EdgeStats();
            }
            h.serverHalf.merge(e.stats());
        }
        for (EdgeHalves h : out.values()) {
            ServiceEdgeWindow w = Outputs.edgeWindow(ws, we, h.client, server, h.clientHalf, h.serverHalf);
            String key = Outputs.edgeKey(h.client.getId(), server.getId());
            edgeWindows.put(key, w, ws);
            context.forward(new Record<>(key, new Output(Output.Kind.SERVICE_MAP, w), ws));
            ServiceEdge edge = Outputs.topology(topology.get(key), w);
            topology.put(key, edge);
            context.forward(new Record<>(key, new Output(Output.Kind.TOPOLOGY, edge), ws));
            seen(h.client, ws, we, false, true, false);
        }
        seen(server, ws, we, true, false, false);
        if (serverTotal.requests > 0 || clientTotal.requests > 0 || clientTotal.failedConnects > 0) {
            ServiceSliWindow sli = Outputs.sliWindow(ws, we, server, serverTotal, clientTotal,
                    settings.latencyThresholdMs(server.getId()));
            sliWindows.put(server.getId(), sli, ws);
            context.forward(new Record<>(server.getId(), new Output(Output.Kind.SLI, sli), ws));
        }
    }

    private void seen(AppId app, long ws, long we, boolean server, boolean client, boolean usage) {
        AppSummary now = new AppSummary(app, ws, we, server, client, usage);
        byte[] old = apps.get(app.getId());
        AppSummary merged = old == null ? now : AppSummary.decode(old).merge(now);
        apps.put(app.getId(), merged.encode());
    }

    /** Edges idle for longer than the TTL leave the compacted topology topic. */
    private void expireTopology() {
        long ttl = settings.topologyEdgeTtl().toMillis();
        if (watermark - lastTtlCheck < Math.min(ttl, 60_000)) {
            return;
        }
        lastTtlCheck = watermark;
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, ServiceEdge> it = topology.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                if (kv.value.getLastSeen().toEpochMilli() < watermark - ttl) {
                    expired.add(kv.key);
                }
            }
        }
        for (String key : expired) {
            topology.delete(key);
            context.forward(new Record<>(key, new Output(Output.Kind.TOPOLOGY, null), Math.max(0, watermark)));
        }
    }

    // ------------------------------------------------------------------ commit

    private void persist() {
        for (Slot s : dirty) {
            Map<String, Partial> window = open.get(s.windowStart());
            Partial p = window == null ? null : window.get(s.slot());
            if (p != null) {
                openStore.put(storeKey(s), serde.serialize(null, p));
                persisted.add(s);
            }
        }
        dirty.clear();
        for (int s : dirtySources) {
            clockStore.put(SOURCE + s, new Bytes.Writer(16).writeLong(sourceTime[s]).writeBoolean(sourceIdle[s])
                    .toByteArray());
        }
        dirtySources.clear();
        if (watermarkDirty) {
            clockStore.put(WATERMARK, new Bytes.Writer(10).writeLong(watermark).toByteArray());
            watermarkDirty = false;
        }
    }

    private static org.apache.kafka.common.utils.Bytes storeKey(Slot s) {
        byte[] slot = s.slot().getBytes(StandardCharsets.UTF_8);
        return org.apache.kafka.common.utils.Bytes.wrap(
                new Bytes.Writer(8 + slot.length).writeFixedLong(s.windowStart()).writeRaw(slot).toByteArray());
    }
}
