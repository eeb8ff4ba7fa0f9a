package io.peregrine.flink.kafka;

import java.io.Serializable;

/**
 * A stage's rules for a decoded record (window end after start, counts not negative, ...). A
 * record that breaks one goes to the dead-letter topic with reason INVARIANT instead of into
 * the job, where it would corrupt state.
 */
@FunctionalInterface
public interface RecordValidator<V> extends Serializable {

    /** What is wrong with {@code value}, with the offending values, or null when it is fine. */
    String violation(V value);

    static <V> RecordValidator<V> none() {
        return v -> null;
    }
}
