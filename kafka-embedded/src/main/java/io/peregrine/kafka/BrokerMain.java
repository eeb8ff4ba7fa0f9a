package io.peregrine.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.Uuid;

/**
 * Entry point of the child JVM that runs the embedded broker: formats the KRaft storage directory
 * (idempotent: an already formatted directory keeps its cluster id and data), then runs the stock
 * {@code kafka.Kafka} main, exactly as {@code kafka-server-start.sh} would.
 *
 * <p>Invariant: the broker never outlives its parent. The parent holds the write end of this
 * process's standard input; when it closes it (clean stop) or dies (even by SIGKILL),
 * {@link ChildJvm#exitWhenStdinCloses} sees end-of-file and exits, which runs Kafka's own
 * shutdown hook (controlled shutdown, logs flushed).
 */
public final class BrokerMain {

    private BrokerMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: BrokerMain <server.properties>");
            System.exit(2);
        }
        Path config = Path.of(args[0]);
        Properties props = load(config);
        Path logDir = Path.of(props.getProperty("log.dirs").split(",")[0].trim());
        Files.createDirectories(logDir);
        String clusterId = existingClusterId(logDir).orElseGet(() -> Uuid.randomUuid().toString());
        int rc = kafka.tools.StorageTool.execute(
                new String[] {"format", "--ignore-formatted", "-t", clusterId, "-c", config.toString()},
                new PrintStream(System.out, true));
        if (rc != 0) {
            System.err.println("peregrine: formatting the KRaft storage failed (exit " + rc + ")");
            System.exit(rc);
        }
        ChildJvm.exitWhenStdinCloses();
        kafka.Kafka.main(new String[] {config.toString()});
    }

    private static Properties load(Path file) throws IOException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        }
        return props;
    }

    /** A formatted directory keeps its cluster id: formatting again must not change it. */
    private static Optional<String> existingClusterId(Path logDir) throws IOException {
        Path meta = logDir.resolve("meta.properties");
        if (!Files.exists(meta)) {
            return Optional.empty();
        }
        return Optional.ofNullable(load(meta).getProperty("cluster.id"));
    }
}
