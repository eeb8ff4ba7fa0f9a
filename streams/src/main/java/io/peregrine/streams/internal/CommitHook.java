package io.peregrine.streams.internal;

import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * Tells a processor that its task is about to commit, so it can move what it holds in memory
 * (pre-aggregated partials, dedup and clock state) into the commit: forward it downstream and
 * write it to its changelogged stores. This is what makes in-memory pre-aggregation exactly-once.
 *
 * <p><b>Why this exists and what it relies on.</b> Kafka Streams has no public "before commit"
 * callback. Its record cache gets one: before every commit, including the commits on rebalance
 * and on clean shutdown, {@code StreamTask.prepareCommit} calls {@code flushCache()} on every
 * registered store implementing {@link CachedStateStore}, and then flushes the producer, in the
 * same transaction under exactly-once. This store registers itself and implements that interface,
 * so the hook runs at exactly those points; the records forwarded and the state written from it
 * are part of the commit, and a crash before the commit loses them together with the input
 * offsets. The forwarding itself must look like processing, so the hook sets the processor's node
 * and a record context the way {@code TimestampedCacheFlushListener} and punctuation do. These are
 * Kafka Streams internals (checked against 4.1.1, pinned by the parent pom); the restart
 * integration test fails if a future version stops calling the hook before committing.
 *
 * <p>Under {@code TopologyTestDriver} a commit follows every input record, so the hook runs after
 * each one.
 */
public final class CommitHook implements StateStore, CachedStateStore<Object, Object> {

    private final String name;
    private volatile boolean open;
    private Runnable beforeCommit;

    private CommitHook(String name) {
        this.name = name;
    }

    /** The builder to add to the topology and connect to the processor that uses the hook. */
    public static StoreBuilder<CommitHook> builder(String name) {
        return new Builder(name);
    }

    /**
     * Makes {@code action} run before each commit of the task, as if it were {@code context}'s
     * processor processing a record timestamped {@code timestamp.get()}. Call from
     * {@code Processor.init}.
     */
    public void onCommit(ProcessorContext<?, ?> context, java.util.function.LongSupplier timestamp, Runnable action) {
        InternalProcessorContext<?, ?> internal = (InternalProcessorContext<?, ?>) context;
        ProcessorNode<?, ?, ?, ?> node = internal.currentNode();
        if (node == null) {
            throw new IllegalStateException("CommitHook.onCommit must be called from Processor.init");
        }
        this.beforeCommit = () -> {
            ProcessorNode<?, ?, ?, ?> previousNode = internal.currentNode();
            ProcessorRecordContext previousContext = internal.recordContext();
            internal.setCurrentNode(node);
            internal.setRecordContext(new ProcessorRecordContext(timestamp.getAsLong(), -1L, -1, null, new RecordHeaders()));
            try {
                action.run();
            } finally {
                internal.setRecordContext(previousContext);
                internal.setCurrentNode(previousNode);
            }
        };
    }

    @Override
    public void flushCache() {
        Runnable r = beforeCommit;
        if (r != null) {
            r.run();
        }
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Object, Object> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void clearCache() {
        // Nothing cached: the processor owns the data.
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> { });
        open = true;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        open = false;
        beforeCommit = null;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return QueryResult.forUnknownQueryType(query, this);
    }

    @Override
    public Position getPosition() {
        return Position.emptyPosition();
    }

    private static final class Builder implements StoreBuilder<CommitHook> {
        private final String name;

        Builder(String name) {
            this.name = name;
        }

        @Override
        public StoreBuilder<CommitHook> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<CommitHook> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<CommitHook> withLoggingEnabled(Map<String, String> config) {
            throw new UnsupportedOperationException("the commit hook holds no data and has no changelog");
        }

        @Override
        public StoreBuilder<CommitHook> withLoggingDisabled() {
            return this;
        }

        @Override
        public CommitHook build() {
            return new CommitHook(name);
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }

        @Override
        public String name() {
            return name;
        }
    }
}
