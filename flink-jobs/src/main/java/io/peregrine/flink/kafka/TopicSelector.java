package io.peregrine.flink.kafka;

import io.peregrine.schema.topic.Topic;
import io.peregrine.schema.topic.Topics;
import java.io.Serializable;

/**
 * Picks one topic of the catalog, e.g. {@code Topics::alerts}: a serializable way for a schema that
 * runs on a task manager to name its topic without spelling it (the catalog is the only place that does).
 */
@FunctionalInterface
public interface TopicSelector<K, V> extends Serializable {
    Topic<K, V> select(Topics topics);
}
