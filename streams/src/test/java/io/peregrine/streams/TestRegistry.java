package io.peregrine.streams;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topics;
import java.util.Map;

/**
 * The real schema registry for tests, on the shared embedded broker: started once per test JVM,
 * stopped when it exits. Serdes always need a registry; tests use the real one, also under
 * TopologyTestDriver.
 */
public final class TestRegistry {

    private static volatile SchemaRegistryServer server;

    private TestRegistry() {
    }

    public static synchronized String url(EmbeddedKafkaExtension kafka) {
        if (server == null) {
            SchemaRegistryServer s = SchemaRegistryServer.start(RegistryConfig.builder()
                    .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0)
                    .topicReplicationFactor(1).build());
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "test-registry-stop"));
            server = s;
        }
        return server.url();
    }

    public static SchemaRegistryClient client(EmbeddedKafkaExtension kafka) {
        return SchemaRegistryClient.create(Map.of("schema.registry.url", url(kafka)));
    }

    /** The topic catalog with 1 partition per topic, as TopologyTestDriver sees topics. */
    public static Topics topics(EmbeddedKafkaExtension kafka) {
        return Topics.create(client(kafka), SerdeConfig.from(Map.of()), 1);
    }
}
