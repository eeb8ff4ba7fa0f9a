package io.peregrine.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (combined broker and controller, one node), run from the
 * {@code kafka_2.13} classes on our own class path.
 *
 * <p>The broker runs in a child JVM rather than in the caller's: a broker that runs out of memory,
 * hits a fatal log error or calls {@code Exit.halt} (Kafka does on several fatal paths) takes
 * only itself down; its heap and GC are separate, so the agent's, the registry's and the broker's
 * costs can be measured apart; and it is stopped the way production brokers are, by a clean
 * shutdown of the process. The price is a second JVM start (about 2–4 s), paid once.
 * The child exits when this process closes its stdin or dies (see {@link BrokerMain}), so no
 * broker is ever left running behind us.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final Config config;
    private final Process process;
    private final OutputStream lifeline;
    private final String bootstrapServers;

    private EmbeddedKafka(Config config, Process process, String bootstrapServers) {
        this.config = config;
        this.process = process;
        this.lifeline = process.getOutputStream();
        this.bootstrapServers = bootstrapServers;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** "host:port" of the PLAINTEXT listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The broker's process, for callers that measure it or check it is gone. */
    public ProcessHandle process() {
        return process.toHandle();
    }

    public Path dataDir() {
        return config.dataDir;
    }

    public Path logFile() {
        return config.logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Stops the broker cleanly (controlled shutdown), forcibly after the stop timeout. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        try {
            lifeline.close();
        } catch (IOException ignored) {
            // The child sees the broken pipe as end-of-file all the same.
        }
        try {
            if (!process.waitFor(config.stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Kafka broker (pid {}) did not stop within {}; killing it", process.pid(), config.stopTimeout);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** How the broker is started. Ports of 0 are chosen free at start. */
    public static final class Config {
        final Path dataDir;
        final Path logFile;
        final String host;
        final int port;
        final int controllerPort;
        final Map<String, String> brokerProperties;
        final List<String> jvmOptions;
        final Duration startTimeout;
        final Duration stopTimeout;

        Config(Builder b) {
            this.dataDir = b.dataDir;
            this.logFile = b.logFile != null ? b.logFile : b.dataDir.resolve("kafka.log");
            this.host = b.host;
            this.port = b.port;
            this.controllerPort = b.controllerPort;
            this.brokerProperties = Map.copyOf(b.brokerProperties);
            this.jvmOptions = List.copyOf(b.jvmOptions);
            this.startTimeout = b.startTimeout;
            this.stopTimeout = b.stopTimeout;
        }
    }

    public static final class Builder {
        private Path dataDir;
        private Path logFile;
        private String host = "127.0.0.1";
        private int port = 9092;
        private int controllerPort = 9093;
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();
        private final List<String> jvmOptions = new ArrayList<>(List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC"));
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration stopTimeout = Duration.ofSeconds(30);

        /** Where the broker keeps its log directories; kept across restarts. Required. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Where the broker's own output goes; default {@code <dataDir>/kafka.log}. */
        public Builder logFile(Path logFile) {
            this.logFile = logFile;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** Client port; 0 picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** KRaft controller port; 0 picks a free one. */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        /** Any broker setting, overriding the single-node defaults. */
        public Builder brokerProperty(String key, String value) {
            brokerProperties.put(key, value);
            return this;
        }

        public Builder jvmOptions(List<String> options) {
            jvmOptions.clear();
            jvmOptions.addAll(options);
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = timeout;
            return this;
        }

        /**
         * Starts the broker and returns once it answers a cluster description.
         *
         * @throws BrokerStartException if it exits or does not become ready in time; the message
         *     carries the end of the broker's log
         */
        public EmbeddedKafka start() {
            if (dataDir == null) {
                throw new IllegalArgumentException("dataDir is required");
            }
            if (port < 0 || port > 65535 || controllerPort < 0 || controllerPort > 65535) {
                throw new IllegalArgumentException("ports must be within 0..65535: " + port + ", " + controllerPort);
            }
            boolean freePorts = port == 0 || controllerPort == 0;
            int attempts = freePorts ? 3 : 1;
            for (int attempt = 1; ; attempt++) {
                try {
                    return launch(new Config(this));
                } catch (BrokerStartException e) {
                    // A port picked free may have been taken before the broker bound it; try again.
                    if (attempt >= attempts) {
                        throw e;
                    }
                    log.warn("Kafka broker did not start (attempt {} of {}), retrying on other ports: {}",
                            attempt, attempts, e.getMessage().lines().findFirst().orElse(""));
                }
            }
        }
    }

    private static EmbeddedKafka launch(Config config) {
        try {
            Files.createDirectories(config.dataDir);
            Files.createDirectories(config.logFile.toAbsolutePath().getParent());
            int port = config.port == 0 ? freePort(config.host) : requireFree(config.host, config.port);
            int controllerPort = config.controllerPort == 0 ? freePort(config.host)
                    : requireFree(config.host, config.controllerPort);
            Path propsFile = config.dataDir.resolve("server.properties");
            Properties props = brokerProperties(config, port, controllerPort);
            try (OutputStream out = Files.newOutputStream(propsFile)) {
                props.store(out, "Written by Peregrine at each start; edit the caller's settings instead");
            }
            List<String> command = new ArrayList<>();
            command.addAll(config.jvmOptions);
            command.add("-Dlogback.configurationFile=peregrine-broker-logback.xml");
            command.add("-Dkafka.logs.dir=" + config.dataDir.resolve("logs"));
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(BrokerMain.class.getName());
            command.add(propsFile.toString());
            Process process = new ProcessBuilder(ChildJvm.command(command))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(config.logFile.toFile()))
                    .start();
            String bootstrap = config.host + ":" + port;
            EmbeddedKafka kafka = new EmbeddedKafka(config, process, bootstrap);
            try {
                kafka.awaitReady();
            } catch (RuntimeException e) {
                kafka.close();
                throw e;
            }
            log.info("Kafka broker (pid {}) ready at {}", process.pid(), bootstrap);
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Kafka broker under " + config.dataDir, e);
        }
    }

    static Properties brokerProperties(Config config, int port, int controllerPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@" + config.host + ":" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://" + config.host + ":" + port + ",CONTROLLER://" + config.host + ":" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + config.host + ":" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", config.dataDir.resolve("kafka-logs").toAbsolutePath().toString());
        // One node: every internal topic has replication factor 1, and few partitions so that
        // the first consumer group or transaction does not wait for 50 partitions to be created.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "5");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "5");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("num.partitions", "1");
        p.setProperty("auto.create.topics.enable", "false");
        config.brokerProperties.forEach(p::setProperty);
        return p;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + config.startTimeout.toNanos();
        awaitListening(deadline);
        Map<String, Object> adminProps = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        try (Admin admin = Admin.create(adminProps)) {
            while (true) {
                checkAlive();
                try {
                    var cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000));
                    if (!cluster.nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
                        requireOurCluster(cluster.clusterId().get(3, TimeUnit.SECONDS));
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // Not listening yet, or still electing itself controller: try again.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BrokerStartException("interrupted while waiting for the Kafka broker");
                }
                if (System.nanoTime() > deadline) {
                    throw new BrokerStartException("Kafka broker not ready after " + config.startTimeout
                            + "; end of " + config.logFile + ":\n" + tail(config.logFile, 30));
                }
                sleep(100);
            }
        }
    }

    /** Waits for the port to accept connections, so the admin client does not log refusals meanwhile. */
    private void awaitListening(long deadline) {
        String[] hostPort = bootstrapServers.split(":");
        while (true) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 1000);
                return;
            } catch (IOException e) {
                // Not listening yet.
            }
            checkAlive();
            if (System.nanoTime() > deadline) {
                throw new BrokerStartException("Kafka broker not listening after " + config.startTimeout
                        + "; end of " + config.logFile + ":\n" + tail(config.logFile, 30));
            }
            sleep(100);
        }
    }

    /**
     * The broker that answered must be the one we started: a port taken between our check and the
     * broker's bind would otherwise let us talk to someone else's Kafka.
     */
    private void requireOurCluster(String answered) {
        Path meta = config.dataDir.resolve("kafka-logs").resolve("meta.properties");
        Properties props = new Properties();
        try (var in = Files.newInputStream(meta)) {
            props.load(in);
        } catch (IOException e) {
            throw new BrokerStartException("cannot read " + meta + " after start: " + e.getMessage());
        }
        String ours = props.getProperty("cluster.id");
        if (!answered.equals(ours)) {
            throw new BrokerStartException(bootstrapServers + " is answered by another Kafka cluster (" + answered
                    + ", ours is " + ours + "); end of " + config.logFile + ":\n" + tail(config.logFile, 30));
        }
    }

    private void checkAlive() {
        if (!process.isAlive()) {
            throw new BrokerStartException("Kafka broker exited with code " + process.exitValue()
                    + " while starting; end of " + config.logFile + ":\n" + tail(config.logFile, 30));
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerStartException("interrupted while waiting for the Kafka broker");
        }
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static int requireFree(String host, int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(host))) {
            return port;
        } catch (IOException e) {
            throw new BrokerStartException("port " + port + " on " + host + " is already in use (another"
                    + " `peregrine up` or Kafka?); choose other ports or use the running Kafka with --bootstrap-servers");
        }
    }

    private static int freePort(String host) throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        }
    }

    /** The broker could not be started; the message says why and quotes its log. */
    public static final class BrokerStartException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public BrokerStartException(String message) {
            super(message);
        }
    }
}
