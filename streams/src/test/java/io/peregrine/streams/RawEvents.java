package io.peregrine.streams;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.CloudLifecycle;
import io.peregrine.schema.CloudMetadata;
import io.peregrine.schema.CloudProvider;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.IpFamily;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NetInterfaceStats;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Side;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Raw agent events for tests, built on the schemas module's {@link SampleRecords} (so every
 * required field is realistic) with the parts a scenario cares about set explicitly. One instance
 * numbers its events like one agent run: seq increases per topic.
 */
public final class RawEvents {

    /** A window-aligned instant (10 s windows). */
    public static final Instant T0 = Instant.parse("2025-06-02T10:15:30Z");

    public static final NodeId APP_NODE = node("app-1", "aaaa0000aaaa0000aaaa0000aaaa0001");
    public static final NodeId DB_NODE = node("db-1", "bbbb0000bbbb0000bbbb0000bbbb0002");
    public static final NodeId CLOCK_NODE = node("clock", "cccc0000cccc0000cccc0000cccc0003");

    public static final AppId FRONTEND = k8s("shop", "frontend");
    public static final AppId CHECKOUT = k8s("shop", "checkout");
    public static final AppId POSTGRES = AppId.newBuilder().setKind(AppKind.SYSTEMD)
            .setId("systemd/postgresql.service").setName("postgresql").build();
    public static final AppId REDIS = process("redis-server");
    public static final AppId CLOCK = process("clock");

    private final String runId;
    private long seq;

    public RawEvents(String runId) {
        this.runId = runId;
    }

    public RawEvents() {
        this(SampleRecords.AGENT_RUN_ID);
    }

    public String runId() {
        return runId;
    }

    public static NodeId node(String host, String machineId) {
        return NodeId.newBuilder().setHostname(host).setMachineId(machineId).build();
    }

    /** The raw topics' key: the node. */
    public static String key(NodeId node) {
        return node.getHostname() + "/" + node.getMachineId();
    }

    public static AppId k8s(String ns, String name) {
        return AppId.newBuilder().setKind(AppKind.KUBERNETES).setId("k8s/" + ns + "/" + name).setName(name)
                .setNamespace(ns).setWorkload("Deployment/" + name).setContainer("app").build();
    }

    public static AppId process(String exe) {
        return AppId.newBuilder().setKind(AppKind.PROCESS).setId("process/" + exe).setName(exe).build();
    }

    public static AppInstance instance(AppId app) {
        return AppInstance.newBuilder().setApp(app).setInstanceId("inst-" + app.getName()).build();
    }

    public static AppInstance instance(AppId app, String instanceId) {
        return AppInstance.newBuilder().setApp(app).setInstanceId(instanceId).build();
    }

    public static ListenEvent listen(NodeId node, String ip, int port, AppInstance owner, Instant firstSeen) {
        return ListenEvent.newBuilder(SampleRecords.listenEvent())
                .setNode(node).setIp(ip).setPort(port).setInstance(owner)
                .setFamily(ip.contains(":") ? IpFamily.IPV6 : IpFamily.IPV4)
                .setFirstSeen(firstSeen).setLastSeen(firstSeen).setTimestamp(firstSeen).setListening(true)
                .build();
    }

    /** The listens topic key. */
    public static String listenKey(NodeId node, String ip, int port) {
        return key(node) + "|" + ip + "|" + port;
    }

    public static NodeSample nodeSample(NodeId node, Instant ts, String zone, List<String> addresses) {
        NodeSample base = SampleRecords.nodeSample();
        return NodeSample.newBuilder(base)
                .setNode(node).setTimestamp(ts)
                .setInterfaces(List.of(NetInterfaceStats.newBuilder(base.getInterfaces().get(0))
                        .setAddresses(addresses).build()))
                .setCloud(zone == null ? null : CloudMetadata.newBuilder(base.getCloud())
                        .setAvailabilityZone(zone).setLifecycle(CloudLifecycle.ON_DEMAND).build())
                .build();
    }

