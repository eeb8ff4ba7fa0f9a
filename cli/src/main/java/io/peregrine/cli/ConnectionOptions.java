package io.peregrine.cli;

import io.peregrine.schema.registry.RegistryClientConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/** Where Kafka and the schema registry are, shared by every command. */
public final class ConnectionOptions {

    static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
    static final String DEFAULT_REGISTRY = "http://127.0.0.1:8081";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:PEREGRINE_BOOTSTRAP_SERVERS}",
            description = "Kafka to use (env PEREGRINE_BOOTSTRAP_SERVERS). Default: the embedded broker at "
                    + DEFAULT_BOOTSTRAP + ".")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL[,...]",
            defaultValue = "${env:PEREGRINE_SCHEMA_REGISTRY_URL}",
            description = "Confluent-compatible Schema Registry to use (env PEREGRINE_SCHEMA_REGISTRY_URL). "
                    + "Default: the embedded one at " + DEFAULT_REGISTRY + ".")
    String schemaRegistryUrl;

    @Option(names = "--client-config", paramLabel = "FILE",
            description = "Properties file of extra Kafka client and registry client settings "
                    + "(security.protocol, sasl.*, ssl.*, basic.auth.user.info, schema.registry.ssl.*, ...).")
    Path clientConfig;

    boolean externalKafka() {
        return bootstrapServers != null && !bootstrapServers.isBlank();
    }

    boolean externalRegistry() {
        return schemaRegistryUrl != null && !schemaRegistryUrl.isBlank();
    }

    String bootstrapServers() {
        return externalKafka() ? bootstrapServers : DEFAULT_BOOTSTRAP;
    }

    String schemaRegistryUrl() {
        return externalRegistry() ? schemaRegistryUrl : DEFAULT_REGISTRY;
    }

    /** The same options with Kafka and the registry pinned to the given addresses (e.g. the embedded ones). */
    ConnectionOptions resolved(String bootstrap, String registryUrl) {
        ConnectionOptions o = new ConnectionOptions();
        o.bootstrapServers = bootstrap;
        o.schemaRegistryUrl = registryUrl;
        o.clientConfig = clientConfig;
        return o;
    }

    /** Extra settings from {@code --client-config}, for both the Kafka and the registry clients. */
    Map<String, Object> extraConfig() {
        Map<String, Object> out = new HashMap<>();
        if (clientConfig != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(clientConfig)) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read --client-config " + clientConfig, e);
            }
            p.forEach((k, v) -> out.put(k.toString(), v.toString()));
        }
        return out;
    }

    /** Kafka client settings: bootstrap servers plus the extra settings. */
    Map<String, Object> kafkaConfig(String bootstrap) {
        Map<String, Object> c = extraConfig();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return c;
    }

    /** Registry client and serde settings. */
    Map<String, Object> registryConfig(String url) {
        Map<String, Object> c = extraConfig();
        c.put(RegistryClientConfig.URL, url);
        return c;
    }
}
