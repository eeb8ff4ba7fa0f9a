package io.peregrine.agent.l7.http2;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The HTTP/2 connections being followed, by the sensor's connection id, each with a context the
 * caller gives with its first chunk (who observes it, its addresses). A connection is forgotten at
 * its close, or, beyond {@code maxConnections}, the one idle longest is (counted; a later chunk of
 * it starts a connection that breaks at once, since its numbering does not start at 0). Not
 * thread-safe.
 *
 * @param <C> the caller's context of a connection
 */
public final class Http2Connections<C> {

    private record Entry<C>(Http2Connection connection, C context) {
    }

    private final Http2Stats stats = new Http2Stats();
    private final Map<Long, Entry<C>> connections;

    public Http2Connections(int maxConnections) {
        this.connections = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Entry<C>> eldest) {
                if (size() <= maxConnections) {
                    return false;
                }
                stats.evict();
                return true;
            }
        };
    }

    public Http2Stats stats() {
        return stats;
    }

    /** Connections followed now. */
    public int size() {
        return connections.size();
    }

    /**
     * Follows one chunk of connection {@code id} (see {@link Http2Connection#chunk}); {@code context}
     * is kept if this chunk starts the connection. {@code out} receives the streams it ended.
     */
    public void chunk(long id, C context, long seq, boolean clientToServer, byte[] data, long total, long startNanos,
            long endNanos, BiConsumer<C, Http2Connection.Stream> out) {
        Entry<C> e = connections.get(id);
        if (e == null) {
            e = new Entry<>(new Http2Connection(stats), context);
            connections.put(id, e);
        }
        C c = e.context();
        e.connection().chunk(seq, clientToServer, data, total, startNanos, endNanos, s -> out.accept(c, s));
    }

    /** Connection {@code id} closed at {@code nanos}: its open streams go out unanswered; it is forgotten. */
    public void close(long id, long nanos, BiConsumer<C, Http2Connection.Stream> out) {
        Entry<C> e = connections.remove(id);
        if (e != null) {
            C c = e.context();
            e.connection().close(nanos, s -> out.accept(c, s));
        }
    }
}
