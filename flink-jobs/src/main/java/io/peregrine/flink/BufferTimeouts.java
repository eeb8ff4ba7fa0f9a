package io.peregrine.flink;

/**
 * Network buffer timeouts on the paging path (SLI window to page), set per operator by the
 * workflows. Flink's default (100 ms) lets a partly filled buffer wait that long at every network
 * hop, and a page crosses four (SLI counts to burn rate, alerts to hysteresis, signals to the
 * correlator, incidents to the notifiers): up to 400 ms of an alert's latency, spent waiting for
 * records that, on these streams, mostly do not come.
 */
public final class BufferTimeouts {

    /**
     * SLI windows: at volume buffers fill (and leave) long before this; at low rates a partial one
     * waits at most this long, and the flushes it costs are few.
     */
    public static final long SLI_WINDOWS_MS = 10;

    /** Alerts, signals, incidents and notices: rare, each flushed as soon as it is written. */
    public static final long ALERTS_MS = 0;

    private BufferTimeouts() {
    }
}
