package io.peregrine.streams.dlq;

import io.peregrine.schema.AppInstance;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.streams.servicemap.L7Fields;
import java.time.Instant;

/**
 * The invariants a raw event must hold before it is aggregated. Each check throws
 * {@link InvalidEventException} with a message that names the field and the offending value, which
 * becomes the DLQ reason message. An enum read as UNKNOWN is rejected where the pipeline cannot
 * act on it: that is what a reader sees for a symbol it does not know.
 */
public final class EventValidator {

    private final long maxFutureSkewMs;

    public EventValidator(long maxFutureSkewMs) {
        this.maxFutureSkewMs = maxFutureSkewMs;
    }

    /** The invariants of an L7 event, checked on the fields the pipeline decoded from it. */
    public void validate(L7Fields e, long nowMs) {
        if (e.hostnameBlank()) {
            throw new InvalidEventException("node.hostname is empty");
        }
        timestamp(e.timestampMs(), nowMs);
        notBlank("instance.app.id", e.app().getId());
        if (e.side() == Side.UNKNOWN) {
            throw new InvalidEventException("side is UNKNOWN (not determined, or a symbol this version does not know)");
        }
        if (e.protocol() == Protocol.UNKNOWN || e.protocol() == Protocol.TCP) {
            throw new InvalidEventException("protocol is " + e.protocol() + ", not an application protocol"
                    + (e.protocol() == Protocol.UNKNOWN ? " (or a symbol this version does not know)" : ""));
        }
        nonNegative("latency_ns", e.latencyNs());
        nonNegative("request_bytes", e.requestBytes());
        nonNegative("response_bytes", e.responseBytes());
        port("server_port", e.serverPort());
        port("client_port", e.clientPort());
        if (e.actualServerPort() != null) {
            port("actual_server_port", e.actualServerPort());
        }
        notBlank("server_ip", e.serverIp());
        notBlank("client_ip", e.clientIp());
    }

    public void validate(ConnectionEvent e, long nowMs) {
        node(e.getNode());
        timestamp(e.getTimestamp(), nowMs);
        instance(e.getInstance());
        if (e.getKind() == ConnectionEventKind.UNKNOWN) {
            throw new InvalidEventException("kind is UNKNOWN (not set, or a symbol this version does not know)");
        }
        if (e.getKind() == ConnectionEventKind.FAILED_CONNECT && e.getDirection() == ConnectionDirection.INBOUND) {
            throw new InvalidEventException("FAILED_CONNECT on an INBOUND connection");
        }
        nonNegative("bytes_sent", e.getBytesSent());
        nonNegative("bytes_received", e.getBytesReceived());
        nonNegative("retransmits", e.getRetransmits());
        if (e.getRttUs() != null) {
            nonNegative("rtt_us", e.getRttUs());
        }
        if (e.getConnectDurationNs() != null) {
            nonNegative("connect_duration_ns", e.getConnectDurationNs());
        }
        if (e.getConnectionsOpened() != null) {
            nonNegative("connections_opened", e.getConnectionsOpened());
        }
        port("local_port", e.getLocalPort());
        port("remote_port", e.getRemotePort());
        notBlank("remote_ip", e.getRemoteIp());
    }

    public void validate(AppSample s, long nowMs) {
        node(s.getNode());
        timestamp(s.getTimestamp(), nowMs);
        instance(s.getInstance());
        if (s.getIntervalMs() <= 0) {
            throw new InvalidEventException("interval_ms is not positive: " + s.getIntervalMs());
        }
        finiteNonNegative("cpu_user_seconds_total", s.getCpuUserSecondsTotal());
        finiteNonNegative("cpu_system_seconds_total", s.getCpuSystemSecondsTotal());
        nonNegative("memory_rss_bytes", s.getMemoryRssBytes());
    }

    public void validate(ListenEvent e, long nowMs) {
        node(e.getNode());
        timestamp(e.getTimestamp(), nowMs);
        instance(e.getInstance());
        notBlank("ip", e.getIp());
        if (e.getPort() < 1 || e.getPort() > 65535) {
            throw new InvalidEventException("port out of 1..65535: " + e.getPort());
        }
    }

    public void validate(NodeSample s, long nowMs) {
        node(s.getNode());
        timestamp(s.getTimestamp(), nowMs);
    }

    private void timestamp(Instant ts, long nowMs) {
        timestamp(ts.toEpochMilli(), nowMs);
    }

    private void timestamp(long t, long nowMs) {
        if (t < 0) {
            throw new InvalidEventException("timestamp is before 1970: " + Instant.ofEpochMilli(t));
        }
        if (t > nowMs + maxFutureSkewMs) {
            throw new InvalidEventException("timestamp " + Instant.ofEpochMilli(t) + " is " + (t - nowMs) + " ms ahead of the wall clock ("
                    + Instant.ofEpochMilli(nowMs) + "), more than the allowed " + maxFutureSkewMs + " ms");
        }
    }

    private static void node(NodeId node) {
        notBlank("node.hostname", node.getHostname());
    }

    private static void instance(AppInstance i) {
        notBlank("instance.app.id", i.getApp().getId());
    }

    private static void nonNegative(String field, long v) {
        if (v < 0) {
            throw new InvalidEventException(field + " is negative: " + v);
        }
    }

    private static void finiteNonNegative(String field, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new InvalidEventException(field + " is not a finite non-negative number: " + v);
        }
    }

    private static void port(String field, int p) {
        if (p < 0 || p > 65535) {
            throw new InvalidEventException(field + " out of 0..65535: " + p);
        }
    }

    private static void notBlank(String field, String v) {
        if (v == null || v.isBlank()) {
            throw new InvalidEventException(field + " is empty");
        }
    }
}
