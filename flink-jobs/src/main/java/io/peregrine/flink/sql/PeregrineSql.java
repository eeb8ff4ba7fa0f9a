package io.peregrine.flink.sql;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.config.TableConfigOptions;

/**
 * A Flink SQL session over Peregrine's topics ({@code peregrine sql}): a table environment on an
 * embedded MiniCluster or a remote cluster, with a table per topic ({@link TopicTables}) already
 * registered.
 *
 * <p>Bounded by default: the tables read from the earliest offset up to the latest one at the
 * time of the query ({@code scan.bounded.mode = latest-offset}) in batch execution, so a query
 * over a topic returns final rows and ends. Streaming sessions read without end and emit
 * changelogs. The session time zone is UTC, the zone the topics' timestamps are in.
 *
 * @param bootstrapServers Kafka brokers
 * @param schemaRegistryUrl the registry (comma-separated URLs for failover)
 * @param streaming unbounded streaming instead of bounded batch reads
 * @param remote {@code host:port} of a cluster's REST endpoint, or empty for an embedded MiniCluster
 * @param jar the job jar shipped to a remote cluster (the format and the Kafka connector are in it)
 * @param parallelism default parallelism, if set
 * @param kafkaProperties extra Kafka client settings for every table ({@code security.protocol}, ...)
 * @param registryProperties extra registry client settings ({@code basic.auth.user.info}, ...)
 */
public record PeregrineSql(String bootstrapServers, String schemaRegistryUrl, boolean streaming,
                           Optional<String> remote, Optional<Path> jar, Optional<Integer> parallelism,
                           Map<String, String> kafkaProperties, Map<String, String> registryProperties) {

    public PeregrineSql {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(schemaRegistryUrl, "schemaRegistryUrl");
        kafkaProperties = Map.copyOf(kafkaProperties);
        registryProperties = Map.copyOf(registryProperties);
    }

    /** A session on an embedded MiniCluster with no extra settings. */
    public static PeregrineSql local(String bootstrapServers, String schemaRegistryUrl, boolean streaming) {
        return new PeregrineSql(bootstrapServers, schemaRegistryUrl, streaming, Optional.empty(), Optional.empty(),
                Optional.empty(), Map.of(), Map.of());
    }

    /** A new table environment with every topic's table registered. */
    public TableEnvironment open() {
        TableEnvironment tEnv = TableEnvironment.create(settings());
        register(tEnv);
        return tEnv;
    }

    /** Registers the topic tables (and this session's table options) in {@code tEnv}. */
    public void register(TableEnvironment tEnv) {
        tEnv.getConfig().set(TableConfigOptions.LOCAL_TIME_ZONE, "UTC");
        for (String ddl : TopicTables.statements(bootstrapServers, schemaRegistryUrl)) {
            tEnv.executeSql(ddl);
        }
        List<String> options = tableOptions();
        if (options.isEmpty()) {
            return;
        }
        for (String table : tEnv.listTables()) {
            tEnv.executeSql("ALTER TABLE " + TopicTables.quote(table) + " SET (" + String.join(", ", options) + ")");
        }
    }

    /** Options set on every table: the bound and the extra client settings. */
    List<String> tableOptions() {
        Map<String, String> options = new TreeMap<>();
        if (!streaming) {
            options.put("scan.bounded.mode", "latest-offset");
        }
        kafkaProperties.forEach((k, v) -> options.put("properties." + k, v));
        registryProperties.forEach((k, v) -> options.put("value." + AvroConfluentFormatFactory.IDENTIFIER
                + ".properties." + k, v));
        List<String> out = new ArrayList<>();
        options.forEach((k, v) -> out.add(TopicTables.literal(k) + " = " + TopicTables.literal(v)));
        return out;
    }

    EnvironmentSettings settings() {
        Configuration conf = new Configuration();
        parallelism.ifPresent(p -> conf.set(CoreOptions.DEFAULT_PARALLELISM, p));
        if (remote.isPresent()) {
            String r = remote.get();
            int colon = r.lastIndexOf(':');
            int port;
            try {
                port = colon > 0 ? Integer.parseInt(r.substring(colon + 1)) : -1;
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("--remote " + r + ": must be HOST:PORT of the cluster's REST endpoint");
            }
            Path shipped = jar.orElseGet(PeregrineSql::ownJar);
            if (!Files.isRegularFile(shipped)) {
                throw new IllegalArgumentException("--jar " + shipped + ": is not a file; --remote ships the job jar "
                        + "(flink-jobs/target/peregrine-flink-jobs.jar) that holds the format and the Kafka connector");
            }
            conf.set(DeploymentOptions.TARGET, "remote");
            conf.set(JobManagerOptions.ADDRESS, r.substring(0, colon));
            conf.set(RestOptions.ADDRESS, r.substring(0, colon));
            conf.set(RestOptions.PORT, port);
            conf.set(PipelineOptions.JARS, List.of(shipped.toUri().toString()));
        }
        EnvironmentSettings.Builder builder = EnvironmentSettings.newInstance().withConfiguration(conf);
        return (streaming ? builder.inStreamingMode() : builder.inBatchMode()).build();
    }

    private static Path ownJar() {
        try {
            return Path.of(PeregrineSql.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException e) {
            throw new IllegalStateException("cannot locate the job jar; pass --jar", e);
        }
    }
}
