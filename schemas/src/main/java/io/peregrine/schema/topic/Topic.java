package io.peregrine.schema.topic;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;

/**
 * One Peregrine topic: its name, how its keys and values are (de)serialized, and how it is laid out
 * in Kafka. Obtained from {@link Topics}, never built by hand elsewhere.
 *
 * @param retention how long records are kept; empty for compacted topics (kept while their key lives)
 * @param keyFormat one line on what the key holds, for users reading the topic with other tools
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, Class<V> valueType, int partitions,
                          CleanupPolicy cleanupPolicy, Optional<Duration> retention, String keyFormat) {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        Objects.requireNonNull(retention, "retention");
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions must be positive, got " + partitions);
        }
    }

    /** Topic-level configs for creating it: cleanup policy, retention, compression. */
    public Map<String, String> configs() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy.config());
        c.put(TopicConfig.RETENTION_MS_CONFIG, retention.map(d -> Long.toString(d.toMillis())).orElse("-1"));
        // Keep whatever the producer compressed with (the agent uses lz4, the jobs zstd); no broker recompression.
        c.put(TopicConfig.COMPRESSION_TYPE_CONFIG, "producer");
        return c;
    }

    public NewTopic newTopic(short replicationFactor) {
        return new NewTopic(name, partitions, replicationFactor).configs(configs());
    }

    @Override
    public String toString() {
        return name;
    }
}
