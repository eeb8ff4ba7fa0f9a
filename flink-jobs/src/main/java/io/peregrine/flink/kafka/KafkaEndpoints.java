package io.peregrine.flink.kafka;

import io.peregrine.schema.registry.RegistryClientConfig;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.Topics;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Where a job's Kafka data lives: the brokers, the schema registry and serde settings, and extra
 * client properties (security, ...). Serializable, so that sources, sinks and (de)serialization
 * schemas can carry it to the task managers and rebuild the registry client and the
 * {@link Topics topic catalog} there: neither is serializable, and both are cheap to build (no
 * network call until the first lookup).
 *
 * <p>Validated when built: a bad registry URL fails at job submission, not in a task.
 */
public final class KafkaEndpoints implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String bootstrapServers;
    private final Map<String, String> registryConfig;
    private final Map<String, String> clientProperties;

    private transient volatile Topics topics;

    private KafkaEndpoints(String bootstrapServers, Map<String, String> registryConfig,
                           Map<String, String> clientProperties) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers are required");
        }
        this.bootstrapServers = bootstrapServers;
        this.registryConfig = Map.copyOf(registryConfig);
        this.clientProperties = Map.copyOf(clientProperties);
        RegistryClientConfig.from(this.registryConfig); // validates, throws ConfigException naming the key
        SerdeConfig.from(this.registryConfig);
    }

    /** Brokers and registry URL with default serde settings. */
    public static KafkaEndpoints of(String bootstrapServers, String schemaRegistryUrl) {
        return of(bootstrapServers, Map.of(RegistryClientConfig.URL, schemaRegistryUrl), Map.of());
    }

    /**
     * @param registryConfig registry client and serde settings under Confluent's names
     *     ({@code schema.registry.url}, {@code basic.auth.user.info}, {@code auto.register.schemas}...)
     * @param clientProperties extra Kafka client properties for every consumer and producer
     *     ({@code security.protocol}, {@code sasl.*}, ...)
     */
    public static KafkaEndpoints of(String bootstrapServers, Map<String, String> registryConfig,
                                    Map<String, String> clientProperties) {
        return new KafkaEndpoints(bootstrapServers, registryConfig, clientProperties);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Map<String, String> registryConfig() {
        return registryConfig;
    }

    /** Extra client properties, to merge into every consumer's and producer's configuration. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.putAll(clientProperties);
        return p;
    }

    /** The topic catalog over a registry client of this JVM, built on first use. */
    public Topics topics() {
        Topics t = topics;
        if (t == null) {
            synchronized (this) {
                if (topics == null) {
                    topics = Topics.create(SchemaRegistryClient.create(registryConfig), SerdeConfig.from(registryConfig));
                }
                t = topics;
            }
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaEndpoints e && bootstrapServers.equals(e.bootstrapServers)
                && registryConfig.equals(e.registryConfig) && clientProperties.equals(e.clientProperties);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bootstrapServers, registryConfig, clientProperties);
    }

    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>();
        shown.put("bootstrap.servers", bootstrapServers);
        shown.put(RegistryClientConfig.URL, registryConfig.get(RegistryClientConfig.URL));
        return "KafkaEndpoints" + shown; // never the credentials
    }
}