    public L7Event clientCall(NodeId node, AppId client, String clientIp, String serverIp, int port, Protocol protocol,
                              Instant ts, long latencyNs, boolean error) {
        return L7Event.newBuilder(SampleRecords.l7Event())
                .setNode(node).setAgentRunId(runId).setSeq(seq++).setTimestamp(ts)
                .setSide(Side.CLIENT).setProtocol(protocol).setInstance(instance(client))
                .setStatus(error ? "500" : "200").setStatusCode(error ? 500 : 200).setError(error)
                .setLatencyNs(latencyNs).setRequestBytes(100).setResponseBytes(1000)
                .setClientIp(clientIp).setClientPort(40_000).setServerIp(serverIp).setServerPort(port)
                .setServerName(null).setTraceparent(null)
                .build();
    }

    public L7Event serverCall(NodeId node, AppId server, String clientIp, String serverIp, int port, Protocol protocol,
                              Instant ts, long latencyNs, boolean error) {
        return L7Event.newBuilder(clientCall(node, server, clientIp, serverIp, port, protocol, ts, latencyNs, error))
                .setSide(Side.SERVER).build();
    }

    public L7Event dnsAnswer(NodeId node, AppId client, String name, List<String> ips, Instant ts) {
        return L7Event.newBuilder(SampleRecords.l7DnsEvent())
                .setNode(node).setAgentRunId(runId).setSeq(seq++).setTimestamp(ts)
                .setInstance(instance(client)).setClientIp("10.0.1.10").setServerIp("10.0.0.2").setServerPort(53)
                .setActualServerIp(null).setActualServerPort(null)
                .setDns(DnsDetails.newBuilder(SampleRecords.l7DnsEvent().getDns())
                        .setQuestionName(name).setAnswerIps(ips).build())
                .build();
    }

    public ConnectionEvent connection(NodeId node, AppId app, ConnectionEventKind kind, ConnectionDirection direction,
                                      String localIp, String remoteIp, int remotePort, Instant ts) {
        return ConnectionEvent.newBuilder(SampleRecords.connectionEvent())
                .setNode(node).setAgentRunId(runId).setSeq(seq++).setTimestamp(ts)
                .setKind(kind).setDirection(direction).setSource(Collector.EBPF).setInstance(instance(app))
                .setLocalIp(localIp).setLocalPort(direction == ConnectionDirection.INBOUND ? remotePort : 50_000)
                .setRemoteIp(remoteIp).setRemotePort(direction == ConnectionDirection.INBOUND ? 0 : remotePort)
                .setActualRemoteIp(null).setActualRemotePort(null)
                .setBytesSent(0).setBytesReceived(0).setRetransmits(0).setRttUs(null).setFd(null)
                .build();
    }

    public ConnectionEvent stats(NodeId node, AppId app, ConnectionDirection direction, String localIp,
                                 String remoteIp, int remotePort, Instant ts, long sent, long received) {
        return ConnectionEvent.newBuilder(connection(node, app, ConnectionEventKind.STATS, direction, localIp,
                        remoteIp, remotePort, ts))
                .setBytesSent(sent).setBytesReceived(received).setRetransmits(2).setRttUs(500L)
                .setConnectionsOpened(1).setActiveConnections(3)
                .build();
    }

    public AppSample appSample(NodeId node, AppInstance instance, Instant ts, Instant startedAt, double cpuSeconds,
                               long rssBytes) {
        return AppSample.newBuilder(SampleRecords.appSample())
                .setNode(node).setAgentRunId(runId).setSeq(seq++).setTimestamp(ts).setIntervalMs(10_000)
                .setInstance(instance).setStartedAt(startedAt)
                .setCpuUserSecondsTotal(cpuSeconds * 0.75).setCpuSystemSecondsTotal(cpuSeconds * 0.25)
                .setMemoryRssBytes(rssBytes)
                .build();
    }

    /** A sample of the clock app: moves event time forward without touching the apps under test. */
    public AppSample tick(Instant ts) {
        return appSample(CLOCK_NODE, instance(CLOCK), ts, ts.minus(Duration.ofDays(1)), 1.0, 1);
    }
}
