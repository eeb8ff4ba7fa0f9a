package io.peregrine.streams.servicemap;

import io.peregrine.schema.dlq.DeadLetterRecords;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.TopologySettings;
import io.peregrine.streams.dlq.DeadLetters;
import io.peregrine.streams.dlq.EventValidator;
import io.peregrine.streams.dlq.InvalidEventException;
import io.peregrine.streams.endpoints.Addresses;
import io.peregrine.streams.endpoints.EndpointIndex;
import io.peregrine.streams.endpoints.ExternalServices;
import io.peregrine.streams.endpoints.NodeKeys;
import io.peregrine.streams.internal.Bytes;
import io.peregrine.streams.internal.CommitHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot path: reads raw L7, connection and app-metrics records of one partition (all keyed by
 * node, so co-partitioned), and for each one decodes, validates (bad ones to the DLQ), drops
 * duplicates by (node, agent run, seq) and events older than the grace period, resolves the
 * destination to an application, and folds it into an in-memory partial per
 * (window, server, side, client) -- no state store write, no serialization per event.
 *
 * <p>Before every commit ({@link CommitHook}) the partials are forwarded to the repartition topic
 * with a {@link Partial.Tick} carrying this task's event time, and the dedup, DNS and sample state
 * that changed is written to the changelogged {@code ingest-state} store: all of it in the commit's
 * transaction, so that a crash never loses or repeats a contribution. Output volume is the number
 * of distinct partial keys per commit interval, not the number of events.
 *
 * <p>Event time: the task's stream time is the largest event timestamp it has accepted; an event
 * whose window ended more than the grace period before it is late and dropped (counted), exactly
 * as Kafka Streams' windowed aggregations do per partition.
 */
final class IngestProcessor implements Processor<byte[], byte[], Object, Object> {

    private static final Logger log = LoggerFactory.getLogger(IngestProcessor.class);

    static final String STAGE_L7 = "streams/ingest/l7";
    static final String STAGE_CONNECTIONS = "streams/ingest/connections";
    static final String STAGE_APP_METRICS = "streams/ingest/app-metrics";

    private static final String SEQ = "seq|";
    private static final String DNS = "dns|";
    private static final String SAMPLE = "smp|";
    private static final String CLOCK = "clock";
    private static final long STATE_TTL_MS = Duration.ofDays(1).toMillis();
    private static final int EXTERNAL_CACHE_MAX = 10_000;

    private final TopologySettings settings;
    private final EndpointIndex index;
    private final PipelineCounters counters;
    private final EventValidator validator;
    private final String l7Topic;
    private final String connectionsTopic;
    private final String appMetricsTopic;
    private final L7Decoder l7Decoder;
    private final L7Fields l7 = new L7Fields();
    private final Deserializer<ConnectionEvent> connectionDeserializer;
    private final Deserializer<AppSample> appSampleDeserializer;
    private final String stateStoreName;
    private final String hookName;

    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, byte[]> state;
    private int source;

    private final Map<String, SeqTracker> seqs = new HashMap<>();
    /**
     * The state key of each (topic, node, agent run) seen lately: with the decoder's interned
     * strings, finding an event's tracker needs no string building and no hashing of long keys.
     * Bounded by clearing; a key evicted from {@link #seqs} just finds no tracker here.
     */
    private final Map<SeqKey, String> seqKeys = new HashMap<>();
    /** Trackers changed since the last flush (each once, by {@link SeqTracker#dirty}), by state key. */
    private final List<String> dirtySeqs = new ArrayList<>();
    private final Map<String, DnsName> dnsNames = new HashMap<>();
    private final Map<String, LastSample> samples = new HashMap<>();
    private final Set<String> dirty = new HashSet<>();
    /**
     * Partials by key. Entries stay across commits (emptied, not dropped) while they are in use, so
     * the hot path does not reallocate histograms every commit interval; {@link #touched} says
     * which ones have data since the last commit.
     */
    private final Map<EdgeKey, Partial.Edge> edgeBuffer = new LinkedHashMap<>();
    private final Set<Partial.Edge> touched = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final Map<UsageKey, Partial.Usage> usageBuffer = new LinkedHashMap<>();
    private final Map<String, AppId> externalCache = new HashMap<>();
    private long streamTime = -1;
    private boolean clockDirty;
    private long lastEvictionStreamTime = -1;
    /** Wall-clock time of the last record, or of the first punctuation; -1 before either. */
    private long lastRecordWallMs;
    private long lastIdleTickWallMs;
    /** Records processed since the last flush; without any, a commit has nothing of ours to carry. */
    private boolean processedSinceFlush;
    /** Per-event counts, added to the shared counters at each commit (not per event: contention). */
    private long ingested;
    private long duplicates;
    private long late;

