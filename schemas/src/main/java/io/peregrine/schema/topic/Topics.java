package io.peregrine.schema.topic;

import io.peregrine.schema.Alert;
import io.peregrine.schema.Anomaly;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.AppUsageWindow;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.Incident;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Silence;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.AvroSerde;
import io.peregrine.schema.serde.SerdeConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic catalog: every topic Peregrine reads or writes, with its serdes and layout. This is the
 * only place in the code base that spells a topic name. Built once per process from the registry
 * client and serde settings, then passed to whatever needs it.
 *
 * <p>Keys are plain UTF-8 strings (readable by any Kafka tool and by Flink SQL's {@code raw}
 * format) except the dead-letter topic's, which keeps the rejected record's key bytes as they were.
 * Values are Avro in the Confluent wire format, subjects {@code <topic>-value}.
 */
public final class Topics {

    /** Default partition count: the unit of parallelism for Streams and Flink on this data. */
    public static final int DEFAULT_PARTITIONS = 6;

    private static final Duration RAW_RETENTION = Duration.ofDays(1);
    private static final Duration WINDOW_RETENTION = Duration.ofDays(7);
    private static final Duration ALERT_RETENTION = Duration.ofDays(30);

    private final Topic<String, NodeSample> rawNodeMetrics;
    private final Topic<String, AppSample> rawAppMetrics;
    private final Topic<String, ListenEvent> rawListens;
    private final Topic<String, ConnectionEvent> rawConnections;
    private final Topic<String, L7Event> rawL7;
    private final Topic<String, ProcessEvent> rawLifecycle;
    private final Topic<String, ServiceEdgeWindow> serviceMap;
    private final Topic<String, ServiceEdge> topology;
    private final Topic<String, ServiceSliWindow> sli;
    private final Topic<String, AppUsageWindow> appUsage;
    private final Topic<String, Anomaly> anomalies;
    private final Topic<String, Alert> alerts;
    private final Topic<String, Incident> incidents;
    private final Topic<String, Silence> silences;
    private final Topic<byte[], DeadLetter> dlq;
    private final List<Topic<?, ?>> all;

    private Topics(SchemaRegistryClient client, SerdeConfig serde, int partitions) {
        Factory f = new Factory(client, serde, partitions);
        rawNodeMetrics = f.delete("peregrine.raw.node-metrics", NodeSample.class, RAW_RETENTION, "node");
        rawAppMetrics = f.delete("peregrine.raw.app-metrics", AppSample.class, RAW_RETENTION, "node");
        rawListens = f.compact("peregrine.raw.listens", ListenEvent.class, "node|ip|port");
        rawConnections = f.delete("peregrine.raw.connections", ConnectionEvent.class, RAW_RETENTION, "node");
        rawL7 = f.delete("peregrine.raw.l7", L7Event.class, RAW_RETENTION, "node");
        rawLifecycle = f.delete("peregrine.raw.lifecycle", ProcessEvent.class, RAW_RETENTION, "node");
        serviceMap = f.delete("peregrine.service-map", ServiceEdgeWindow.class, WINDOW_RETENTION, "client app id->server app id");
        topology = f.compact("peregrine.topology", ServiceEdge.class, "client app id->server app id");
        sli = f.delete("peregrine.sli", ServiceSliWindow.class, WINDOW_RETENTION, "app id");
        appUsage = f.delete("peregrine.app-usage", AppUsageWindow.class, WINDOW_RETENTION, "app id");
        anomalies = f.delete("peregrine.anomalies", Anomaly.class, ALERT_RETENTION, "app id");
        alerts = f.delete("peregrine.alerts", Alert.class, ALERT_RETENTION, "alert fingerprint");
        incidents = f.delete("peregrine.incidents", Incident.class, ALERT_RETENTION, "incident id");
        silences = f.compact("peregrine.silences", Silence.class, "silence id");
        dlq = new Topic<>("peregrine.dlq", Serdes.ByteArray(), f.value(DeadLetter.class), DeadLetter.class, partitions,
                CleanupPolicy.DELETE, Optional.of(WINDOW_RETENTION), "the rejected record's original key bytes");
        all = List.of(rawNodeMetrics, rawAppMetrics, rawListens, rawConnections, rawL7, rawLifecycle,
                serviceMap, topology, sli, appUsage, anomalies, alerts, incidents, silences, dlq);
    }

    /** The catalog with {@link #DEFAULT_PARTITIONS} partitions per topic. */
    public static Topics create(SchemaRegistryClient client, SerdeConfig serde) {
        return new Topics(client, serde, DEFAULT_PARTITIONS);
    }

    /** The catalog with {@code partitions} partitions per topic. */
    public static Topics create(SchemaRegistryClient client, SerdeConfig serde, int partitions) {
        return new Topics(client, serde, partitions);
    }

    public Topic<String, NodeSample> rawNodeMetrics() {
        return rawNodeMetrics;
    }

    public Topic<String, AppSample> rawAppMetrics() {
        return rawAppMetrics;
    }

    public Topic<String, ListenEvent> rawListens() {
        return rawListens;
    }

    public Topic<String, ConnectionEvent> rawConnections() {
        return rawConnections;
    }

    public Topic<String, L7Event> rawL7() {
        return rawL7;
    }

    public Topic<String, ProcessEvent> rawLifecycle() {
        return rawLifecycle;
    }

    public Topic<String, ServiceEdgeWindow> serviceMap() {
        return serviceMap;
    }

    public Topic<String, ServiceEdge> topology() {
        return topology;
    }

    public Topic<String, ServiceSliWindow> sli() {
        return sli;
    }

    public Topic<String, AppUsageWindow> appUsage() {
        return appUsage;
    }

    public Topic<String, Anomaly> anomalies() {
        return anomalies;
    }

    public Topic<String, Alert> alerts() {
        return alerts;
    }

    public Topic<String, Incident> incidents() {
        return incidents;
    }

    public Topic<String, Silence> silences() {
        return silences;
    }

    public Topic<byte[], DeadLetter> dlq() {
        return dlq;
    }

    /** Every topic, raw ones first, in the order of the architecture's table. */
    public List<Topic<?, ?>> all() {
        return all;
    }

    /** The topic of that name, if it is one of ours. */
    public Optional<Topic<?, ?>> byName(String name) {
        return all.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    private record Factory(SchemaRegistryClient client, SerdeConfig serde, int partitions) {
        <V extends SpecificRecord> Serde<V> value(Class<V> type) {
            return AvroSerde.specific(client, serde, type, false);
        }

        <V extends SpecificRecord> Topic<String, V> delete(String name, Class<V> type, Duration retention, String key) {
            return new Topic<>(name, Serdes.String(), value(type), type, partitions, CleanupPolicy.DELETE,
                    Optional.of(retention), key);
        }

        <V extends SpecificRecord> Topic<String, V> compact(String name, Class<V> type, String key) {
            return new Topic<>(name, Serdes.String(), value(type), type, partitions, CleanupPolicy.COMPACT,
                    Optional.empty(), key);
        }
    }
}
