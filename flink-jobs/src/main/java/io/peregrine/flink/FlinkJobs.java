package io.peregrine.flink;

import io.peregrine.flink.kafka.KafkaEndpoints;
import io.peregrine.flink.kafka.KafkaSinks;
import io.peregrine.flink.kafka.KafkaSources;
import io.peregrine.flink.config.PeregrineYaml;
import io.peregrine.flink.notify.NotifyWorkflow;
import io.peregrine.flink.anomaly.AnomalyWorkflow;
import io.peregrine.flink.incident.IncidentWorkflow;
import io.peregrine.schema.Alert;
import io.peregrine.schema.Incident;
import io.peregrine.schema.ServiceSliWindow;
import org.apache.flink.streaming.api.datastream.DataStream;
import io.peregrine.flink.slo.SloWorkflow;
import io.peregrine.flink.slo.functions.SliWindowValidator;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of Peregrine's Flink jobs ({@code peregrine flink}, and the main class of the shaded
 * job jar for {@code flink run}): reads {@link FlinkJobsConfig}, builds the sources, sinks and
 * addresses, and hands them to the pure workflow builders. Today that is the SLO burn-rate job.
 *
 * <pre>
 * flink run flink-jobs/target/peregrine-flink-jobs.jar --bootstrap-servers kafka:9092 \
 *     --schema-registry-url http://registry:8081 --config /etc/peregrine/peregrine.yaml
 * java -cp &lt;cli jar&gt; io.peregrine.flink.FlinkJobs --local        # MiniCluster, REST on 127.0.0.1:8082
 * java -cp &lt;cli jar&gt; io.peregrine.flink.FlinkJobs --remote flink:8081 --jar peregrine-flink-jobs.jar
 * </pre>
 */
public final class FlinkJobs {

    private static final Logger log = LoggerFactory.getLogger(FlinkJobs.class);

    private FlinkJobs() {
    }

    public static void main(String[] args) throws Exception {
        FlinkJobsConfig config = FlinkJobsConfig.parse(args, System.getenv());
        log.info("peregrine flink: {}", config);
        StreamExecutionEnvironment env = environment(config);
        define(env, config, yaml(config));
        env.execute(SloWorkflow.JOB_NAME);
    }

    /** Submits the jobs without waiting for them (for the CLI, which keeps the handle to cancel). */
    public static JobClient start(FlinkJobsConfig config) throws Exception {
        StreamExecutionEnvironment env = environment(config);
        define(env, config, yaml(config));
        return env.executeAsync(SloWorkflow.JOB_NAME);
    }

    static PeregrineYaml yaml(FlinkJobsConfig config) {
        PeregrineYaml yaml = PeregrineYaml.load(config.sloConfig());
        yaml.slo().warnings().forEach(w -> log.warn("peregrine.yaml slo: {}", w));
        if (yaml.pagerDuty().isEmpty()) {
            log.info("no notify.pagerduty in peregrine.yaml: incidents go to the incidents topic only");
        }
        return yaml;
    }

    /** The execution environment the configuration asks for, with checkpointing on. */
    public static StreamExecutionEnvironment environment(FlinkJobsConfig config) {
        Configuration conf = new Configuration();
        config.checkpointDir().ifPresent(dir -> conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir));
        StreamExecutionEnvironment env;
        if (config.local()) {
            conf.set(RestOptions.BIND_ADDRESS, config.restAddress());
            conf.set(RestOptions.ADDRESS, config.restAddress());
            conf.set(RestOptions.PORT, config.restPort());
            // Keep the last checkpoint when the embedded run stops, and resume from it next time, so
            // SLI history and open alerts survive `peregrine up` restarts (and nothing is re-sent).
            conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                    ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
            config.checkpointDir().flatMap(FlinkJobs::latestCheckpoint).ifPresent(chk -> {
                log.info("resuming from checkpoint {}", chk);
                conf.set(StateRecoveryOptions.SAVEPOINT_PATH, chk.toString());
                conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
            });
            env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        } else if (config.remote().isPresent()) {
            Map.Entry<String, Integer> address = config.remoteAddress();
            Path jar = config.jar().orElseGet(FlinkJobs::ownJar);
            if (!Files.isRegularFile(jar)) {
                throw new io.peregrine.flink.config.ConfigException("--jar", jar,
                        "is not a file: --remote ships the shaded job jar (flink-jobs/target/peregrine-flink-jobs.jar)");
            }
            env = StreamExecutionEnvironment.createRemoteEnvironment(address.getKey(), address.getValue(), conf,
                    jar.toString());
        } else {
            env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        }
        config.parallelism().ifPresent(env::setParallelism);
        env.enableCheckpointing(config.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        return env;
    }

