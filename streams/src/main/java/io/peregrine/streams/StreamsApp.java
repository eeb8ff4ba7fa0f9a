package io.peregrine.streams;

import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.api.HttpApiServer;
import io.peregrine.streams.api.QueryService;
import io.peregrine.streams.dlq.TableRejects;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Streams application as a component: {@link #start()} ensures the topics, binds the query API
 * and starts Kafka Streams; {@link #close()} stops both. The CLI's {@code peregrine streams} (and
 * {@code peregrine up}) create one from a {@link StreamsAppConfig} and call these.
 *
 * <pre>{@code
 * try (StreamsApp app = StreamsApp.create(StreamsAppConfig.of(Map.of("bootstrap.servers", "127.0.0.1:9092")))) {
 *   app.start();
 *   app.awaitRunning(Duration.ofSeconds(60));
 *   ... app.apiUrl() ...
 * }
 * }</pre>
 */
public final class StreamsApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamsApp.class);

    private final StreamsAppConfig config;
    private final PipelineCounters counters = new PipelineCounters();
    private volatile KafkaStreams streams;
    private volatile HostInfo self;
    private HttpApiServer api;
    private KafkaProducer<byte[], DeadLetter> rejectsProducer;
    private Topics topics;

    private StreamsApp(StreamsAppConfig config) {
        this.config = config;
    }

    /** An application not yet started: creating it has no side effects. */
    public static StreamsApp create(StreamsAppConfig config) {
        return new StreamsApp(config);
    }

    public synchronized void start() {
        if (streams != null) {
            throw new IllegalStateException("already started");
        }
        SchemaRegistryClient registry = SchemaRegistryClient.create(Map.of("schema.registry.url", config.schemaRegistryUrl()));
        topics = Topics.create(registry, SerdeConfig.from(Map.of()), config.topicPartitions());
        int sourcePartitions = ensureTopics();
        TopologySettings settings = config.topologySettings(sourcePartitions);

        QueryService service = new QueryService(() -> streams, () -> self, sourcePartitions, settings.windowSize(),
                settings.queryRetention(), counters, Clock.systemUTC());
        try {
            api = HttpApiServer.start(config.apiHost(), config.apiPort(), service);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the query API", e);
        }
        int advertisedPort = config.apiAdvertisedPort() >= 0 ? config.apiAdvertisedPort() : api.port();
        self = new HostInfo(config.apiAdvertisedHost(), advertisedPort);

        Properties props = config.streamsProperties(self.host() + ":" + self.port());
        rejectsProducer = new KafkaProducer<>(producerProps(), new ByteArraySerializer(),
                topics.dlq().valueSerde().serializer());
        TableRejects rejects = this::sendTableReject;
        StreamsBuilder builder = new StreamsBuilder();
        PeregrineTopology.build(builder, settings, topics, registry, counters, rejects);
        Topology topology = builder.build(props);
        log.debug("Topology:\n{}", topology.describe());
        KafkaStreams ks = new KafkaStreams(topology, props);
        ks.setUncaughtExceptionHandler(e -> {
            log.error("Stream thread failed; replacing it (processing resumes from the last commit)", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        ks.setStateListener((now, before) -> log.info("Streams state {} -> {}", before, now));
        streams = ks;
        ks.start();
        log.info("Peregrine streams started: application {} on {}, query API on http://{}:{} ({} source partitions)",
                config.applicationId(), String.join(",", config.bootstrapServers()), config.apiHost(), api.port(),
                sourcePartitions);
    }

    /** Creates missing topics; returns the partition count of the raw event topics. */
    private int ensureTopics() {
        Map<String, Object> adminProps = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                String.join(",", config.bootstrapServers()));
        try (Admin admin = Admin.create(adminProps)) {
            List<TopicAdmin.Status> status = TopicAdmin.ensure(admin, topics.all(), config.topicReplicationFactor());
            int max = 1;
            for (TopicAdmin.Status s : status) {
                String n = s.topic().name();
                if (n.equals(topics.rawL7().name()) || n.equals(topics.rawConnections().name())
                        || n.equals(topics.rawAppMetrics().name())) {
                    max = Math.max(max, s.partitions());
                }
            }
            return max;
        }
    }

    private Map<String, Object> producerProps() {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", config.bootstrapServers()),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.CLIENT_ID_CONFIG, config.applicationId() + "-table-rejects");
    }

    private void sendTableReject(Record<Object, Object> r) {
        KafkaProducer<byte[], DeadLetter> p = rejectsProducer;
        if (p != null) {
            p.send(new ProducerRecord<>(topics.dlq().name(), null, r.timestamp(), (byte[]) r.key(),
                    (DeadLetter) r.value(), r.headers()));
        }
    }

    /** Waits until Kafka Streams is RUNNING; false on timeout or if it failed. */
    public boolean awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams s = streams;
            if (s != null && s.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (s != null && (s.state() == KafkaStreams.State.ERROR || s.state() == KafkaStreams.State.NOT_RUNNING)) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** {@code http://host:port} of this instance's query API. */
    public String apiUrl() {
        return "http://" + config.apiHost() + ":" + api.port();
    }

    public KafkaStreams.State state() {
        KafkaStreams s = streams;
        return s == null ? KafkaStreams.State.CREATED : s.state();
    }

    public PipelineCounters counters() {
        return counters;
    }

    public StreamsAppConfig config() {
        return config;
    }

    /**
     * Stops the API and Kafka Streams (committing what was processed), bounded to about 30 s. The
     * instance leaves the consumer group, so that the other instances take over its partitions at
     * once instead of after the session timeout, during which its keys could not be queried.
     */
    @Override
    public synchronized void close() {
        if (api != null) {
            api.close();
            api = null;
        }
        KafkaStreams s = streams;
        if (s != null) {
            s.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
        }
        if (rejectsProducer != null) {
            rejectsProducer.close(Duration.ofSeconds(5));
            rejectsProducer = null;
        }
        log.info("Peregrine streams stopped");
    }
}
