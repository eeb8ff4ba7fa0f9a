package io.peregrine.agent.l7.http2;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What {@link Http2Connections} followed and what it could not: counters for the agent's metrics
 * (read from other threads), updated by the one thread that feeds the connections.
 */
public final class Http2Stats {

    /** Why a connection's frames or header tables stopped being trusted. */
    public enum Break {
        /** A chunk number was skipped: a chunk was lost in the kernel's ring buffer. */
        CHUNK_LOST,
        /** The first chunk did not start with the client preface (seen too late by the kernel). */
        NO_PREFACE,
        /** Bytes beyond the capture held a frame header: frame boundaries are unknown. */
        FRAMING_LOST,
        /** Bytes beyond the capture held part of a header block: the HPACK table is unknown. */
        HEADERS_LOST,
        /** A header block that does not decode, or uses table entries never added. */
        BAD_HEADER_BLOCK,
        /** Frames in an order HTTP/2 forbids (a CONTINUATION out of place). */
        PROTOCOL,
        /** A header block larger than the agent keeps. */
        TOO_LARGE
    }

    private final LongAdder connections = new LongAdder();
    private final LongAdder streams = new LongAdder();
    private final LongAdder resets = new LongAdder();
    private final LongAdder unanswered = new LongAdder();
    private final LongAdder streamsLost = new LongAdder();
    private final LongAdder chunksIgnored = new LongAdder();
    private final LongAdder streamLimit = new LongAdder();
    private final LongAdder evicted = new LongAdder();
    private final Map<Break, LongAdder> breaks = new EnumMap<>(Break.class);

    public Http2Stats() {
        for (Break b : Break.values()) {
            breaks.put(b, new LongAdder());
        }
    }

    void connection() {
        connections.increment();
    }

    void stream(boolean reset, boolean answered) {
        streams.increment();
        if (reset) {
            resets.increment();
        }
        if (!answered) {
            unanswered.increment();
        }
    }

    void broken(Break why, int inFlight) {
        breaks.get(why).increment();
        streamsLost.add(inFlight);
    }

    void ignored() {
        chunksIgnored.increment();
    }

    void streamLimit() {
        streamLimit.increment();
    }

    void evict() {
        evicted.increment();
    }

    /** HTTP/2 connections followed (each starts at the kernel's first chunk of it). */
    public long connections() {
        return connections.sum();
    }

    /** Streams that ended and were reported, resets and unanswered ones included. */
    public long streams() {
        return streams.sum();
    }

    /** Reported streams that ended with RST_STREAM (or were refused by GOAWAY). */
    public long resets() {
        return resets.sum();
    }

    /** Reported streams without a response (the connection closed, or they were refused). */
    public long unanswered() {
        return unanswered.sum();
    }

    /** Connections that stopped being followed, by reason. */
    public long broken(Break why) {
        return breaks.get(why).sum();
    }

    public long broken() {
        long n = 0;
        for (LongAdder a : breaks.values()) {
            n += a.sum();
        }
        return n;
    }

    /** Streams in flight on a connection when it broke: not reported. */
    public long streamsLost() {
        return streamsLost.sum();
    }

    /** Chunks of broken connections, not looked at. */
    public long chunksIgnored() {
        return chunksIgnored.sum();
    }

    /** Streams not followed because their connection had too many open. */
    public long streamLimitHits() {
        return streamLimit.sum();
    }

    /** Connections forgotten to make room for newer ones (their later chunks break them). */
    public long evicted() {
        return evicted.sum();
    }
}
