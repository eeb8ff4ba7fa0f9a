package io.peregrine.schema.topic;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Creates the catalog's topics on a cluster and reports what is there. */
public final class TopicAdmin {

    private static final long TIMEOUT_SECONDS = 60;

    private TopicAdmin() {
    }

    /** What {@link #ensure} did for one topic. */
    public record Status(Topic<?, ?> topic, boolean created, int partitions) {
    }

    /**
     * Creates every missing topic of {@code topics}; existing ones are left as they are (a topic
     * with fewer partitions than the catalog asks is reported, not changed: repartitioning moves
     * keys and is the operator's call).
     */
    public static List<Status> ensure(Admin admin, Collection<Topic<?, ?>> topics, short replicationFactor) {
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(t -> t.newTopic(replicationFactor))
                    .toList();
            List<String> created = new ArrayList<>();
            if (!missing.isEmpty()) {
                CreateTopicsResult result = admin.createTopics(missing);
                for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : result.values().entrySet()) {
                    try {
                        e.getValue().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        created.add(e.getKey());
                    } catch (ExecutionException ex) {
                        if (!(ex.getCause() instanceof TopicExistsException)) {
                            throw new KafkaException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(),
                                    ex.getCause());
                        }
                        // Created concurrently by another process: fine.
                    }
                }
            }
            Map<String, TopicDescription> described = describe(admin, topics.stream().map(Topic::name).toList());
            List<Status> out = new ArrayList<>();
            for (Topic<?, ?> t : topics) {
                out.add(new Status(t, created.contains(t.name()), described.get(t.name()).partitions().size()));
            }
            return out;
        } catch (ExecutionException e) {
            throw new KafkaException("cannot create Peregrine topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("Kafka did not answer within " + TIMEOUT_SECONDS + " s while creating topics", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating topics", e);
        }
    }

    /**
     * Describes {@code names}, retrying while a broker does not know a topic yet: creation returns
     * once the controller has it, and the broker that answers the describe may learn of it a moment
     * later (seen as "This server does not host this topic-partition" right after a create).
     */
    private static Map<String, TopicDescription> describe(Admin admin, List<String> names)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                return admin.describeTopics(names).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
