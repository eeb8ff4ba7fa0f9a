package io.peregrine.flink;

import io.peregrine.flink.config.PeregrineYaml;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.AppId;
import io.peregrine.schema.Incident;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension for ITs that run the alerting jobs end to end as {@link FlinkJobs#define} wires
 * them: our registry on the JVM's shared embedded broker with every topic of the catalog (2
 * partitions each), started before the class's tests and stopped after; the jobs' configuration
 * and environment; generated SLI windows in, incidents read back. Shared with the CLI's ITs
 * through this module's test-jar. A job's group should start at the SLI topic's end
 * ({@link ConsumerGroups#startAtEnd}): other ITs of the JVM write to the same topics.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final AlertingPipeline PIPELINE = new AlertingPipeline();
 * }</pre>
 */
public final class AlertingPipeline implements BeforeAllCallback, AfterAllCallback {

    /** The length of the SLI windows {@link #sli} generates. */
    public static final Duration WINDOW = Duration.ofSeconds(10);

    private final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();
    private SchemaRegistryServer registry;
    private Topics topics;

    @Override
    public void beforeAll(ExtensionContext context) {
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build());
        topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url())),
                SerdeConfig.from(Map.of()), 2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicAdmin.ensure(admin, topics.all(), (short) 1);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    public Topics topics() {
        return topics;
    }

    /** The jobs' command line against this broker and registry, {@code groupId} also the transactional id prefix. */
    public FlinkJobsConfig config(String groupId, Path home) {
        return FlinkJobsConfig.parse(new String[] {
                "--bootstrap-servers", bootstrapServers(), "--schema-registry-url", registryUrl(),
                "--group-id", groupId, "--transactional-id-prefix", groupId},
                Map.of("PEREGRINE_HOME", home.toString()));
    }

    /**
     * Defines the alerting jobs on an environment of {@code conf} (the test's MiniCluster if it has
     * one, else a local one) at parallelism 2, checkpointing exactly once every 500 ms, and starts them.
     */
    public static JobClient start(Configuration conf, FlinkJobsConfig config, PeregrineYaml yaml, String name)
            throws Exception {
        conf.set(PipelineOptions.GENERIC_TYPES, false); // everything travels with Avro or POJO serializers
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
        FlinkJobs.define(env, config, yaml);
        return env.executeAsync(name);
    }

    /** A producer of serialized records (acks=all); the caller closes it. */
    public KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A Kubernetes application {@code k8s/shop/<name>}. */
    public static AppId app(String name) {
        return AppId.newBuilder(SampleRecords.checkoutApp()).setId("k8s/shop/" + name).setName(name).build();
    }

    /** {@code app}'s SLI window number {@code index} after {@code t0}: 100 requests, {@code bad} of them failing. */
    public static ServiceSliWindow sli(Instant t0, AppId app, int index, long bad) {
        return sli(t0, app, index, 100, bad);
    }

    /** {@code app}'s SLI window number {@code index} after {@code t0}: {@code total} requests, {@code bad} failing. */
    public static ServiceSliWindow sli(Instant t0, AppId app, int index, long total, long bad) {
        Instant start = t0.plus(WINDOW.multipliedBy(index));
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        w.setApp(app);
        w.setWindowStart(start);
        w.setWindowEnd(start.plus(WINDOW));
        w.setRequests(total);
        w.setErrors(bad);
        w.setTotal(total);
        w.setAvailabilityGood(total - bad);
        w.setLatencyGood(total - bad);
        return w;
    }

    /** Writes {@code windows} in order to peregrine.sli, keyed by app id and stamped with their end. */
    public void send(KafkaProducer<byte[], byte[]> producer, List<ServiceSliWindow> windows) {
        Topic<String, ServiceSliWindow> sli = topics.sli();
        for (ServiceSliWindow w : windows) {
            producer.send(new ProducerRecord<>(sli.name(), null, w.getWindowEnd().toEpochMilli(),
                    w.getApp().getId().getBytes(StandardCharsets.UTF_8),
                    sli.valueSerde().serializer().serialize(sli.name(), w)));
        }
        producer.flush();
    }

    /**
     * This run's incident versions on peregrine.incidents (read committed): those affecting an app
     * whose id ends with {@code run}, read as {@link TopicReader#read} does.
     */
    public List<Incident> incidents(String run, Predicate<List<Incident>> done, Duration timeout) {
        return TopicReader.read(bootstrapServers(), topics.incidents(), "read_committed",
                i -> i != null && i.getAffectedApps().stream().anyMatch(a -> a.getId().endsWith(run)), done, timeout);
    }
}
