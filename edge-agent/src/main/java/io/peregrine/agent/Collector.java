package io.peregrine.agent;

/**
 * One source of the agent's records (node metrics, applications, sockets, lifecycle...), run by
 * the {@link Agent} once per interval on the agent's scan thread.
 *
 * <p>A collector never throws for bad host content: it skips what it cannot read and counts it.
 * An exception that escapes anyway is counted and logged once per cause by the agent, and the
 * collector runs again at the next interval. When the agent stops, it closes every collector.
 */
public interface Collector extends AutoCloseable {

    /** Short stable name, used in metrics and logs: {@code node}, {@code apps}, {@code sockets}. */
    String name();

    /** Scans and emits this interval's records. */
    void collect(long nowMillis, Emitter out);

    /**
     * For a collector that also emits between scans, from events (the eBPF sensor): starts that
     * work, emitting to {@code out} from its own thread. The agent calls it once, before the first
     * scan. It may throw to refuse to start (a source the configuration requires is missing).
     */
    default void start(Emitter out) {
    }

    /**
     * Stops what {@link #start} began and releases what the collector owns (background threads,
     * clients); called once by the agent after the last {@link #collect}, before the publisher
     * flushes. Nothing by default.
     */
    @Override
    default void close() {
    }
}