    /**
     * Adds every job's workflow to {@code env}, with Kafka sources and exactly-once sinks: SLO
     * burn-rate and anomaly alerts from the same SLI windows, incidents grouped from the alerts along
     * the topology, and notification of the incidents to the receivers peregrine.yaml configures.
     */
    public static void define(StreamExecutionEnvironment env, FlinkJobsConfig config, PeregrineYaml yaml) {
        KafkaEndpoints endpoints = KafkaEndpoints.of(config.bootstrapServers(), config.schemaRegistryUrl());
        String tx = config.transactionalIdPrefix();
        DataStream<ServiceSliWindow> windows = SloWorkflow.windows(env,
                KafkaSources.sli(endpoints, config.groupId(), "flink/slo/sli-source", new SliWindowValidator()),
                KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-dlq"),
                yaml.slo());
        DataStream<Alert> alerts = withAnomalies(SloWorkflow.alerts(windows,
                KafkaSinks.alerts(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-alerts"),
                yaml.slo()), windows, endpoints, tx, yaml);
        DataStream<Incident> incidents = IncidentWorkflow.define(alerts, windows,
                KafkaSources.topology(endpoints, config.groupId() + "-topology", "flink/incident/topology-source"),
                KafkaSources.silences(endpoints, config.groupId() + "-silences", "flink/incident/silences-source"),
                KafkaSinks.incidents(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-incidents"),
                KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-incident-dlq"),
                yaml.incidents());
        String incidentsTopic = endpoints.topics().incidents().name();
        yaml.pagerDuty().ifPresent(pd -> NotifyWorkflow.pagerDuty(incidents, pd, incidentsTopic,
                KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-notify-dlq")));
        if (yaml.receivers().any()) {
            NotifyWorkflow.incidents(incidents, yaml.receivers(), incidentsTopic,
                    KafkaSinks.deadLetters(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-notify-incidents-dlq"));
        }
    }

    /** The alert stream with ANOMALY alerts added, when anomaly detection is enabled (the default). */
    private static DataStream<Alert> withAnomalies(DataStream<Alert> alerts, DataStream<ServiceSliWindow> windows,
                                                   KafkaEndpoints endpoints, String tx, PeregrineYaml yaml) {
        if (!yaml.anomaly().enabled()) {
            return alerts;
        }
        return alerts.union(AnomalyWorkflow.define(windows,
                KafkaSinks.anomalies(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-anomalies"),
                KafkaSinks.alerts(endpoints, DeliveryGuarantee.EXACTLY_ONCE, tx + "-anomaly-alerts"),
                yaml.anomaly()));
    }

    /** The newest completed checkpoint ({@code <dir>/<job id>/chk-N} with a {@code _metadata}) under a directory. */
    static Optional<Path> latestCheckpoint(String dir) {
        Path root = dir.startsWith("file:") ? Path.of(URI.create(dir)) : Path.of(dir);
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.find(root, 3, (p, a) -> p.getFileName().toString().equals("_metadata")
                && p.getParent().getFileName().toString().startsWith("chk-"))) {
            return files.max(Comparator.comparing(FlinkJobs::modified)).map(Path::getParent);
        } catch (IOException e) {
            log.warn("cannot look for checkpoints under {}: {}; starting afresh", root, e.toString());
            return Optional.empty();
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static Path ownJar() {
        try {
            return Path.of(FlinkJobs.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException e) {
            throw new IllegalStateException("cannot locate the job jar; pass --jar", e);
        }
    }
}
