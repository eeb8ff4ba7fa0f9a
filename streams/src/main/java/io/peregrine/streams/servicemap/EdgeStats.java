package io.peregrine.streams.servicemap;

import io.peregrine.schema.Protocol;
import io.peregrine.streams.internal.Bytes;
import io.peregrine.streams.sketch.LatencyHistogram;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What one side (client or server observations) saw of one client -> server edge in one window:
 * request figures from L7 events, connection figures from connection events. Mergeable, so it is
 * both the local pre-aggregate of a task and the window accumulator after repartitioning.
 */
final class EdgeStats {

    /** Client addresses kept per edge, to match server-side observations to instrumented clients. */
    static final int MAX_CLIENT_IPS = 64;
    private static final Protocol[] PROTOCOLS = Protocol.values();

    long requests;
    long errors;
    /** Requests that were not errors and completed within the server's latency threshold. */
    long latencyGood;
    final long[] protocolRequests = new long[PROTOCOLS.length];
    final LatencyHistogram latency = new LatencyHistogram();
    /** L7 request bytes (client to server) and response bytes. */
    long l7BytesSent;
    long l7BytesReceived;

    /** Any connection event at all (procfs-only edges have nothing else). */
    boolean hasConnections;
    /** Any STATS event: then traffic figures come from the kernel counters rather than L7. */
    boolean hasConnectionStats;
    /** Payload bytes client to server, and server to client, from STATS. */
    long connBytesSent;
    long connBytesReceived;
    long connectionsOpened;
    long failedConnects;
    long retransmits;
    long rttSumUs;
    long rttCount;
    long rttMaxUs = -1;

    /** Addresses of the client instances (client side only). */
    final Set<String> clientIps = new LinkedHashSet<>();
    /** The address added last: events of one edge mostly repeat it, and the decoder interns it. */
    private String lastClientIp;

    void addRequest(Protocol protocol, boolean error, long latencyNs, long thresholdNs, long requestBytes,
                    long responseBytes) {
        requests++;
        if (error) {
            errors++;
        } else if (latencyNs <= thresholdNs) {
            latencyGood++;
        }
        protocolRequests[protocol.ordinal()]++;
        latency.add(latencyNs);
        l7BytesSent += requestBytes;
        l7BytesReceived += responseBytes;
    }

    /** Back to empty, keeping the histogram's storage. */
    void reset() {
        requests = 0;
        errors = 0;
        latencyGood = 0;
        java.util.Arrays.fill(protocolRequests, 0L);
        latency.reset();
        l7BytesSent = 0;
        l7BytesReceived = 0;
        hasConnections = false;
        hasConnectionStats = false;
        connBytesSent = 0;
        connBytesReceived = 0;
        connectionsOpened = 0;
        failedConnects = 0;
        retransmits = 0;
        rttSumUs = 0;
        rttCount = 0;
        rttMaxUs = -1;
        clientIps.clear();
        lastClientIp = null;
    }

    void addRtt(Long rttUs) {
        if (rttUs != null && rttUs >= 0) {
            rttSumUs += rttUs;
            rttCount++;
            rttMaxUs = Math.max(rttMaxUs, rttUs);
        }
    }

    void addClientIp(String ip) {
        if (ip != null && ip != lastClientIp && clientIps.size() < MAX_CLIENT_IPS) {
            clientIps.add(ip);
            lastClientIp = ip;
        }
    }

    void merge(EdgeStats o) {
        requests += o.requests;
        errors += o.errors;
        latencyGood += o.latencyGood;
        for (int i = 0; i < protocolRequests.length; i++) {
            protocolRequests[i] += o.protocolRequests[i];
        }
        latency.merge(o.latency);
        l7BytesSent += o.l7BytesSent;
        l7BytesReceived += o.l7BytesReceived;
        hasConnections |= o.hasConnections;
        hasConnectionStats |= o.hasConnectionStats;
        connBytesSent += o.connBytesSent;
        connBytesReceived += o.connBytesReceived;
        connectionsOpened += o.connectionsOpened;
        failedConnects += o.failedConnects;
        retransmits += o.retransmits;
        rttSumUs += o.rttSumUs;
        rttCount += o.rttCount;
        rttMaxUs = Math.max(rttMaxUs, o.rttMaxUs);
        for (String ip : o.clientIps) {
            addClientIp(ip);
        }
    }

    /** The protocol with the most requests; TCP without requests. */
    Protocol mainProtocol() {
        int best = -1;
        for (int i = 0; i < protocolRequests.length; i++) {
            if (protocolRequests[i] > 0 && (best < 0 || protocolRequests[i] > protocolRequests[best])) {
                best = i;
            }
        }
        return best < 0 ? Protocol.TCP : PROTOCOLS[best];
    }

    boolean isEmpty() {
        return requests == 0 && !hasConnections;
    }

    void write(Bytes.Writer w) {
        w.writeLong(requests).writeLong(errors).writeLong(latencyGood);
        int nonZero = 0;
        for (long c : protocolRequests) {
            if (c != 0) {
                nonZero++;
            }
        }
        w.writeInt(nonZero);
        for (int i = 0; i < protocolRequests.length; i++) {
            if (protocolRequests[i] != 0) {
                w.writeInt(i).writeLong(protocolRequests[i]);
            }
        }
        latency.write(w);
        w.writeLong(l7BytesSent).writeLong(l7BytesReceived);
        w.writeBoolean(hasConnections).writeBoolean(hasConnectionStats);
        w.writeLong(connBytesSent).writeLong(connBytesReceived).writeLong(connectionsOpened).writeLong(failedConnects)
                .writeLong(retransmits).writeLong(rttSumUs).writeLong(rttCount).writeLong(rttMaxUs);
        w.writeInt(clientIps.size());
        for (String ip : clientIps) {
            w.writeString(ip);
        }
    }

    static EdgeStats read(Bytes.Reader r) {
        EdgeStats s = new EdgeStats();
        s.requests = r.readLong();
        s.errors = r.readLong();
        s.latencyGood = r.readLong();
        int n = r.readSize();
        for (int i = 0; i < n; i++) {
            int p = r.readInt();
            long c = r.readLong();
            if (p >= 0 && p < PROTOCOLS.length) {
                s.protocolRequests[p] = c;
            }
        }
        s.latency.merge(LatencyHistogram.read(r));
        s.l7BytesSent = r.readLong();
        s.l7BytesReceived = r.readLong();
        s.hasConnections = r.readBoolean();
        s.hasConnectionStats = r.readBoolean();
        s.connBytesSent = r.readLong();
        s.connBytesReceived = r.readLong();
        s.connectionsOpened = r.readLong();
        s.failedConnects = r.readLong();
        s.retransmits = r.readLong();
        s.rttSumUs = r.readLong();
        s.rttCount = r.readLong();
        s.rttMaxUs = r.readLong();
        int ips = r.readSize();
        for (int i = 0; i < ips; i++) {
            s.clientIps.add(r.readString());
        }
        return s;
    }
}
