package io.peregrine.streams.servicemap;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppUsageWindow;
import io.peregrine.schema.CloudLifecycle;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Side;
import io.peregrine.streams.sketch.LatencyHistogram;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the output records of a closed window from accumulated figures. Pure functions. */
final class Outputs {

    private Outputs() {
    }

    /** Key of an edge in peregrine.service-map and peregrine.topology. */
    static String edgeKey(String clientId, String serverId) {
        return clientId + "->" + serverId;
    }

    /**
     * One edge of one window. Requests come from the client's observations when it made any, else
     * the server's; connection figures likewise from whichever side saw connections, client first.
     */
    static ServiceEdgeWindow edgeWindow(long ws, long we, AppId client, AppId server, EdgeStats clientHalf,
                                        EdgeStats serverHalf) {
        EdgeStats req;
        Side source;
        if (clientHalf != null && (clientHalf.requests > 0 || serverHalf == null || serverHalf.requests == 0)) {
            req = clientHalf;
            source = Side.CLIENT;
        } else {
            req = serverHalf;
            source = Side.SERVER;
        }
        EdgeStats conn = clientHalf != null && clientHalf.hasConnections ? clientHalf
                : serverHalf != null && serverHalf.hasConnections ? serverHalf : null;
        long bytesSent;
        long bytesReceived;
        if (conn != null && conn.hasConnectionStats) {
            bytesSent = conn.connBytesSent;
            bytesReceived = conn.connBytesReceived;
        } else {
            bytesSent = req.l7BytesSent;
            bytesReceived = req.l7BytesReceived;
        }
        LatencyHistogram h = req.latency;
        return ServiceEdgeWindow.newBuilder()
                .setWindowStart(Instant.ofEpochMilli(ws))
                .setWindowEnd(Instant.ofEpochMilli(we))
                .setClient(client)
                .setServer(server)
                .setProtocol(req.requests > 0 ? req.mainProtocol() : Protocol.TCP)
                .setSource(source)
                .setRequests(req.requests)
                .setErrors(req.errors)
                .setLatency(h.toAvro())
                .setP50Ns(h.quantile(0.50))
                .setP90Ns(h.quantile(0.90))
                .setP95Ns(h.quantile(0.95))
                .setP99Ns(h.quantile(0.99))
                .setBytesSent(bytesSent)
                .setBytesReceived(bytesReceived)
                .setConnectionsOpened(conn == null ? 0 : conn.connectionsOpened)
                .setFailedConnects(conn == null ? 0 : conn.failedConnects)
                .setRetransmits(conn == null ? 0 : conn.retransmits)
                .setRttAvgUs(conn == null || conn.rttCount == 0 ? null : (double) conn.rttSumUs / conn.rttCount)
                .setRttMaxUs(conn == null || conn.rttMaxUs < 0 ? null : conn.rttMaxUs)
                .build();
    }

    /**
     * The SLIs of {@code app} in one window: from its own server-side observations when it made
     * any, else from its callers' (where a failed connect is a failed request).
     */
    static ServiceSliWindow sliWindow(long ws, long we, AppId app, EdgeStats serverTotal, EdgeStats clientTotal,
                                      long thresholdMs) {
        boolean serverSide = serverTotal.requests > 0;
        EdgeStats s = serverSide ? serverTotal : clientTotal;
        long failed = serverSide ? 0 : s.failedConnects;
        long requests = s.requests + failed;
        long errors = s.errors + failed;
        LatencyHistogram h = s.latency;
        return ServiceSliWindow.newBuilder()
                .setApp(app)
                .setWindowStart(Instant.ofEpochMilli(ws))
                .setWindowEnd(Instant.ofEpochMilli(we))
                .setSource(serverSide ? Side.SERVER : Side.CLIENT)
                .setRequests(requests)
                .setErrors(errors)
                .setLatency(h.toAvro())
                .setP50Ns(h.quantile(0.50))
                .setP90Ns(h.quantile(0.90))
                .setP95Ns(h.quantile(0.95))
                .setP99Ns(h.quantile(0.99))
                .setLatencyThresholdMs(thresholdMs)
                .setTotal(requests)
                .setAvailabilityGood(requests - errors)
                .setLatencyGood(s.latencyGood)
                .build();
    }

    static AppUsageWindow usageWindow(long ws, long we, AppId app, UsageStats u) {
        CloudLifecycle lifecycle = null;
        if (u.lifecycles.size() == 1) {
            String l = u.lifecycles.iterator().next();
            if (l.equals(CloudLifecycle.ON_DEMAND.name()) || l.equals(CloudLifecycle.SPOT.name())) {
                lifecycle = CloudLifecycle.valueOf(l);
            }
        }
        return AppUsageWindow.newBuilder()
                .setApp(app)
                .setWindowStart(Instant.ofEpochMilli(ws))
                .setWindowEnd(Instant.ofEpochMilli(we))
                .setNodes(u.nodes.size())
                .setInstances(u.instances.size())
                .setCpuSeconds(u.cpuSeconds)
                .setMemoryByteSeconds(u.memoryByteSeconds)
                .setBytesSent(u.bytesSent)
                .setBytesReceived(u.bytesReceived)
                .setCrossZoneBytesSent(u.crossZoneBytesSent)
                .setCrossZoneBytesReceived(u.crossZoneBytesReceived)
                .setInternetBytesSent(u.internetBytesSent)
                .setInternetBytesReceived(u.internetBytesReceived)
                .setLifecycle(lifecycle)
                .build();
    }

    /** The topology entry after one more window of traffic on the edge. */
    static ServiceEdge topology(ServiceEdge previous, ServiceEdgeWindow w) {
        List<Protocol> protocols = new ArrayList<>(previous == null ? List.of() : previous.getProtocols());
        if (!protocols.contains(w.getProtocol())) {
            protocols.add(w.getProtocol());
        }
        boolean latest = previous == null || !w.getWindowEnd().isBefore(previous.getLastSeen());
        return ServiceEdge.newBuilder()
                .setClient(w.getClient())
                .setServer(w.getServer())
                .setProtocols(protocols)
                .setFirstSeen(previous == null || w.getWindowStart().isBefore(previous.getFirstSeen())
                        ? w.getWindowStart() : previous.getFirstSeen())
                .setLastSeen(latest ? w.getWindowEnd() : previous.getLastSeen())
                .setLastWindowRequests(latest ? w.getRequests() : previous.getLastWindowRequests())
                .setLastWindowErrors(latest ? w.getErrors() : previous.getLastWindowErrors())
                .build();
    }
}
