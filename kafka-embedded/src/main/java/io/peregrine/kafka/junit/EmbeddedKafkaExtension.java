package io.peregrine.kafka.junit;

import io.peregrine.kafka.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving tests a real Apache Kafka broker: one per test JVM, on free ports,
 * started on first use and stopped (and its data deleted) when the JVM exits.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
 * ... KAFKA.bootstrapServers() ...
 * }</pre>
 */
public final class EmbeddedKafkaExtension implements BeforeAllCallback {

    private static volatile EmbeddedKafka broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        shared();
    }

    /** "host:port" of the shared broker, starting it if needed. */
    public String bootstrapServers() {
        return shared().bootstrapServers();
    }

    /** The shared broker, starting it if needed. */
    public EmbeddedKafka broker() {
        return shared();
    }

    private static EmbeddedKafka shared() {
        EmbeddedKafka b = broker;
        if (b != null) {
            return b;
        }
        synchronized (EmbeddedKafkaExtension.class) {
            if (broker == null) {
                Path dir;
                try {
                    dir = Files.createTempDirectory("peregrine-test-kafka-");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                EmbeddedKafka started = EmbeddedKafka.builder().dataDir(dir).port(0).controllerPort(0).start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    started.close();
                    deleteRecursively(dir);
                }, "embedded-kafka-stop"));
                broker = started;
            }
            return broker;
        }
    }

    private static void deleteRecursively(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