    private record EdgeKey(long windowStart, String server, Side side, String client) {
    }

    private record SeqKey(String topicTag, String nodeKey, String runId) {
    }

    private record UsageKey(long windowStart, String app) {
    }

    private record DnsName(String name, long lastSeenMs) {
    }

    private record LastSample(long startedAtMs, double cpuSeconds, long timestampMs) {
    }

    IngestProcessor(TopologySettings settings, Topics topics, SchemaRegistryClient registry, EndpointIndex index,
                    PipelineCounters counters, String stateStoreName, String hookName) {
        this.settings = settings;
        this.index = index;
        this.counters = counters;
        this.validator = new EventValidator(settings.maxFutureSkew().toMillis());
        this.l7Topic = topics.rawL7().name();
        this.connectionsTopic = topics.rawConnections().name();
        this.appMetricsTopic = topics.rawAppMetrics().name();
        this.l7Decoder = new L7Decoder(registry, topics.rawL7().valueSerde().deserializer());
        this.connectionDeserializer = topics.rawConnections().valueSerde().deserializer();
        this.appSampleDeserializer = topics.rawAppMetrics().valueSerde().deserializer();
        this.stateStoreName = stateStoreName;
        this.hookName = hookName;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.source = context.taskId().partition();
        this.state = context.getStateStore(stateStoreName);
        // init also runs when a task is revived after a failure: start from the stores, never from
        // what a previous incarnation left in memory.
        seqs.clear();
        seqKeys.clear();
        dirtySeqs.clear();
        dnsNames.clear();
        samples.clear();
        dirty.clear();
        edgeBuffer.clear();
        touched.clear();
        usageBuffer.clear();
        ingested = 0;
        duplicates = 0;
        late = 0;
        streamTime = -1;
        clockDirty = false;
        processedSinceFlush = false;
        load();
        CommitHook hook = context.getStateStore(hookName);
        hook.onCommit(context, () -> Math.max(0, streamTime), this::flush);
        // Not context.currentSystemTimeMs(): Kafka Streams sets a task's wall clock only when it
        // processes or punctuates, so in init it reads 0 for a new task, which made every new task
        // declare itself idle at its first punctuation, before its first record. Then the window
        // tasks left it out of the watermark and closed windows on the other sources' progress,
        // dropping its partials as late (windows missing whole nodes after a rebalance).
        lastRecordWallMs = -1;
        lastIdleTickWallMs = 0;
        long every = Math.max(50, Math.min(1_000, settings.idleSourceTimeout().toMillis() / 2));
        context.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::checkIdle);
    }

    private void load() {
        try (KeyValueIterator<String, byte[]> it = state.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                String k = kv.key;
                Bytes.Reader r = new Bytes.Reader(kv.value);
                if (k.startsWith(SEQ)) {
                    seqs.put(k.substring(SEQ.length()), SeqTracker.decode(kv.value));
                } else if (k.startsWith(DNS)) {
                    dnsNames.put(k.substring(DNS.length()), new DnsName(r.readString(), r.readLong()));
                } else if (k.startsWith(SAMPLE)) {
                    samples.put(k.substring(SAMPLE.length()),
                            new LastSample(r.readLong(), r.readDouble(), r.readLong()));
                } else if (k.equals(CLOCK)) {
                    streamTime = r.readLong();
                }
            }
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        lastRecordWallMs = context.currentSystemTimeMs();
        lastIdleTickWallMs = 0;
        processedSinceFlush = true;
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta != null ? meta.topic() : null;
        String stage = l7Topic.equals(topic) ? STAGE_L7
                : connectionsTopic.equals(topic) ? STAGE_CONNECTIONS
                : appMetricsTopic.equals(topic) ? STAGE_APP_METRICS : "streams/ingest";
        if (record.value() == null) {
            return; // a tombstone on an event topic carries nothing
        }
        try {
            if (stage == STAGE_L7) {
                L7Fields e = l7;
                l7Decoder.decode(topic, record.value(), e);
                validator.validate(e, context.currentSystemTimeMs());
                if (accept("l7", e.nodeKey, e.agentRunId, e.seq, e.timestampMs)) {
                    onL7(e, e.nodeKey, e.timestampMs);
                }
            } else if (stage == STAGE_CONNECTIONS) {
                ConnectionEvent e = connectionDeserializer.deserialize(topic, record.value());
                validator.validate(e, context.currentSystemTimeMs());
                long ts = e.getTimestamp().toEpochMilli();
                if (accept("conn", NodeKeys.of(e.getNode()), e.getAgentRunId(), e.getSeq(), ts)) {
                    onConnection(e, ts);
                }
            } else if (stage == STAGE_APP_METRICS) {
                AppSample s = appSampleDeserializer.deserialize(topic, record.value());
                validator.validate(s, context.currentSystemTimeMs());
                long ts = s.getTimestamp().toEpochMilli();
                if (accept("app", NodeKeys.of(s.getNode()), s.getAgentRunId(), s.getSeq(), ts)) {
                    onAppSample(s, ts);
                }
            }
        } catch (MalformedRecordException e) {
            reject(stage, DeadLetterRecords.reasonOf(e), e.getMessage(), e, meta, record);
        } catch (InvalidEventException e) {
            reject(stage, DeadLetterReason.INVARIANT, e.getMessage(), null, meta, record);
        } catch (SerializationException e) {
            // The registry could not be reached: the record is fine, the lookup failed. Failing the
            // task makes Kafka Streams retry it from the last commit (the thread is replaced).
            throw e;
        } catch (RuntimeException e) {
            log.debug("Unexpected failure on a record of {}", topic, e);
            reject(stage, DeadLetterReason.PROCESSING, "unexpected " + e, e, meta, record);
        }
    }

    private void reject(String stage, DeadLetterReason reason, String message, Throwable cause, RecordMetadata meta,
                        Record<byte[], byte[]> record) {
        counters.rejected(stage, reason.name());
        context.forward(DeadLetters.record(stage, reason, message, cause, meta, record.timestamp(), record.key(),
                record.value(), context.currentSystemTimeMs()));
    }

    /** Dedup, then the event-time checks; true when the event should be aggregated. */
    private boolean accept(String topicTag, String nodeKey, String runId, long seq, long ts) {
        SeqKey sk = new SeqKey(topicTag, nodeKey, runId);
        String key = seqKeys.get(sk);
        if (key == null) {
            if (seqKeys.size() >= 100_000) {
                seqKeys.clear();
            }
            key = topicTag + "|" + nodeKey + "|" + runId;
            seqKeys.put(sk, key);
        }
        SeqTracker t = seqs.get(key);
        if (t == null) {
            t = new SeqTracker();
            seqs.put(key, t);
        }
        if (!t.accept(seq, ts)) {
            duplicates++;
            return false;
        }
        if (!t.dirty) {
            t.dirty = true;
            dirtySeqs.add(key);
        }
        if (ts > streamTime) {
            streamTime = ts;
            clockDirty = true;
        }
        if (settings.windowStart(ts) + settings.windowSizeMs() + settings.graceMs() <= streamTime) {
            late++;
            return false;
        }
        ingested++;
        return true;
    }

    // ------------------------------------------------------------------ L7

    private void onL7(L7Fields e, String nodeKey, long ts) {
        if (e.protocol == Protocol.DNS && e.dns != null) {
            learnDns(nodeKey, e.dns, ts);
        }
        long ws = settings.windowStart(ts);
        AppId observer = e.app;
        EdgeStats s;
        AppId server;
        if (e.side == Side.CLIENT) {
            server = resolveServer(nodeKey, e.actualServerIp, e.actualServerPort, e.serverIp, e.serverPort,
                    e.serverName, ts);
            s = edge(ws, server, Side.CLIENT, observer, null);
            s.addClientIp(e.clientIp);
        } else {
            server = observer;
            s = edge(ws, server, Side.SERVER, null, e.clientIp);
        }
        s.addRequest(e.protocol, e.error, e.latencyNs, settings.latencyThresholdMs(server.getId()) * 1_000_000L,
                e.requestBytes, e.responseBytes);
    }

    private void learnDns(String nodeKey, DnsDetails dns, long ts) {
        if (!"NOERROR".equals(dns.getRcode()) || dns.getQuestionName() == null || dns.getQuestionName().isBlank()) {
            return;
        }
        for (String ip : dns.getAnswerIps()) {
            String k = nodeKey + "|" + ip;
            DnsName old = dnsNames.get(k);
            if (old == null || old.lastSeenMs <= ts) {
                if (old == null || !old.name.equals(dns.getQuestionName()) || ts - old.lastSeenMs > 60_000) {
                    dirty.add(DNS + k);
                }
                dnsNames.put(k, new DnsName(dns.getQuestionName(), ts));
            }
        }
    }

    private String dnsName(String nodeKey, String ip, long ts) {
        if (ip == null) {
            return null;
        }
        DnsName n = dnsNames.get(nodeKey + "|" + ip);
        return n != null && ts - n.lastSeenMs <= settings.dnsNameTtl().toMillis() ? n.name : null;
    }

    /** The server application behind a destination: its owner, else an external service. */
    private AppId resolveServer(String nodeKey, String actualIp, Integer actualPort, String ip, int port,
                                String serverName, long ts) {
        boolean translated = actualIp != null && actualPort != null;
        String dstIp = translated ? actualIp : ip;
        int dstPort = translated ? actualPort : port;
        EndpointIndex.Owner owner = index.resolve(dstIp, dstPort, nodeKey, ts);
        if (owner == null && translated) {
            owner = index.resolve(ip, port, nodeKey, ts);
        }
        if (owner != null) {
            return owner.app();
        }
        String dns = dnsName(nodeKey, dstIp, ts);
        if (dns == null && translated) {
            dns = dnsName(nodeKey, ip, ts);
        }
        String cacheKey = dstIp + "|" + dstPort + "|" + dns + "|" + serverName;
        AppId ext = externalCache.get(cacheKey);
        if (ext == null) {
            if (externalCache.size() >= EXTERNAL_CACHE_MAX) {
                externalCache.clear();
            }
            ext = ExternalServices.server(dstIp, dstPort, dns, serverName);
            externalCache.put(cacheKey, ext);
        }
        return ext;
    }

    private EdgeStats edge(long ws, AppId server, Side side, AppId client, String clientIp) {
        EdgeKey k = new EdgeKey(ws, server.getId(), side, client != null ? client.getId() : clientIp);
        Partial.Edge p = edgeBuffer.get(k);
        if (p == null) {
            p = new Partial.Edge(ws, server, side, client, client != null ? null : clientIp, new EdgeStats());
            edgeBuffer.put(k, p);
        }
        touched.add(p);
        return p.stats();
    }

    // ------------------------------------------------------------------ connections

    private void onConnection(ConnectionEvent e, long ts) {
        String nodeKey = NodeKeys.of(e.getNode());
        long ws = settings.windowStart(ts);
        AppId observer = e.getInstance().getApp();
        boolean translated = e.getActualRemoteIp() != null && e.getActualRemotePort() != null;
        String remoteIp = e.getActualRemoteIp() != null ? e.getActualRemoteIp() : e.getRemoteIp();
        int remotePort = translated ? e.getActualRemotePort() : e.getRemotePort();
        ConnectionDirection direction = e.getDirection();
        if (direction == ConnectionDirection.UNKNOWN) {
            // Found established by a scan: whoever listens on the remote end is the server.
            if (remotePort > 0 && index.resolve(remoteIp, remotePort, nodeKey, ts) != null) {
                direction = ConnectionDirection.OUTBOUND;
            } else {
                EndpointIndex.Owner local = index.resolve(e.getLocalIp(), e.getLocalPort(), nodeKey, ts);
                if (local != null && local.app().getId().equals(observer.getId())) {
                    direction = ConnectionDirection.INBOUND;
                }
            }
        }
        ConnectionEventKind kind = e.getKind();
        if (direction == ConnectionDirection.OUTBOUND) {
            AppId server = resolveServer(nodeKey, e.getActualRemoteIp(), e.getActualRemotePort(), e.getRemoteIp(),
                    e.getRemotePort(), null, ts);
            EdgeStats s = edge(ws, server, Side.CLIENT, observer, null);
            s.hasConnections = true;
            s.addClientIp(e.getLocalIp());
            switch (kind) {
                case OPEN -> {
                    if (e.getSource() != Collector.PROCFS) {
                        s.connectionsOpened++;
                    }
                    s.addRtt(e.getRttUs());
                }
                case FAILED_CONNECT -> s.failedConnects++;
                case STATS -> {
                    s.hasConnectionStats = true;
                    s.connBytesSent += e.getBytesSent();
                    s.connBytesReceived += e.getBytesReceived();
                    s.retransmits += e.getRetransmits();
                    s.addRtt(e.getRttUs());
                }
                default -> { }
            }
        } else if (direction == ConnectionDirection.INBOUND) {
            EdgeStats s = edge(ws, observer, Side.SERVER, null, e.getRemoteIp());
            s.hasConnections = true;
            switch (kind) {
                case OPEN -> {
                    if (e.getSource() != Collector.PROCFS) {
                        s.connectionsOpened++;
                    }
                    s.addRtt(e.getRttUs());
                }
                case STATS -> {
                    s.hasConnectionStats = true;
                    // The server's received bytes are what the client sent.
                    s.connBytesSent += e.getBytesReceived();
                    s.connBytesReceived += e.getBytesSent();
                    s.retransmits += e.getRetransmits();
                    s.addRtt(e.getRttUs());
                }
                default -> { }
            }
        }
        if (kind == ConnectionEventKind.STATS) {
            usageTraffic(ws, observer, nodeKey, remoteIp, direction == ConnectionDirection.INBOUND ? 0 : remotePort,
                    e.getBytesSent(), e.getBytesReceived(), ts);
        }
    }

    private void usageTraffic(long ws, AppId app, String nodeKey, String remoteIp, int remotePort, long sent,
                              long received, long ts) {
        UsageStats u = usage(ws, app);
        u.bytesSent += sent;
        u.bytesReceived += received;
        EndpointIndex.NodeInfo local = index.node(nodeKey);
        EndpointIndex.NodeInfo remote = index.nodeOfAddress(remoteIp, nodeKey);
        if (remote == null && remotePort > 0) {
            EndpointIndex.Owner o = index.resolve(remoteIp, remotePort, nodeKey, ts);
            remote = o != null ? index.node(o.nodeKey()) : null;
        }
        boolean owned = remote != null || (remotePort > 0 && index.resolve(remoteIp, remotePort, nodeKey, ts) != null)
                || index.appOfAddress(remoteIp, ts) != null;
        if (remote != null && local != null && local.zone() != null && remote.zone() != null
                && !local.zone().equals(remote.zone())) {
            u.crossZoneBytesSent += sent;
            u.crossZoneBytesReceived += received;
        } else if (!owned && !Addresses.isPrivate(remoteIp)) {
            u.internetBytesSent += sent;
            u.internetBytesReceived += received;
        }
    }

    private UsageStats usage(long ws, AppId app) {
        UsageKey k = new UsageKey(ws, app.getId());
        Partial.Usage p = usageBuffer.get(k);
        if (p == null) {
            p = new Partial.Usage(ws, app, new UsageStats());
            usageBuffer.put(k, p);
        }
        return p.stats();
    }

    // ------------------------------------------------------------------ app samples

    private void onAppSample(AppSample s, long ts) {
        String nodeKey = NodeKeys.of(s.getNode());
        String instanceKey = nodeKey + "|" + s.getInstance().getInstanceId();
        long startedAt = s.getStartedAt().toEpochMilli();
        double cpu = s.getCpuUserSecondsTotal() + s.getCpuSystemSecondsTotal();
        LastSample prev = samples.get(instanceKey);
        double cpuDelta = 0;
        long dtMs = 0;
        boolean newer = prev == null || ts > prev.timestampMs;
        if (!newer) {
            // Out of order: the interval it ends was already accounted by a later sample.
        } else if (prev != null && prev.startedAtMs == startedAt && cpu >= prev.cpuSeconds) {
            cpuDelta = cpu - prev.cpuSeconds;
            dtMs = ts - prev.timestampMs;
        } else if (prev != null) {
            // Restarted (new started_at) or counters reset: everything counted is since the reset.
            cpuDelta = cpu;
            dtMs = Math.max(0, Math.min(ts - prev.timestampMs, ts - startedAt));
        } else {
            boolean fresh = startedAt >= ts - 2 * s.getIntervalMs();
            cpuDelta = fresh ? cpu : 0; // an instance found mid-life: its past CPU is not this window's
            dtMs = fresh ? Math.max(0, ts - startedAt) : s.getIntervalMs();
        }
        UsageStats u = usage(settings.windowStart(ts), s.getInstance().getApp());
        u.instances.add(instanceKey);
        u.nodes.add(nodeKey);
        EndpointIndex.NodeInfo node = index.node(nodeKey);
        u.lifecycles.add(node != null && node.lifecycle() != null ? node.lifecycle() : "NONE");
        u.cpuSeconds += cpuDelta;
        u.memoryByteSeconds += s.getMemoryRssBytes() * (dtMs / 1000.0);
        if (newer) {
            samples.put(instanceKey, new LastSample(startedAt, cpu, ts));
            dirty.add(SAMPLE + instanceKey);
        }
    }

    // ------------------------------------------------------------------ commit

    /** Runs before each commit: partials and a tick downstream, changed state to the changelog. */
    private void flush() {
        if (!processedSinceFlush) {
            return;
        }
        processedSinceFlush = false;
        counters.add(PipelineCounters.INGESTED, ingested);
        counters.add(PipelineCounters.DUPLICATES, duplicates);
        counters.add(PipelineCounters.LATE_EVENTS, late);
        ingested = 0;
        duplicates = 0;
        late = 0;
        // Serialized synchronously by the record collector, so the partial can be reused after.
        var it = edgeBuffer.values().iterator();
        while (it.hasNext()) {
            Partial.Edge p = it.next();
            if (touched.contains(p)) {
                context.forward(new Record<>(p.server().getId(), p, p.windowStart()));
                p.stats().reset();
            } else {
                it.remove(); // idle for a whole commit interval: let it go
            }
        }
        touched.clear();
        for (Partial.Usage p : usageBuffer.values()) {
            context.forward(new Record<>(p.app().getId(), p, p.windowStart()));
        }
        usageBuffer.clear();
        context.forward(new Record<>(Partial.TICK_KEY, new Partial.Tick(source, streamTime, false),
                Math.max(0, streamTime)));
        evictStale();
        for (String k : dirtySeqs) {
            SeqTracker t = seqs.get(k);
            if (t == null) {
                state.delete(SEQ + k);
            } else {
                t.dirty = false;
                state.put(SEQ + k, t.encode());
            }
        }
        dirtySeqs.clear();
        for (String k : dirty) {
            byte[] value = encodeState(k);
            if (value == null) {
                state.delete(k);
            } else {
                state.put(k, value);
            }
        }
        dirty.clear();
        if (clockDirty) {
            state.put(CLOCK, new Bytes.Writer(10).writeLong(streamTime).toByteArray());
            clockDirty = false;
        }
    }

    private byte[] encodeState(String k) {
        if (k.startsWith(SEQ)) {
            SeqTracker t = seqs.get(k.substring(SEQ.length()));
            return t == null ? null : t.encode();
        }
        if (k.startsWith(DNS)) {
            DnsName n = dnsNames.get(k.substring(DNS.length()));
            return n == null ? null : new Bytes.Writer(32).writeString(n.name).writeLong(n.lastSeenMs).toByteArray();
        }
        if (k.startsWith(SAMPLE)) {
            LastSample s = samples.get(k.substring(SAMPLE.length()));
            return s == null ? null
                    : new Bytes.Writer(32).writeLong(s.startedAtMs).writeDouble(s.cpuSeconds).writeLong(s.timestampMs)
                    .toByteArray();
        }
        return null;
    }

    /** Forgets agent runs, DNS answers and instances not heard of for a long time (event time). */
    private void evictStale() {
        if (streamTime < 0 || streamTime - lastEvictionStreamTime < 60_000) {
            return;
        }
        lastEvictionStreamTime = streamTime;
        List<String> gone = new ArrayList<>();
        seqs.forEach((k, t) -> {
            if (streamTime - t.lastSeenTs > STATE_TTL_MS) {
                gone.add(SEQ + k);
            }
        });
        dnsNames.forEach((k, n) -> {
            if (streamTime - n.lastSeenMs > settings.dnsNameTtl().toMillis()) {
                gone.add(DNS + k);
            }
        });
        samples.forEach((k, s) -> {
            if (streamTime - s.timestampMs > STATE_TTL_MS) {
                gone.add(SAMPLE + k);
            }
        });
        for (String k : gone) {
            if (k.startsWith(SEQ)) {
                seqs.remove(k.substring(SEQ.length()));
            } else if (k.startsWith(DNS)) {
                dnsNames.remove(k.substring(DNS.length()));
            } else {
                samples.remove(k.substring(SAMPLE.length()));
            }
            dirty.add(k);
        }
    }

    /**
     * A partition without records holds no window open: after the idle timeout (wall clock) it
     * says so, and the window tasks leave it out of the watermark until it sends data again.
     */
    private void checkIdle(long nowMs) {
        if (lastRecordWallMs < 0) {
            lastRecordWallMs = nowMs; // the first punctuation: the idle timeout starts now
            return;
        }
        if (nowMs - lastRecordWallMs < settings.idleSourceTimeout().toMillis()) {
            return;
        }
        if (lastIdleTickWallMs != 0 && nowMs - lastIdleTickWallMs < settings.idleSourceTimeout().toMillis()) {
            return;
        }
        lastIdleTickWallMs = nowMs;
        flush();
        context.forward(new Record<>(Partial.TICK_KEY, new Partial.Tick(source, streamTime, true),
                Math.max(0, streamTime)));
    }
}
