package io.peregrine.flink;

import io.peregrine.flink.config.ConfigException;
import io.peregrine.flink.config.Durations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of the {@code peregrine flink} entry point ({@link FlinkJobs}). Every key, with its
 * flag, environment variable, default and meaning:
 *
 * <table>
 * <tr><th>flag</th><th>environment</th><th>default</th><th>meaning</th></tr>
 * <tr><td>--bootstrap-servers</td><td>PEREGRINE_BOOTSTRAP_SERVERS</td><td>127.0.0.1:9092</td><td>Kafka brokers</td></tr>
 * <tr><td>--schema-registry-url</td><td>PEREGRINE_SCHEMA_REGISTRY_URL</td><td>http://127.0.0.1:8081</td><td>Confluent-compatible registry</td></tr>
 * <tr><td>--config</td><td>PEREGRINE_CONFIG</td><td>$PEREGRINE_HOME/peregrine.yaml when it exists</td><td>slo: objectives, tiers, ...; notify.pagerduty: the PagerDuty receiver</td></tr>
 * <tr><td>--local</td><td></td><td>off</td><td>run on an embedded MiniCluster whose REST API listens on --rest-address:--rest-port</td></tr>
 * <tr><td>--rest-address, --rest-port</td><td></td><td>127.0.0.1, 8082</td><td>the embedded MiniCluster's REST endpoint</td></tr>
 * <tr><td>--remote HOST:PORT</td><td>PEREGRINE_FLINK_REMOTE</td><td>none</td><td>submit to a Flink cluster's REST endpoint, shipping --jar</td></tr>
 * <tr><td>--jar</td><td></td><td>the jar this class was loaded from</td><td>the shaded job jar, for --remote</td></tr>
 * <tr><td>--checkpoint-interval</td><td></td><td>5s</td><td>also the delay before alerts become visible to read_committed readers</td></tr>
 * <tr><td>--checkpoint-dir</td><td></td><td>--local: $PEREGRINE_HOME/flink/checkpoints; else the cluster's</td><td>durable checkpoint storage URI or path</td></tr>
 * <tr><td>--parallelism</td><td></td><td>the environment's</td><td>operator parallelism</td></tr>
 * <tr><td>--group-id</td><td></td><td>peregrine-slo</td><td>consumer group (offsets committed on checkpoints)</td></tr>
 * <tr><td>--transactional-id-prefix</td><td></td><td>peregrine-slo</td><td>unique per job on a Kafka cluster</td></tr>
 * </table>
 *
 * Neither --local nor --remote: the job runs in whatever environment started it, which is the
 * cluster under {@code flink run} and a local one under plain {@code java}. A flag wins over its
 * environment variable; --local with --remote is an error, as is an unknown flag.
 */
public record FlinkJobsConfig(String bootstrapServers, String schemaRegistryUrl, Optional<Path> sloConfig,
                              boolean local, String restAddress, int restPort, Optional<String> remote,
                              Optional<Path> jar, Duration checkpointInterval, Optional<String> checkpointDir,
                              Optional<Integer> parallelism, String groupId, String transactionalIdPrefix) {

    private static final List<String> VALUE_FLAGS = List.of("--bootstrap-servers", "--schema-registry-url", "--config",
            "--rest-address", "--rest-port", "--remote", "--jar", "--checkpoint-interval", "--checkpoint-dir",
            "--parallelism", "--group-id", "--transactional-id-prefix");

    public FlinkJobsConfig {
        if (local && remote.isPresent()) {
            throw new ConfigException("--remote", remote.get(), "conflicts with --local: run embedded or submit, not both");
        }
        if (checkpointInterval.isNegative() || checkpointInterval.isZero()) {
            throw new ConfigException("--checkpoint-interval", Durations.format(checkpointInterval),
                    "must be positive: exactly-once output commits on checkpoints");
        }
        if (restPort < 0 || restPort > 65_535) {
            throw new ConfigException("--rest-port", restPort, "must be a port number (0 for any free one)");
        }
    }

    /** Parses flags over environment variables over defaults. */
    public static FlinkJobsConfig parse(String[] args, Map<String, String> env) {
        Map<String, String> flags = new LinkedHashMap<>();
        boolean local = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (a.equals("--local")) {
                local = true;
            } else if (VALUE_FLAGS.contains(a)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new ConfigException(a, null, "needs a value");
                    }
                    value = args[++i];
                }
                flags.put(a, value);
            } else {
                throw new ConfigException(a, null, "unknown option; known: --local, " + String.join(", ", VALUE_FLAGS));
            }
        }
        Path home = Path.of(env.getOrDefault("PEREGRINE_HOME", System.getProperty("user.home") + "/.peregrine"));
        Optional<Path> slo = Optional.ofNullable(flags.getOrDefault("--config", env.get("PEREGRINE_CONFIG"))).map(Path::of);
        if (slo.isEmpty() && Files.isRegularFile(home.resolve("peregrine.yaml"))) {
            slo = Optional.of(home.resolve("peregrine.yaml"));
        }
        if (slo.isPresent() && !Files.isRegularFile(slo.get())) {
            throw new ConfigException("--config", slo.get(), "is not a readable file");
        }
        Optional<String> checkpointDir = Optional.ofNullable(flags.get("--checkpoint-dir"));
        if (checkpointDir.isEmpty() && local) {
            checkpointDir = Optional.of(home.resolve("flink").resolve("checkpoints").toUri().toString());
        }
        return new FlinkJobsConfig(
                flags.getOrDefault("--bootstrap-servers", env.getOrDefault("PEREGRINE_BOOTSTRAP_SERVERS", "127.0.0.1:9092")),
                flags.getOrDefault("--schema-registry-url",
                        env.getOrDefault("PEREGRINE_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081")),
                slo,
                local,
                flags.getOrDefault("--rest-address", "127.0.0.1"),
                integer("--rest-port", flags.getOrDefault("--rest-port", "8082")),
                Optional.ofNullable(flags.getOrDefault("--remote", env.get("PEREGRINE_FLINK_REMOTE"))),
                Optional.ofNullable(flags.get("--jar")).map(Path::of),
                Durations.parse("--checkpoint-interval", flags.getOrDefault("--checkpoint-interval", "5s")),
                checkpointDir,
                Optional.ofNullable(flags.get("--parallelism")).map(p -> integer("--parallelism", p)),
                flags.getOrDefault("--group-id", "peregrine-slo"),
                flags.getOrDefault("--transactional-id-prefix", "peregrine-slo"));
    }

    /** host and port of --remote. */
    public Map.Entry<String, Integer> remoteAddress() {
        String r = remote.orElseThrow();
        int colon = r.lastIndexOf(':');
        if (colon <= 0) {
            throw new ConfigException("--remote", r, "must be HOST:PORT of the cluster's REST endpoint");
        }
        return Map.entry(r.substring(0, colon), integer("--remote", r.substring(colon + 1)));
    }

    private static int integer(String key, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, value, "must be a whole number");
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "bootstrap=%s registry=%s config=%s mode=%s checkpoints=%s",
                bootstrapServers, schemaRegistryUrl, sloConfig.map(Path::toString).orElse("(defaults)"),
                local ? "local " + restAddress + ":" + restPort : remote.map(r -> "remote " + r).orElse("environment"),
                Durations.format(checkpointInterval));
    }
}
