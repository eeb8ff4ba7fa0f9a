package io.peregrine.cli;

import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The schema registry alone, against any Kafka cluster. */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = "Run the Confluent-compatible schema registry alone, stored in Kafka's _schemas topic.")
final class RegistryCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8081", description = "Port to listen on (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--topic", defaultValue = "_schemas", description = "Storage topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--compatibility", defaultValue = "BACKWARD",
            description = "Default compatibility level (default ${DEFAULT-VALUE}).")
    String compatibility;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        SchemaRegistryServer server = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(connection.bootstrapServers())
                .host(host)
                .port(port)
                .topic(topic)
                .defaultCompatibility(compatibility)
                .kafkaProperties(connection.extraConfig())
                .build());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "registry-stop"));
        spec.commandLine().getOut().println("registry   " + server.url() + " (kafka " + connection.bootstrapServers()
                + ", topic " + topic + ")");
        spec.commandLine().getOut().println("peregrine ready");
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
