package io.peregrine.agent;

import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.agent.metrics.MetricsEndpoint;
import io.peregrine.agent.publish.Publisher;
import io.peregrine.agent.publish.RepeatedKeySerializer;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge agent: runs its collectors every interval on one thread and hands their records to
 * the {@link Publisher} (collectors driven by events, like the eBPF sensor's, also publish from
 * their own thread between scans); serves its own metrics. A collector that fails is counted and logged once
 * per cause; the others and the next interval go on.
 */
public final class Agent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final AgentContext context;
    private final List<Collector> collectors;
    private final Publisher publisher;
    private final MetricsEndpoint endpoint;
    private final ScheduledExecutorService scanner;
    private final Set<String> reportedFailures = ConcurrentHashMap.newKeySet();

    private Agent(AgentContext context, List<Collector> collectors, Publisher publisher, MetricsEndpoint endpoint) {
        this.context = context;
        this.collectors = List.copyOf(collectors);
        this.publisher = publisher;
        this.endpoint = endpoint;
        this.scanner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "agent-scan");
            t.setDaemon(true);
            return t;
        });
        int count = this.collectors.size();
        context.metrics().gauge("peregrine_agent_collectors", "Collectors running", () -> count);
    }

    /**
     * Starts the agent: publisher (with its spool under {@code home} unless configured), metrics
     * endpoint, and the collectors {@code collectorFactory} builds for this host.
     */
    public static Agent start(AgentConfig config, Path home, Function<AgentContext, List<Collector>> collectorFactory) {
        AgentMetrics metrics = new AgentMetrics();
        SchemaRegistryClient registry = new SchemaRegistryClient(
                io.peregrine.schema.registry.RegistryClientConfig.from(config.registryConfig()));
        Topics topics = Topics.create(registry, SerdeConfig.from(config.registryConfig()));
        AgentContext context = new AgentContext(config, topics, metrics, nodeName(config));
        Publisher publisher = new Publisher(
                () -> new KafkaProducer<>(config.producerConfig(), new RepeatedKeySerializer(), new ByteArraySerializer()),
                registry, topics, config.spoolDir(home), config.getLong(AgentConfig.SPOOL_MAX_BYTES),
                // Up to 10,000 records handed over at once (the 200 ms linger makes ~4,000 at 20,000
                // records a second): the producer's network thread costs per request more than per
                // record, ~540 ns of its CPU per record in batches of 2,000 against ~270 in batches
                // of 4,000 (PublisherCpuBenchmark, 20,000 records/s).
                new Publisher.Settings(config.getInt(AgentConfig.QUEUE_CAPACITY), 10_000,
                        java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(10),
                        java.time.Duration.ofSeconds(30), config.deliveryTimeout().plusSeconds(15)),
                metrics);
        MetricsEndpoint endpoint;
        try {
            endpoint = MetricsEndpoint.start(config.getString(AgentConfig.METRICS_HOST),
                    config.getInt(AgentConfig.METRICS_PORT), metrics);
        } catch (IOException e) {
            publisher.close();
            throw new UncheckedIOException("cannot serve agent metrics on " + config.getString(AgentConfig.METRICS_HOST)
                    + ":" + config.getInt(AgentConfig.METRICS_PORT), e);
        }
        Agent agent = new Agent(context, collectorFactory.apply(context), publisher, endpoint);
        agent.startCollectors();
        agent.scanner.scheduleAtFixedRate(agent::scanOnce, 0, config.interval().toMillis(), TimeUnit.MILLISECONDS);
        log.info("agent on node {} publishing to {} ({} collectors, every {} ms; metrics on http://{}:{}/metrics)",
                context.nodeName(), config.getString(AgentConfig.BOOTSTRAP_SERVERS), agent.collectors.size(),
                config.interval().toMillis(), config.getString(AgentConfig.METRICS_HOST), endpoint.port());
        return agent;
    }

    /** Starts the collectors that emit between scans; if one refuses, stops the others and the agent. */
    private void startCollectors() {
        int started = 0;
        try {
            for (Collector c : collectors) {
                c.start(publisher::publish);
                started++;
            }
        } catch (RuntimeException e) {
            for (int i = started - 1; i >= 0; i--) {
                collectors.get(i).close();
            }
            scanner.shutdownNow();
            publisher.close();
            endpoint.close();
            throw e;
        }
    }

    public AgentContext context() {
        return context;
    }

    public int metricsPort() {
        return endpoint.port();
    }

    public boolean isOnline() {
        return publisher.isOnline();
    }

    /** One pass of every collector; public so a benchmark can drive scans itself. */
    public void scanOnce() {
        long now = System.currentTimeMillis();
        for (Collector c : collectors) {
            long start = System.nanoTime();
            try {
                c.collect(now, publisher::publish);
            } catch (RuntimeException e) {
                String cause = c.name() + ":" + e.getClass().getName();
                context.metrics().counter("peregrine_agent_collector_errors_total",
                        "Scans that failed, by collector", "collector", c.name()).increment();
                if (reportedFailures.add(cause)) {
                    log.warn("collector {} failed: {} (reported once per cause; see peregrine_agent_collector_errors_total)",
                            c.name(), e.toString(), e);
                }
            } finally {
                long nanos = System.nanoTime() - start;
                context.metrics().counter("peregrine_agent_scans_total", "Scans run, by collector",
                        "collector", c.name()).increment();
                context.metrics().counter("peregrine_agent_scan_nanos_total",
                        "Wall time spent scanning, by collector, in nanoseconds", "collector", c.name()).add(nanos);
            }
        }
    }

    /**
     * Stops scanning, closes the collectors (and the threads they own, such as the cloud metadata
     * fetcher), flushes (or spools) what is queued, closes the endpoint.
     */
    @Override
    public void close() {
        scanner.shutdown();
        try {
            scanner.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = collectors.size() - 1; i >= 0; i--) {
            Collector c = collectors.get(i);
            try {
                c.close();
            } catch (RuntimeException e) {
                log.warn("collector {} did not close cleanly: {}", c.name(), e.toString());
            }
        }
        publisher.close();
        endpoint.close();
    }

    private static String nodeName(AgentConfig config) {
        String configured = config.getString(AgentConfig.NODE_NAME);
        if (!configured.isBlank()) {
            return configured;
        }
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
