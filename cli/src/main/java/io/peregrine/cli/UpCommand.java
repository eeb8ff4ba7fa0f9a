package io.peregrine.cli;

import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import io.peregrine.flink.FlinkJobs;
import io.peregrine.flink.FlinkJobsConfig;
import io.peregrine.streams.StreamsApp;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs the whole pipeline on this machine: a real Kafka broker (own process), the schema registry
 * and the topics. Prints one line per component, then {@code peregrine ready}; stops everything on
 * Ctrl-C or SIGTERM, in reverse order of start.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run Peregrine on this machine: Kafka broker, schema registry, topics, Streams, Flink, edge agent.")
final class UpCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(UpCommand.class);

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Option(names = "--home", paramLabel = "DIR",
            description = "State directory (env PEREGRINE_HOME, default ~/.peregrine); the broker's data is kept there across restarts.")
    Path home;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Port of the embedded broker (default ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--kafka-controller-port", defaultValue = "9093",
            description = "KRaft controller port of the embedded broker (default ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--registry-port", defaultValue = "8081",
            description = "Port of the embedded schema registry (default ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--partitions", defaultValue = "" + Topics.DEFAULT_PARTITIONS,
            description = "Partitions of each topic created (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--agent", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run an edge agent for this machine in its own process (default on; --no-agent to skip).")
    boolean agent;

    @Option(names = "--agent-metrics-port", defaultValue = "9101",
            description = "Port of the agent's Prometheus endpoint (default ${DEFAULT-VALUE}).")
    int agentMetricsPort;

    @Option(names = "--flink", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the Flink jobs (SLO alerting) on an embedded MiniCluster (default on; --no-flink to skip).")
    boolean flink;

    @Option(names = "--flink-rest-port", defaultValue = "8082",
            description = "REST port of the embedded Flink MiniCluster (default ${DEFAULT-VALUE}).")
    int flinkRestPort;

    @Option(names = "--api-port", defaultValue = "8080",
            description = "Port of the query API of the Streams application (default ${DEFAULT-VALUE}).")
    int apiPort;

    @Option(names = "--replication-factor", defaultValue = "1",
            description = "Replication factor of each topic created (default ${DEFAULT-VALUE}).")
    short replicationFactor;

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = PeregrineHome.resolve(home);
        Thread hook = new Thread(this::stopAll, "peregrine-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            String bootstrap;
            if (connection.externalKafka()) {
                bootstrap = connection.bootstrapServers();
                println(out, "kafka      " + bootstrap + " (external)");
            } else {
                EmbeddedKafka kafka = EmbeddedKafka.builder()
                        .dataDir(dir.resolve("kafka"))
                        .logFile(dir.resolve("logs").resolve("kafka.log"))
                        .port(kafkaPort)
                        .controllerPort(controllerPort)
                        .start();
                started.push(kafka);
                watch(kafka);
                bootstrap = kafka.bootstrapServers();
                println(out, "kafka      " + bootstrap + " (embedded, pid " + kafka.process().pid() + ", data "
                        + kafka.dataDir() + ", log " + kafka.logFile() + ")");
            }

            String registryUrl;
            if (connection.externalRegistry()) {
                registryUrl = connection.schemaRegistryUrl();
                println(out, "registry   " + registryUrl + " (external)");
            } else {
                SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
                        .bootstrapServers(bootstrap)
                        .host("127.0.0.1")
                        .port(registryPort)
                        .kafkaProperties(connection.extraConfig())
                        .build());
                started.push(registry);
                registryUrl = registry.url();
                println(out, "registry   " + registryUrl + " (embedded)");
            }

            SchemaRegistryClient client = SchemaRegistryClient.create(connection.registryConfig(registryUrl));
            Topics topics = Topics.create(client, SerdeConfig.from(connection.registryConfig(registryUrl)), partitions);
            List<TopicAdmin.Status> status;
            try (Admin admin = Admin.create(connection.kafkaConfig(bootstrap))) {
                status = TopicAdmin.ensure(admin, topics.all(), replicationFactor);
            }
            long created = status.stream().filter(TopicAdmin.Status::created).count();
            println(out, "topics     " + status.size() + " ready (" + created + " created, " + partitions
                    + " partitions each; `peregrine topics list` shows them)");
            ConnectionOptions resolved = connection.resolved(bootstrap, registryUrl);
            StreamsApp streams = StreamsCommand.start(resolved, dir, "127.0.0.1", apiPort, Map.of());
            started.push(streams);
            println(out, StreamsCommand.describe(streams));
            if (flink) {
                JobClient job = FlinkJobs.start(FlinkJobsConfig.parse(new String[] {"--local",
                        "--bootstrap-servers", bootstrap, "--schema-registry-url", registryUrl,
                        "--rest-port", Integer.toString(flinkRestPort)}, System.getenv()));
                started.push(() -> job.cancel().get(60, TimeUnit.SECONDS));
                println(out, "flink      http://127.0.0.1:" + flinkRestPort + " (job " + job.getJobID()
                        + " on an embedded MiniCluster)");
            }
            if (agent) {
                AgentProcess agentProcess = AgentProcess.start(dir, bootstrap, registryUrl, agentMetricsPort);
                started.push(agentProcess);
                println(out, "agent      pid " + agentProcess.pid() + " (metrics http://127.0.0.1:" + agentMetricsPort
                        + "/metrics, log " + agentProcess.log() + ")");
            }
            println(out, "peregrine ready");
        } catch (Exception e) {
            stopAll();
            throw e;
        }
        stopped.await();
        return 0;
    }

    /** If the broker dies under us, say so and stop the rest rather than serve a dead pipeline. */
    private void watch(EmbeddedKafka kafka) {
        kafka.process().onExit().thenRun(() -> {
            if (stopped.getCount() > 0 && !stopping) {
                log.error("the Kafka broker exited unexpectedly; see {}", kafka.logFile());
                System.exit(1);
            }
        });
    }

    private synchronized void stopAll() {
        if (stopping) {
            return;
        }
        stopping = true;
        while (!started.isEmpty()) {
            AutoCloseable c = started.pop();
            try {
                c.close();
            } catch (Exception e) {
                log.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
        System.err.println("peregrine stopped");
        stopped.countDown();
    }

    private static void println(PrintWriter out, String line) {
        out.println(line);
        out.flush();
    }
}
