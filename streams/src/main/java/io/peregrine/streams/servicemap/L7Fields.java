package io.peregrine.streams.servicemap;

import io.peregrine.schema.AppId;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.streams.endpoints.NodeKeys;
import java.util.Objects;

/**
 * The fields of an {@link L7Event} that the pipeline uses, and nothing else: what
 * {@link L7Decoder} reads from a raw record without building the whole event. One instance is
 * reused for every record of a task, so it is mutable; its strings and {@link AppId}s are shared,
 * interned instances and must not be modified.
 */
public final class L7Fields {

    String nodeKey;
    boolean hostnameBlank;
    String agentRunId;
    long seq;
    long timestampMs;
    Side side;
    Protocol protocol;
    AppId app;
    String serverName;
    boolean error;
    long latencyNs;
    long requestBytes;
    long responseBytes;
    String clientIp;
    int clientPort;
    String serverIp;
    int serverPort;
    String actualServerIp;
    Integer actualServerPort;
    DnsDetails dns;

    /** Takes the fields of a fully decoded event. */
    void set(L7Event e) {
        nodeKey = NodeKeys.of(e.getNode());
        hostnameBlank = e.getNode().getHostname() == null || e.getNode().getHostname().isBlank();
        agentRunId = e.getAgentRunId();
        seq = e.getSeq();
        timestampMs = e.getTimestamp().toEpochMilli();
        side = e.getSide();
        protocol = e.getProtocol();
        app = e.getInstance().getApp();
        serverName = e.getServerName();
        error = e.getError();
        latencyNs = e.getLatencyNs();
        requestBytes = e.getRequestBytes();
        responseBytes = e.getResponseBytes();
        clientIp = e.getClientIp();
        clientPort = e.getClientPort();
        serverIp = e.getServerIp();
        serverPort = e.getServerPort();
        actualServerIp = e.getActualServerIp();
        actualServerPort = e.getActualServerPort();
        dns = e.getDns();
    }

    /** {@code hostname/machine_id} of the observing node. */
    public String nodeKey() {
        return nodeKey;
    }

    public boolean hostnameBlank() {
        return hostnameBlank;
    }

    public long timestampMs() {
        return timestampMs;
    }

    public Side side() {
        return side;
    }

    public Protocol protocol() {
        return protocol;
    }

    /** The observing instance's application. */
    public AppId app() {
        return app;
    }

    public long latencyNs() {
        return latencyNs;
    }

    public long requestBytes() {
        return requestBytes;
    }

    public long responseBytes() {
        return responseBytes;
    }

    public String clientIp() {
        return clientIp;
    }

    public int clientPort() {
        return clientPort;
    }

    public String serverIp() {
        return serverIp;
    }

    public int serverPort() {
        return serverPort;
    }

    public Integer actualServerPort() {
        return actualServerPort;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof L7Fields f && hostnameBlank == f.hostnameBlank && seq == f.seq
                && timestampMs == f.timestampMs && error == f.error && latencyNs == f.latencyNs
                && requestBytes == f.requestBytes && responseBytes == f.responseBytes && clientPort == f.clientPort
                && serverPort == f.serverPort && Objects.equals(nodeKey, f.nodeKey)
                && Objects.equals(agentRunId, f.agentRunId) && side == f.side && protocol == f.protocol
                && Objects.equals(app, f.app) && Objects.equals(serverName, f.serverName)
                && Objects.equals(clientIp, f.clientIp) && Objects.equals(serverIp, f.serverIp)
                && Objects.equals(actualServerIp, f.actualServerIp) && Objects.equals(actualServerPort, f.actualServerPort)
                && Objects.equals(dns, f.dns);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nodeKey, agentRunId, seq, timestampMs);
    }

    @Override
    public String toString() {
        return "L7Fields{node=" + nodeKey + (hostnameBlank ? " (blank host)" : "") + ", run=" + agentRunId + ", seq=" + seq
                + ", ts=" + timestampMs + ", " + side + ", " + protocol + ", app=" + app + ", serverName=" + serverName
                + ", error=" + error + ", latencyNs=" + latencyNs + ", bytes=" + requestBytes + "/" + responseBytes
                + ", client=" + clientIp + ":" + clientPort + ", server=" + serverIp + ":" + serverPort + ", actual="
                + actualServerIp + ":" + actualServerPort + ", dns=" + dns + "}";
    }
}
