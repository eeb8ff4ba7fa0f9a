package io.peregrine.agent;

import io.peregrine.agent.ebpf.EbpfSensorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Every setting of the agent, with its type, default, validation and documentation (Kafka's
 * ConfigDef). Settings prefixed {@code producer.} go to the Kafka producer, and those prefixed
 * {@code registry.} to the schema registry client (e.g. {@code registry.basic.auth.user.info}), and
 * the other {@code ebpf.} settings to the eBPF sensor ({@link EbpfSensorConfig}).
 */
public final class AgentConfig extends AbstractConfig {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String INTERVAL_MS = "interval.ms";
    public static final String PROC_ROOT = "proc.root";
    public static final String SYS_ROOT = "sys.root";
    public static final String HOST_ROOT = "host.root";
    public static final String NODE_NAME = "node.name";
    public static final String SPOOL_DIR = "spool.dir";
    public static final String SPOOL_MAX_BYTES = "spool.max.bytes";
    public static final String QUEUE_CAPACITY = "queue.capacity";
    public static final String CLOUD_METADATA_ENABLED = "cloud.metadata.enabled";
    public static final String METRICS_HOST = "metrics.host";
    public static final String METRICS_PORT = "metrics.port";
    public static final String EBPF_MODE = "ebpf.mode";
    public static final String EBPF_PREFIX = "ebpf.";
    public static final String PRODUCER_PREFIX = "producer.";
    public static final String REGISTRY_PREFIX = "registry.";

