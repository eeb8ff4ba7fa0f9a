package io.peregrine.streams.dlq;

import org.apache.kafka.streams.processor.api.Record;

/**
 * Where the global-store processors send rejected records of the table topics (listens, node
 * samples). A global processor cannot forward into the topology (and Kafka Streams does not let a
 * topic feed both a global store and a stream), so these DLQ records are written by a plain
 * idempotent producer: at-least-once, unlike the transactional DLQ records of the event topics. The
 * global stores are persistent and checkpointed, so a restart only revisits records after the
 * checkpoint.
 */
@FunctionalInterface
public interface TableRejects {

    /** A DLQ record built by {@link DeadLetters#record}; key bytes, DeadLetter value, headers. */
    void send(Record<Object, Object> deadLetter);

    /** Drops them (counted and logged by the caller). */
    TableRejects NONE = r -> { };
}
