package io.peregrine.flink;

import io.peregrine.schema.topic.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** What the jobs wrote, read back from a topic by the ITs (a fresh consumer group each time). */
public final class TopicReader {

    private TopicReader() {
    }

    /**
     * Reads {@code topic} from the beginning until {@code done} holds for the values {@code matching}
     * (bounded by {@code timeout}), then two more seconds (a few checkpoints' worth), so that a
     * duplicate or an extra version would show up too.
     *
     * @param isolation {@code read_committed} for what readers see, {@code read_uncommitted} to tell
     *                  "never produced" from "produced, never committed"
     */
    public static <K, V> List<V> read(String bootstrapServers, Topic<K, V> topic, String isolation,
                                      Predicate<V> matching, Predicate<List<V>> done, Duration timeout) {
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation),
                topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            long settleUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
                    if (matching.test(r.value())) {
                        out.add(r.value());
                    }
                }
                if (settleUntil == Long.MAX_VALUE && done.test(out)) {
                    settleUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                }
            }
        }
        return out;
    }
}
