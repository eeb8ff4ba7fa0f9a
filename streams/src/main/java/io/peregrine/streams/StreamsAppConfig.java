package io.peregrine.streams;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Every setting of the Streams application, declared once in {@link #CONFIG_DEF} (Kafka's
 * {@code ConfigDef}: key, type, default, validation, one line of documentation). Cross-field rules
 * live in the constructor; a value the user set that conflicts with another is an error at start-up.
 *
 * <p>Kafka Streams settings that Peregrine does not model can be passed with the {@code streams.}
 * prefix ({@code streams.num.standby.replicas=1}); the ones modelled here cannot be overridden that
 * way, so there is one place each is decided.
 */
public final class StreamsAppConfig {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String APPLICATION_ID = "application.id";
    public static final String STATE_DIR = "state.dir";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
    public static final String NUM_STREAM_THREADS = "num.stream.threads";
    public static final String WINDOW_SIZE_MS = "window.size.ms";
    public static final String WINDOW_GRACE_MS = "window.grace.ms";
    public static final String SLO_LATENCY_THRESHOLD_MS = "slo.latency.threshold.ms";
    public static final String SLO_LATENCY_THRESHOLD_OVERRIDES = "slo.latency.threshold.overrides";
    public static final String API_HOST = "api.host";
    public static final String API_PORT = "api.port";
    public static final String API_ADVERTISED_HOST = "api.advertised.host";
    public static final String API_ADVERTISED_PORT = "api.advertised.port";
    public static final String QUERY_RETENTION_MS = "query.retention.ms";
    public static final String TOPOLOGY_EDGE_TTL_MS = "topology.edge.ttl.ms";
    public static final String MAX_FUTURE_SKEW_MS = "max.future.skew.ms";
    public static final String IDLE_SOURCE_TIMEOUT_MS = "idle.source.timeout.ms";
    public static final String DNS_NAME_TTL_MS = "dns.name.ttl.ms";
    public static final String TOPIC_PARTITIONS = "topic.partitions";
    public static final String TOPIC_REPLICATION_FACTOR = "topic.replication.factor";

    /** Prefix of Kafka Streams settings passed through unchanged (without the prefix). */
    public static final String STREAMS_PREFIX = "streams.";

