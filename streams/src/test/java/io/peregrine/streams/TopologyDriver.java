package io.peregrine.streams;

import io.peregrine.schema.AppSample;
import io.peregrine.schema.AppUsageWindow;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.endpoints.EndpointIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The production topology ({@link PeregrineTopology}) under {@code TopologyTestDriver}, with typed
 * input and output topics. Events are piped with explicit timestamps; the wall clock starts at
 * {@link RawEvents#T0} (the future-timestamp check is against it) and only moves when told.
 */
public final class TopologyDriver implements AutoCloseable {

    public final Topics topics;
    public final TopologySettings settings;
    public final PipelineCounters counters = new PipelineCounters();
    public final List<Record<Object, Object>> tableRejects = new ArrayList<>();
    public final EndpointIndex index;
    public final TopologyTestDriver driver;
    /** The application id the driver runs with; internal topics are named after it. */
    public final String applicationId = "ttd-" + UUID.randomUUID();
    private final Path stateDir;

    public final TestInputTopic<String, L7Event> l7;
    public final TestInputTopic<String, ConnectionEvent> connections;
    public final TestInputTopic<String, AppSample> appMetrics;
    public final TestInputTopic<String, ListenEvent> listens;
    public final TestInputTopic<String, NodeSample> nodeMetrics;
    public final TestInputTopic<byte[], byte[]> rawL7Bytes;
    public final TestInputTopic<byte[], byte[]> rawListenBytes;

    public final TestOutputTopic<String, ServiceEdgeWindow> serviceMap;
    public final TestOutputTopic<String, ServiceEdge> topology;
    public final TestOutputTopic<String, ServiceSliWindow> sli;
    public final TestOutputTopic<String, AppUsageWindow> appUsage;
    public final TestOutputTopic<byte[], DeadLetter> dlq;

    public TopologyDriver(Topics topics, SchemaRegistryClient registry, TopologySettings settings) {
        this.topics = topics;
        this.settings = settings;
        try {
            stateDir = Files.createTempDirectory("peregrine-ttd-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        StreamsBuilder builder = new StreamsBuilder();
        index = PeregrineTopology.build(builder, settings, topics, registry, counters, tableRejects::add);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
        driver = new TopologyTestDriver(builder.build(), p, RawEvents.T0);

        l7 = input(topics.rawL7());
        connections = input(topics.rawConnections());
        appMetrics = input(topics.rawAppMetrics());
        listens = input(topics.rawListens());
        nodeMetrics = input(topics.rawNodeMetrics());
        rawL7Bytes = driver.createInputTopic(topics.rawL7().name(), new ByteArraySerializer(), new ByteArraySerializer());
        rawListenBytes = driver.createInputTopic(topics.rawListens().name(), new ByteArraySerializer(),
                new ByteArraySerializer());

        serviceMap = output(topics.serviceMap());
        topology = output(topics.topology());
        sli = output(topics.sli());
        appUsage = output(topics.appUsage());
        dlq = driver.createOutputTopic(topics.dlq().name(), new ByteArrayDeserializer(),
                topics.dlq().valueSerde().deserializer());
    }

    private <V> TestInputTopic<String, V> input(Topic<String, V> t) {
        return driver.createInputTopic(t.name(), t.keySerde().serializer(), t.valueSerde().serializer());
    }

    private <V> TestOutputTopic<String, V> output(Topic<String, V> t) {
        return driver.createOutputTopic(t.name(), new StringDeserializer(), t.valueSerde().deserializer());
    }

    public void pipe(L7Event e) {
        l7.pipeInput(RawEvents.key(e.getNode()), e, e.getTimestamp());
    }

    public void pipe(ConnectionEvent e) {
        connections.pipeInput(RawEvents.key(e.getNode()), e, e.getTimestamp());
    }

    public void pipe(AppSample s) {
        appMetrics.pipeInput(RawEvents.key(s.getNode()), s, s.getTimestamp());
    }

    public void pipe(ListenEvent e) {
        listens.pipeInput(RawEvents.listenKey(e.getNode(), e.getIp(), e.getPort()), e, e.getTimestamp());
    }

    public void pipe(NodeSample s) {
        nodeMetrics.pipeInput(RawEvents.key(s.getNode()), s, s.getTimestamp());
    }

    /** Moves event time to {@code ts} with an event of an unrelated app (the clock). */
    public void advanceEventTime(RawEvents events, Instant ts) {
        pipe(events.tick(ts));
    }

    public void advanceWallClock(Duration d) {
        driver.advanceWallClockTime(d);
    }

    /** Service-map records, dropping the clock app's. */
    public List<TestRecord<String, ServiceEdgeWindow>> serviceMapRecords() {
        return serviceMap.readRecordsToList();
    }

    public List<SliRecord> sliRecords() {
        return sli.readRecordsToList().stream().map(r -> new SliRecord(r.key(), r.value())).toList();
    }

    public List<AppUsageWindow> usageRecords(String appId) {
        return appUsage.readValuesToList().stream().filter(u -> u.getApp().getId().equals(appId)).toList();
    }

    public record SliRecord(String key, ServiceSliWindow value) {
    }

    @Override
    public void close() {
        driver.close();
        try (var s = Files.walk(stateDir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException ignored) {
            // temp dir
        }
    }
}
