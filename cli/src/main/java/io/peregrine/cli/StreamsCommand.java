package io.peregrine.cli;

import io.peregrine.streams.StreamsApp;
import io.peregrine.streams.StreamsAppConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The Kafka Streams application: service map, SLIs, usage, and the query API. */
@Command(name = "streams", mixinStandardHelpOptions = true,
        description = "Run the Kafka Streams application (service map, SLIs, app usage) and its query API. "
                + "Run several with the same application id to scale out.")
final class StreamsCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Option(names = "--home", paramLabel = "DIR", description = "State directory (env PEREGRINE_HOME, default ~/.peregrine).")
    Path home;

    @Option(names = "--api-host", defaultValue = "127.0.0.1", description = "Address of the query API (default ${DEFAULT-VALUE}).")
    String apiHost;

    @Option(names = "--api-port", defaultValue = "8080", description = "Port of the query API (default ${DEFAULT-VALUE}).")
    int apiPort;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Any Streams setting (window.size.ms, window.grace.ms, slo.latency.threshold.ms, "
                    + "num.stream.threads, streams.<kafka streams key>, ...); repeatable.")
    Map<String, String> settings = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        StreamsApp app = start(connection, PeregrineHome.resolve(home), apiHost, apiPort, settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "streams-stop"));
        spec.commandLine().getOut().println(describe(app));
        spec.commandLine().getOut().println("peregrine ready");
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    static StreamsApp start(ConnectionOptions connection, Path home, String apiHost, int apiPort,
                            Map<String, String> settings) {
        Map<String, Object> c = new HashMap<>();
        connection.extraConfig().forEach((k, v) -> c.put(StreamsAppConfig.STREAMS_PREFIX + k, v));
        c.put(StreamsAppConfig.BOOTSTRAP_SERVERS, connection.bootstrapServers());
        c.put(StreamsAppConfig.SCHEMA_REGISTRY_URL, connection.schemaRegistryUrl());
        c.put(StreamsAppConfig.STATE_DIR, home.resolve("streams").toString());
        c.put(StreamsAppConfig.API_HOST, apiHost);
        c.put(StreamsAppConfig.API_PORT, apiPort);
        c.putAll(settings);
        StreamsApp app = StreamsApp.create(StreamsAppConfig.of(c));
        app.start();
        if (!app.awaitRunning(Duration.ofSeconds(120))) {
            app.close();
            throw new IllegalStateException("Kafka Streams did not reach RUNNING (state " + app.state() + ")");
        }
        return app;
    }

    static String describe(StreamsApp app) {
        return "streams    " + app.apiUrl() + "/api/v1 (application " + app.config().applicationId() + ", state "
                + app.config().stateDir() + ")";
    }
}