    public static final String EXACTLY_ONCE_V2 = StreamsConfig.EXACTLY_ONCE_V2;
    public static final String AT_LEAST_ONCE = StreamsConfig.AT_LEAST_ONCE;

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.LIST, "127.0.0.1:9092", new ConfigDef.NonNullValidator(), Importance.HIGH,
                    "Kafka brokers, host:port[,host:port...].")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, "http://127.0.0.1:8081",
                    new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH,
                    "Confluent-compatible schema registry URL(s), comma-separated.")
            .define(APPLICATION_ID, Type.STRING, "peregrine-streams", new ConfigDef.NonEmptyStringWithoutControlChars(),
                    Importance.HIGH, "Kafka Streams application id: the consumer group and the prefix of internal topics; "
                            + "instances with the same id share the work.")
            .define(STATE_DIR, Type.STRING, defaultStateDir().toString(), new ConfigDef.NonEmptyStringWithoutControlChars(),
                    Importance.MEDIUM, "Directory of local state (RocksDB window stores for the query API).")
            .define(PROCESSING_GUARANTEE, Type.STRING, EXACTLY_ONCE_V2,
                    ConfigDef.ValidString.in(EXACTLY_ONCE_V2, AT_LEAST_ONCE), Importance.MEDIUM,
                    "exactly_once_v2 (the default: no window counted twice or lost across failures) or at_least_once.")
            .define(COMMIT_INTERVAL_MS, Type.LONG, 100L, ConfigDef.Range.between(10, 60_000), Importance.MEDIUM,
                    "How often state, pre-aggregated partials and outputs are committed; bounds output latency.")
            .define(NUM_STREAM_THREADS, Type.INT, 1, ConfigDef.Range.between(1, 64), Importance.MEDIUM,
                    "Stream threads of this instance.")
            .define(WINDOW_SIZE_MS, Type.LONG, 10_000L, ConfigDef.Range.between(1_000, 3_600_000), Importance.HIGH,
                    "Length of the tumbling event-time windows of the service map, SLIs and app usage.")
            .define(WINDOW_GRACE_MS, Type.LONG, 5_000L, ConfigDef.Range.between(0, 3_600_000), Importance.HIGH,
                    "How long after its end a window still accepts out-of-order events before its final result is emitted.")
            .define(SLO_LATENCY_THRESHOLD_MS, Type.LONG, 500L, ConfigDef.Range.between(1, 3_600_000), Importance.MEDIUM,
                    "Default latency SLO threshold: a request is fast when it completes within this many ms.")
            .define(SLO_LATENCY_THRESHOLD_OVERRIDES, Type.LIST, "", Importance.MEDIUM,
                    "Per-application thresholds as app-id=ms pairs, e.g. k8s/shop/reports=5000,systemd/kafka.service=2000.")
            .define(API_HOST, Type.STRING, "127.0.0.1", new ConfigDef.NonEmptyStringWithoutControlChars(),
                    Importance.HIGH, "Address the query API binds to.")
            .define(API_PORT, Type.INT, 8080, ConfigDef.Range.between(0, 65535), Importance.HIGH,
                    "Port of the query API; 0 picks a free one.")
            .define(API_ADVERTISED_HOST, Type.STRING, "", Importance.MEDIUM,
                    "Host other instances use to reach this one's API (application.server); empty means api.host.")
            .define(API_ADVERTISED_PORT, Type.INT, -1, ConfigDef.Range.between(-1, 65535), Importance.LOW,
                    "Port other instances use to reach this one's API; -1 means the bound api.port.")
            .define(QUERY_RETENTION_MS, Type.LONG, Duration.ofHours(6).toMillis(),
                    ConfigDef.Range.between(60_000, Duration.ofDays(30).toMillis()), Importance.MEDIUM,
                    "How long closed windows stay queryable through the API (local RocksDB window stores).")
            .define(TOPOLOGY_EDGE_TTL_MS, Type.LONG, Duration.ofHours(1).toMillis(),
                    ConfigDef.Range.between(1_000, Duration.ofDays(30).toMillis()), Importance.LOW,
                    "An edge without traffic for this long (event time) is removed from peregrine.topology with a tombstone.")
            .define(MAX_FUTURE_SKEW_MS, Type.LONG, Duration.ofMinutes(5).toMillis(),
                    ConfigDef.Range.between(0, Duration.ofDays(1).toMillis()), Importance.LOW,
                    "Events timestamped more than this ahead of the wall clock are rejected to the DLQ.")
            .define(IDLE_SOURCE_TIMEOUT_MS, Type.LONG, 5_000L, ConfigDef.Range.between(100, 600_000), Importance.LOW,
                    "A raw partition without records for this long (wall clock) stops holding back window closing.")
            .define(DNS_NAME_TTL_MS, Type.LONG, Duration.ofHours(1).toMillis(),
                    ConfigDef.Range.between(1_000, Duration.ofDays(7).toMillis()), Importance.LOW,
                    "How long (event time) an IP keeps the DNS name a node last resolved it from.")
            .define(TOPIC_PARTITIONS, Type.INT, 6, ConfigDef.Range.between(1, 10_000), Importance.LOW,
                    "Partitions of Peregrine topics this application creates when they are missing.")
            .define(TOPIC_REPLICATION_FACTOR, Type.SHORT, (short) 1, ConfigDef.Range.between(1, 32), Importance.LOW,
                    "Replication factor of Peregrine topics this application creates when they are missing.");

    private final Map<String, Object> values;
    private final Map<String, Long> thresholdOverrides;
    private final Map<String, Object> streamsOverrides;
    private final Map<String, Object> originals;

    public StreamsAppConfig(Map<String, ?> originals) {
        Map<String, Object> own = new HashMap<>();
        Map<String, Object> passthrough = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : originals.entrySet()) {
            if (e.getKey().startsWith(STREAMS_PREFIX)) {
                passthrough.put(e.getKey().substring(STREAMS_PREFIX.length()), e.getValue());
            } else {
                own.put(e.getKey(), e.getValue());
            }
        }
        this.originals = Map.copyOf(originals);
        this.values = CONFIG_DEF.parse(own);
        for (String key : passthrough.keySet()) {
            if (CONFIG_DEF.configKeys().containsKey(key) || key.equals(StreamsConfig.APPLICATION_SERVER_CONFIG)) {
                throw new ConfigException(STREAMS_PREFIX + key, passthrough.get(key),
                        "is decided by Peregrine's own setting" + (CONFIG_DEF.configKeys().containsKey(key) ? " '" + key + "'" : "")
                                + "; set that instead");
            }
        }
        this.streamsOverrides = Collections.unmodifiableMap(passthrough);
        this.thresholdOverrides = parseOverrides(getList(SLO_LATENCY_THRESHOLD_OVERRIDES));
        if (getList(BOOTSTRAP_SERVERS).isEmpty()) {
            throw new ConfigException(BOOTSTRAP_SERVERS, "", "must list at least one host:port");
        }
        if (windowGrace().compareTo(Duration.ofMillis(getLong(QUERY_RETENTION_MS))) > 0) {
            throw new ConfigException(WINDOW_GRACE_MS, getLong(WINDOW_GRACE_MS),
                    "must not exceed " + QUERY_RETENTION_MS + " (" + getLong(QUERY_RETENTION_MS) + ")");
        }
    }

    /** Defaults only (plus what is given). */
    public static StreamsAppConfig of(Map<String, ?> settings) {
        return new StreamsAppConfig(settings);
    }

    private static Map<String, Long> parseOverrides(List<String> pairs) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String pair : pairs) {
            String p = pair.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.lastIndexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw new ConfigException(SLO_LATENCY_THRESHOLD_OVERRIDES, pair, "expected app-id=milliseconds");
            }
            String app = p.substring(0, eq).trim();
            long ms;
            try {
                ms = Long.parseLong(p.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(SLO_LATENCY_THRESHOLD_OVERRIDES, pair, "threshold is not a whole number of ms");
            }
            if (ms < 1 || ms > 3_600_000) {
                throw new ConfigException(SLO_LATENCY_THRESHOLD_OVERRIDES, pair, "threshold must be 1..3600000 ms");
            }
            if (out.put(app, ms) != null) {
                throw new ConfigException(SLO_LATENCY_THRESHOLD_OVERRIDES, pair, "application " + app + " listed twice");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    static Path defaultStateDir() {
        String home = System.getenv("PEREGRINE_HOME");
        Path base = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".peregrine");
        return base.resolve("streams");
    }

    @SuppressWarnings("unchecked")
    private List<String> getList(String key) {
        return (List<String>) values.get(key);
    }

    private long getLong(String key) {
        return (Long) values.get(key);
    }

    public List<String> bootstrapServers() {
        return getList(BOOTSTRAP_SERVERS);
    }

    public String schemaRegistryUrl() {
        return (String) values.get(SCHEMA_REGISTRY_URL);
    }

    public String applicationId() {
        return (String) values.get(APPLICATION_ID);
    }

    public Path stateDir() {
        return Path.of((String) values.get(STATE_DIR));
    }

    public String processingGuarantee() {
        return (String) values.get(PROCESSING_GUARANTEE);
    }

    public Duration commitInterval() {
        return Duration.ofMillis(getLong(COMMIT_INTERVAL_MS));
    }

    public int numStreamThreads() {
        return (Integer) values.get(NUM_STREAM_THREADS);
    }

    public Duration windowSize() {
        return Duration.ofMillis(getLong(WINDOW_SIZE_MS));
    }

    public Duration windowGrace() {
        return Duration.ofMillis(getLong(WINDOW_GRACE_MS));
    }

    public long defaultLatencyThresholdMs() {
        return getLong(SLO_LATENCY_THRESHOLD_MS);
    }

    /** Per-application latency thresholds in ms, by app id. */
    public Map<String, Long> latencyThresholdOverrides() {
        return thresholdOverrides;
    }

    public String apiHost() {
        return (String) values.get(API_HOST);
    }

    public int apiPort() {
        return (Integer) values.get(API_PORT);
    }

    /** Host advertised to other instances; api.host when not set. */
    public String apiAdvertisedHost() {
        String h = ((String) values.get(API_ADVERTISED_HOST)).trim();
        return h.isEmpty() ? apiHost() : h;
    }

    /** -1 when the bound port is advertised. */
    public int apiAdvertisedPort() {
        return (Integer) values.get(API_ADVERTISED_PORT);
    }

    public Duration queryRetention() {
        return Duration.ofMillis(getLong(QUERY_RETENTION_MS));
    }

    public Duration topologyEdgeTtl() {
        return Duration.ofMillis(getLong(TOPOLOGY_EDGE_TTL_MS));
    }

    public Duration maxFutureSkew() {
        return Duration.ofMillis(getLong(MAX_FUTURE_SKEW_MS));
    }

    public Duration idleSourceTimeout() {
        return Duration.ofMillis(getLong(IDLE_SOURCE_TIMEOUT_MS));
    }

    public Duration dnsNameTtl() {
        return Duration.ofMillis(getLong(DNS_NAME_TTL_MS));
    }

    public int topicPartitions() {
        return (Integer) values.get(TOPIC_PARTITIONS);
    }

    public short topicReplicationFactor() {
        return (Short) values.get(TOPIC_REPLICATION_FACTOR);
    }

    /** The Kafka Streams settings passed through with the {@code streams.} prefix (prefix removed). */
    public Map<String, Object> streamsOverrides() {
        return streamsOverrides;
    }

    public Map<String, Object> originals() {
        return originals;
    }

    /** The topology's settings; {@code sourcePartitions} is the partition count of the raw event topics. */
    public TopologySettings topologySettings(int sourcePartitions) {
        return new TopologySettings(windowSize(), windowGrace(), defaultLatencyThresholdMs(), latencyThresholdOverrides(),
                queryRetention(), topologyEdgeTtl(), maxFutureSkew(), idleSourceTimeout(), dnsNameTtl(), sourcePartitions);
    }

    /**
     * Kafka Streams properties: the passthrough ones first, then Peregrine's decisions (which win).
     *
     * @param applicationServer host:port advertised for interactive queries
     */
    public Properties streamsProperties(String applicationServer) {
        Properties p = new Properties();
        p.putAll(streamsOverrides);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", bootstrapServers()));
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval().toMillis());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, numStreamThreads());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        // The record cache is off: Peregrine pre-aggregates in its own processors and flushes on
        // commit, so a second buffer would only delay outputs and cost serialization.
        p.putIfAbsent(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
        p.putIfAbsent(StreamsConfig.topicPrefix("compression.type"), "producer");
        p.putIfAbsent(StreamsConfig.producerPrefix("compression.type"), "lz4");
        p.putIfAbsent(StreamsConfig.producerPrefix("linger.ms"), 5);
        return p;
    }

    @Override
    public String toString() {
        return "StreamsAppConfig" + values;
    }
}