    public static final ConfigDef CONFIG = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.STRING, "127.0.0.1:9092", Importance.HIGH,
                    "Kafka bootstrap servers the agent publishes to.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, "http://127.0.0.1:8081", Importance.HIGH,
                    "Confluent-compatible schema registry (several URLs comma-separated).")
            .define(INTERVAL_MS, Type.LONG, 5_000L, Range.between(500L, 3_600_000L), Importance.HIGH,
                    "How often the collectors scan the host, in milliseconds.")
            .define(PROC_ROOT, Type.STRING, "/proc", Importance.MEDIUM,
                    "Where the host's procfs is mounted (e.g. /host/proc in a container).")
            .define(SYS_ROOT, Type.STRING, "/sys", Importance.MEDIUM,
                    "Where the host's sysfs is mounted (cgroups are read below fs/cgroup).")
            .define(HOST_ROOT, Type.STRING, "/", Importance.MEDIUM,
                    "Where the host's root filesystem is mounted: /etc/machine-id, and the container runtimes' "
                            + "state that names containers (/run/docker.sock, /run/containerd, /run/containers).")
            .define(NODE_NAME, Type.STRING, "", Importance.MEDIUM,
                    "Name of this node in every record; empty means the host name.")
            .define(SPOOL_DIR, Type.STRING, "", Importance.MEDIUM,
                    "Directory of the disk spool that keeps records while Kafka is unreachable; empty means "
                            + "$PEREGRINE_HOME/agent-spool.")
            .define(SPOOL_MAX_BYTES, Type.LONG, 512L << 20, Range.atLeast(16L << 20), Importance.MEDIUM,
                    "Cap of the disk spool in bytes; when reached the oldest records are dropped and counted.")
            .define(QUEUE_CAPACITY, Type.INT, 100_000, Range.atLeast(1_000), Importance.LOW,
                    "Records kept in memory between the collectors and the sender; when full the oldest are "
                            + "dropped and counted.")
            .define(CLOUD_METADATA_ENABLED, Type.BOOLEAN, false, Importance.LOW,
                    "Read the cloud provider's instance metadata service (provider, region, zone, instance "
                            + "type, spot) with short timeouts, for cost allocation.")
            .define(EBPF_MODE, Type.STRING, EbpfMode.AUTO.text(),
                    ConfigDef.ValidString.in("auto", "on", "off"), Importance.HIGH,
                    "The eBPF sensor (exact connections, L7 requests, process lifecycle): auto runs it when the "
                            + "host allows (root, BTF, a kernel that accepts the programs) and otherwise warns once "
                            + "and goes on with procfs only; on refuses to start without it; off never loads it.")
            .define(METRICS_HOST, Type.STRING, "127.0.0.1", Importance.LOW,
                    "Address of the agent's own Prometheus endpoint.")
            .define(METRICS_PORT, Type.INT, 9101, Range.between(0, 65535), Importance.LOW,
                    "Port of the agent's own Prometheus endpoint; 0 picks a free one.");

    public AgentConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
        if (getString(BOOTSTRAP_SERVERS).isBlank()) {
            throw new ConfigException(BOOTSTRAP_SERVERS, "", "must name at least one broker");
        }
        ebpfSensorConfig(); // its own rules, checked at start-up

    }

    /** What {@link #EBPF_MODE} asks for. */
    public enum EbpfMode {
        AUTO, ON, OFF;

        String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public EbpfMode ebpfMode() {
        return EbpfMode.valueOf(getString(EBPF_MODE).toUpperCase(Locale.ROOT));
    }

    /** The sensor's settings: the {@code ebpf.*} ones given (the mode excluded), enabled unless off. */
    public EbpfSensorConfig ebpfSensorConfig() {
        Map<String, Object> e = new HashMap<>();
        originals().forEach((k, v) -> {
            if (k.startsWith(EBPF_PREFIX) && !k.equals(EBPF_MODE)) {
                e.put(k, v);
            }
        });
        if (e.containsKey(EbpfSensorConfig.ENABLED)) {
            throw new ConfigException(EbpfSensorConfig.ENABLED, e.get(EbpfSensorConfig.ENABLED),
                    "use " + EBPF_MODE + " (auto, on, off) to choose whether the sensor runs");
        }
        e.put(EbpfSensorConfig.ENABLED, ebpfMode() != EbpfMode.OFF);
        return new EbpfSensorConfig(e);
    }

    public Duration interval() {
        return Duration.ofMillis(getLong(INTERVAL_MS));
    }

    public Path procRoot() {
        return Path.of(getString(PROC_ROOT));
    }

    public Path sysRoot() {
        return Path.of(getString(SYS_ROOT));
    }

    public Path hostRoot() {
        return Path.of(getString(HOST_ROOT));
    }

    /** The spool directory, resolved against {@code home} when not set. */
    public Path spoolDir(Path home) {
        String dir = getString(SPOOL_DIR);
        return dir.isBlank() ? home.resolve("agent-spool") : Path.of(dir);
    }

    /** Producer settings: the agent's defaults for many small records, then the user's {@code producer.*}. */
    public Map<String, Object> producerConfig() {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", getString(BOOTSTRAP_SERVERS));
        p.put("enable.idempotence", true);
        p.put("acks", "all");
        // The producer compresses inside send(), on the agent's thread: lz4 costs the agent ~50 ns
        // per L7 event over none and zstd ~200 (CompressionCpuBenchmark), for ~23 bytes an event on
        // the broker against zstd's ~8 and none's ~185. The agent's CPU is taken from the host it
        // watches; the broker's disk is sized by the user, so the agent takes the cheap codec.
        p.put("compression.type", "lz4");
        // Many small records: the publisher hands over up to 10,000 at once and waits for their
        // acknowledgements, so the producer need not wait to fill batches. Keep the buffer small.
        p.put("linger.ms", 5);
        p.put("batch.size", 256 * 1024);
        p.put("buffer.memory", 16L << 20);
        // Fail fast when Kafka is away: the spool takes over instead of the producer's buffer.
        p.put("max.block.ms", 3_000);
        p.put("request.timeout.ms", 10_000);
        p.put("delivery.timeout.ms", 30_000);
        p.put("client.id", "peregrine-agent");
        p.putAll(originalsWithPrefix(PRODUCER_PREFIX));
        return p;
    }

    /** The producer's {@code delivery.timeout.ms}, the agent's default or the user's {@code producer.*}. */
    public java.time.Duration deliveryTimeout() {
        return java.time.Duration.ofMillis(Long.parseLong(String.valueOf(producerConfig().get("delivery.timeout.ms")).trim()));
    }

    /** Registry client settings: the URL, no client-side retries (the publisher retries), then {@code registry.*}. */
    public Map<String, Object> registryConfig() {
        Map<String, Object> r = new HashMap<>();
        r.put("schema.registry.url", getString(SCHEMA_REGISTRY_URL));
        r.put("max.retries", 0);
        r.put("http.connect.timeout.ms", 2_000);
        r.put("http.read.timeout.ms", 5_000);
        r.putAll(originalsWithPrefix(REGISTRY_PREFIX));
        return r;
    }
}
