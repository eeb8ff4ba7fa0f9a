package io.peregrine.registry;

import io.peregrine.registry.internal.schema.CompatibilityLevel;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration of the schema registry, declared once in {@link #CONFIG_DEF} (Kafka's
 * {@code ConfigDef}: every key with its type, default, validation and one line of doc). Key names
 * are Confluent's where Confluent has one, so an existing {@code schema-registry.properties} mostly
 * works with {@link #fromProperties(Map)}.
 *
 * <p>Invalid values fail in {@link Builder#build()} / {@link #fromProperties(Map)} with Kafka's
 * {@link ConfigException}, which names the key and the bad value.
 */
public final class RegistryConfig {

  private static final Logger log = LoggerFactory.getLogger(RegistryConfig.class);

  public static final String HOST_CONFIG = "host";
  public static final String PORT_CONFIG = "port";
  public static final String LISTENERS_CONFIG = "listeners";
  public static final String BOOTSTRAP_SERVERS_CONFIG = "kafkastore.bootstrap.servers";
  public static final String TOPIC_CONFIG = "kafkastore.topic";
  public static final String TOPIC_REPLICATION_FACTOR_CONFIG = "kafkastore.topic.replication.factor";
  public static final String TRANSACTIONAL_ID_CONFIG = "kafkastore.transactional.id";
  public static final String TIMEOUT_CONFIG = "kafkastore.timeout.ms";
  public static final String INIT_TIMEOUT_CONFIG = "kafkastore.init.timeout.ms";
  public static final String WRITE_MAX_RETRIES_CONFIG = "kafkastore.write.max.retries";
  public static final String COMPATIBILITY_CONFIG = "schema.compatibility.level";
  public static final String MAX_REQUEST_BYTES_CONFIG = "request.max.bytes";

  /** Prefix under which {@link #fromProperties} passes extra Kafka client properties (Confluent's convention). */
  public static final String KAFKA_PREFIX = "kafkastore.";

  private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  /** Client settings the store owns; setting them through {@code kafkaProperties} is an error. */
  private static final Set<String> MANAGED_CLIENT_PROPERTIES = Set.of(
      "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
      "transactional.id", "isolation.level", "enable.auto.commit", "group.id", "enable.idempotence");

  public static final ConfigDef CONFIG_DEF = new ConfigDef()
      .define(HOST_CONFIG, Type.STRING, "127.0.0.1", new ConfigDef.NonEmptyStringWithoutControlChars(),
          Importance.HIGH, "Address the REST listener binds to.")
      .define(PORT_CONFIG, Type.INT, 8081, ConfigDef.Range.between(0, 65535),
          Importance.HIGH, "Port of the REST listener; 0 picks a free port.")
      .define(LISTENERS_CONFIG, Type.STRING, "", Importance.LOW,
          "Confluent-style single listener 'http://host:port'; an alternative to host and port, not both.")
      .define(BOOTSTRAP_SERVERS_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE,
          new ConfigDef.NonNullValidator(), Importance.HIGH,
          "Kafka brokers holding the schema topic, host:port[,host:port...].")
      .define(TOPIC_CONFIG, Type.STRING, "_schemas", topicNameValidator(),
          Importance.HIGH, "Compacted single-partition topic storing schemas, in Confluent's layout.")
      .define(TOPIC_REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) 3, ConfigDef.Range.atLeast(1),
          Importance.MEDIUM, "Replication factor when creating the topic, capped at the number of live brokers.")
      .define(TRANSACTIONAL_ID_CONFIG, Type.STRING, "", Importance.LOW,
          "Transactional id shared by all instances on one topic (the cross-instance write lock); "
              + "empty means peregrine-registry-<topic>.")
      .define(TIMEOUT_CONFIG, Type.INT, 10_000, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
          "Bound in ms on one write: catching up, producing, committing and reading it back.")
      .define(INIT_TIMEOUT_CONFIG, Type.INT, 60_000, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
          "Bound in ms on start-up: creating the topic and replaying it.")
      .define(WRITE_MAX_RETRIES_CONFIG, Type.INT, 10, ConfigDef.Range.between(0, 1000), Importance.LOW,
          "Retries of a write that lost the write lock to another instance (fenced), within the timeout.")
      .define(COMPATIBILITY_CONFIG, Type.STRING, "backward",
          ConfigDef.CaseInsensitiveValidString.in(
              Arrays.stream(CompatibilityLevel.values()).map(Enum::name).toArray(String[]::new)),
          Importance.HIGH, "Compatibility level used when neither the global nor the subject config sets one.")
      .define(MAX_REQUEST_BYTES_CONFIG, Type.INT, 16 * 1024 * 1024, ConfigDef.Range.between(1024, 512 * 1024 * 1024),
          Importance.LOW, "Largest request body accepted; larger ones get HTTP 413.");

  private final String host;
  private final int port;
  private final List<String> bootstrapServers;
  private final String topic;
  private final short replicationFactor;
  private final String transactionalId;
  private final Duration timeout;
  private final Duration initTimeout;
  private final int writeMaxRetries;
  private final CompatibilityLevel defaultCompatibility;
  private final int maxRequestBytes;
  private final Map<String, Object> kafkaProperties;

  private RegistryConfig(Map<String, ?> originals, Map<String, Object> kafkaProperties) {
    Map<String, Object> values = CONFIG_DEF.parse(originals);
    String listeners = ((String) values.get(LISTENERS_CONFIG)).trim();
    if (!listeners.isEmpty()) {
      // Cross-field rule: one way to say where to listen.
      if (originals.containsKey(HOST_CONFIG) || originals.containsKey(PORT_CONFIG)) {
        throw new ConfigException(LISTENERS_CONFIG, listeners,
            "set either listeners or host/port, not both");
      }
      URI uri = parseListener(listeners);
      this.host = uri.getHost();
      this.port = uri.getPort();
    } else {
      this.host = (String) values.get(HOST_CONFIG);
      this.port = (Integer) values.get(PORT_CONFIG);
    }
    @SuppressWarnings("unchecked")
    List<String> servers = (List<String>) values.get(BOOTSTRAP_SERVERS_CONFIG);
    if (servers.isEmpty() || servers.stream().anyMatch(String::isBlank)) {
      throw new ConfigException(BOOTSTRAP_SERVERS_CONFIG, servers, "must list at least one host:port");
    }
    this.bootstrapServers = List.copyOf(servers);
    this.topic = (String) values.get(TOPIC_CONFIG);
    this.replicationFactor = (Short) values.get(TOPIC_REPLICATION_FACTOR_CONFIG);
    String txn = ((String) values.get(TRANSACTIONAL_ID_CONFIG)).trim();
    this.transactionalId = txn.isEmpty() ? "peregrine-registry-" + topic : txn;
    this.timeout = Duration.ofMillis((Integer) values.get(TIMEOUT_CONFIG));
    this.initTimeout = Duration.ofMillis((Integer) values.get(INIT_TIMEOUT_CONFIG));
    this.writeMaxRetries = (Integer) values.get(WRITE_MAX_RETRIES_CONFIG);
    this.defaultCompatibility = CompatibilityLevel.forName((String) values.get(COMPATIBILITY_CONFIG)).orElseThrow();
    this.maxRequestBytes = (Integer) values.get(MAX_REQUEST_BYTES_CONFIG);
    this.kafkaProperties = validateKafkaProperties(kafkaProperties, bootstrapServers);
  }

  private static URI parseListener(String listeners) {
    if (listeners.contains(",")) {
      throw new ConfigException(LISTENERS_CONFIG, listeners, "only one listener is supported");
    }
    try {
      URI uri = new URI(listeners);
      if (!"http".equalsIgnoreCase(uri.getScheme())) {
        throw new ConfigException(LISTENERS_CONFIG, listeners, "only http:// listeners are supported");
      }
      if (uri.getHost() == null || uri.getPort() < 0 || uri.getPort() > 65535) {
        throw new ConfigException(LISTENERS_CONFIG, listeners, "expected http://host:port");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(LISTENERS_CONFIG, listeners, "expected http://host:port (" + e.getMessage() + ")");
    }
  }

  private static Map<String, Object> validateKafkaProperties(Map<String, Object> props, List<String> servers) {
    Map<String, Object> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : props.entrySet()) {
      String key = Objects.requireNonNull(e.getKey(), "kafka property name");
      if (MANAGED_CLIENT_PROPERTIES.contains(key)) {
        throw new ConfigException(key, "(hidden)", "is managed by the registry and cannot be set as a Kafka property"
            + (key.equals("transactional.id") ? "; use " + TRANSACTIONAL_ID_CONFIG : ""));
      }
      if (key.equals("bootstrap.servers")) {
        List<String> given = Arrays.stream(String.valueOf(e.getValue()).split(","))
            .map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (!given.equals(servers)) {
          throw new ConfigException("bootstrap.servers", e.getValue(),
              "conflicts with " + BOOTSTRAP_SERVERS_CONFIG + "=" + String.join(",", servers));
        }
        continue;
      }
      copy.put(key, e.getValue());
    }
    return Map.copyOf(copy);
  }

  private static ConfigDef.Validator topicNameValidator() {
    return new ConfigDef.Validator() {
      @Override
      public void ensureValid(String name, Object value) {
        if (value == null || !TOPIC_NAME.matcher((String) value).matches()
            || value.equals(".") || value.equals("..")) {
          throw new ConfigException(name, value, "not a valid Kafka topic name");
        }
      }

      @Override
      public String toString() {
        return "a Kafka topic name";
      }
    };
  }

  /**
   * Reads the configuration from properties such as a Confluent {@code schema-registry.properties}.
   * Known keys are those of {@link #CONFIG_DEF}; any other {@code kafkastore.*} key is passed to the
   * Kafka clients without its prefix (for example {@code kafkastore.security.protocol});
   * anything else is ignored with a warning.
   */
  public static RegistryConfig fromProperties(Map<String, String> properties) {
    Map<String, Object> registry = new HashMap<>();
    Map<String, Object> kafka = new HashMap<>();
    for (Map.Entry<String, String> e : properties.entrySet()) {
      String key = e.getKey();
      if (CONFIG_DEF.configKeys().containsKey(key)) {
        registry.put(key, e.getValue());
      } else if (key.startsWith(KAFKA_PREFIX) && key.length() > KAFKA_PREFIX.length()) {
        kafka.put(key.substring(KAFKA_PREFIX.length()), e.getValue());
      } else {
        log.warn("Ignoring unknown schema registry property '{}'", key);
      }
    }
    return new RegistryConfig(registry, kafka);
  }

  public static Builder builder() {
    return new Builder();
  }

  public String host() {
    return host;
  }

  /** The configured port; 0 means ephemeral (see {@link SchemaRegistryServer#port()} for the bound one). */
  public int port() {
    return port;
  }

  public List<String> bootstrapServers() {
    return bootstrapServers;
  }

  public String topic() {
    return topic;
  }

  public short topicReplicationFactor() {
    return replicationFactor;
  }

  public String transactionalId() {
    return transactionalId;
  }

  public Duration timeout() {
    return timeout;
  }

  public Duration initTimeout() {
    return initTimeout;
  }

  public int writeMaxRetries() {
    return writeMaxRetries;
  }

  /** The server default level, upper case (e.g. {@code BACKWARD}). */
  public String defaultCompatibility() {
    return defaultCompatibility.name();
  }

  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  /** Extra Kafka client properties (security etc.), applied to the admin, consumer and producer. */
  public Map<String, Object> kafkaProperties() {
    return kafkaProperties;
  }

  @Override
  public String toString() {
    // Kafka properties may hold secrets (sasl.jaas.config): show their names only.
    return "RegistryConfig{" + HOST_CONFIG + "=" + host + ", " + PORT_CONFIG + "=" + port
        + ", " + BOOTSTRAP_SERVERS_CONFIG + "=" + String.join(",", bootstrapServers)
        + ", " + TOPIC_CONFIG + "=" + topic + ", " + TRANSACTIONAL_ID_CONFIG + "=" + transactionalId
        + ", " + COMPATIBILITY_CONFIG + "=" + defaultCompatibility
        + ", kafkaProperties=" + kafkaProperties.keySet().stream().sorted().collect(Collectors.toList()) + "}";
  }

  /** Builds a {@link RegistryConfig}; unset keys take their defaults. */
  public static final class Builder {
    private final Map<String, Object> values = new HashMap<>();
    private final Map<String, Object> kafkaProperties = new HashMap<>();

    private Builder() {}

    public Builder bootstrapServers(String servers) {
      values.put(BOOTSTRAP_SERVERS_CONFIG, servers);
      return this;
    }

    public Builder host(String host) {
      values.put(HOST_CONFIG, host);
      return this;
    }

    public Builder port(int port) {
      values.put(PORT_CONFIG, port);
      return this;
    }

    public Builder topic(String topic) {
      values.put(TOPIC_CONFIG, topic);
      return this;
    }

    /** One of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE. */
    public Builder defaultCompatibility(String level) {
      values.put(COMPATIBILITY_CONFIG, level);
      return this;
    }

    public Builder topicReplicationFactor(int replicationFactor) {
      values.put(TOPIC_REPLICATION_FACTOR_CONFIG, String.valueOf(replicationFactor));
      return this;
    }

    public Builder transactionalId(String transactionalId) {
      values.put(TRANSACTIONAL_ID_CONFIG, transactionalId);
      return this;
    }

    public Builder timeout(Duration timeout) {
      values.put(TIMEOUT_CONFIG, millis(TIMEOUT_CONFIG, timeout));
      return this;
    }

    public Builder initTimeout(Duration timeout) {
      values.put(INIT_TIMEOUT_CONFIG, millis(INIT_TIMEOUT_CONFIG, timeout));
      return this;
    }

    public Builder writeMaxRetries(int retries) {
      values.put(WRITE_MAX_RETRIES_CONFIG, retries);
      return this;
    }

    public Builder maxRequestBytes(int bytes) {
      values.put(MAX_REQUEST_BYTES_CONFIG, bytes);
      return this;
    }

    /** Extra Kafka client properties (security.protocol, sasl.*, ssl.*...). */
    public Builder kafkaProperties(Map<String, Object> properties) {
      kafkaProperties.putAll(properties);
      return this;
    }

    /** Any key of {@link #CONFIG_DEF}, as a string or its typed value. */
    public Builder set(String key, Object value) {
      if (!CONFIG_DEF.configKeys().containsKey(key)) {
        throw new ConfigException(key, value, "unknown schema registry configuration");
      }
      values.put(key, value);
      return this;
    }

    public RegistryConfig build() {
      return new RegistryConfig(values, kafkaProperties);
    }

    private static Object millis(String key, Duration d) {
      long ms = d.toMillis();
      if (ms < 1 || ms > Integer.MAX_VALUE) {
        throw new ConfigException(key, d, "must be between 1 ms and " + Integer.MAX_VALUE + " ms");
      }
      return (int) ms;
    }
  }
}
