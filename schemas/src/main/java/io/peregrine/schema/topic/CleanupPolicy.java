package io.peregrine.schema.topic;

/** Kafka's {@code cleanup.policy} of a topic. */
public enum CleanupPolicy {
    /** Records expire after the retention time: event streams. */
    DELETE("delete"),
    /** The latest record per key is kept forever: tables such as who listens where. */
    COMPACT("compact");

    private final String config;

    CleanupPolicy(String config) {
        this.config = config;
    }

    /** The value of {@code cleanup.policy}. */
    public String config() {
        return config;
    }
}
