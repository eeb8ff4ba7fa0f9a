package io.peregrine.flink;

import io.peregrine.schema.topic.Topic;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Consumer-group set-up for the ITs, which share one broker (and its topics) per test JVM. */
public final class ConsumerGroups {

    private ConsumerGroups() {
    }

    /**
     * Commits {@code topic}'s end offsets for the new consumer group {@code groupId}, so that a job
     * starting from committed offsets reads only what is written after this call. Whatever other ITs
     * (or an earlier run of the same one) wrote to the shared topic would otherwise be read first:
     * their SLI windows carry other event times (IncidentPipelineIT's are wall-clock), set the
     * watermark ahead of this run's windows and fire their timers in the middle of the run.
     */
    public static void startAtEnd(String bootstrapServers, Topic<?, ?> topic, String groupId) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, groupId), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            Map<TopicPartition, OffsetAndMetadata> end = new HashMap<>();
            c.endOffsets(partitions).forEach((tp, o) -> end.put(tp, new OffsetAndMetadata(o)));
            c.commitSync(end);
        }
    }
}
