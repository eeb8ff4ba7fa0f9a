package io.peregrine.agent;

import io.peregrine.schema.topic.Topic;
import org.apache.avro.specific.SpecificRecord;

/** Where collectors put their records; never blocks. */
@FunctionalInterface
public interface Emitter {

    /** Queues {@code value} for {@code topic}, keyed by {@code key}, with Kafka timestamp {@code timestampMillis}. */
    <V extends SpecificRecord> void emit(Topic<String, V> topic, String key, V value, long timestampMillis);
}
