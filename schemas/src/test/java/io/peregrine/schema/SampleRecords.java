package io.peregrine.schema;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;

/**
 * Realistic instances of every top-level record, for tests in this module and in others (serde
 * round trips through a real broker, topology tests). Every method returns a fresh, fully built
 * instance with every optional field that makes sense for the scenario filled in, so that a
 * round trip exercises unions, arrays, maps, nested records and logical types.
 *
 * <p>The scenario is one small cluster: node {@code ip-10-0-1-17} runs the {@code shop/checkout}
 * Deployment, which calls {@code postgres} (a systemd unit on another node) and resolves names
 * through DNS; postgres OOM-kills, the checkout availability SLO burns, an incident is opened.
 * Times are fixed (and whole milliseconds, as {@code timestamp-millis} stores them), so instances
 * compare equal across calls.
 */
public final class SampleRecords {

  /** Time every sample is anchored at. */
  public static final Instant T0 = Instant.parse("2025-06-02T10:15:30Z");

  /** Agent run id used by every raw sample. */
  public static final String AGENT_RUN_ID = "5b0f3c8e-2a41-4f6e-9d3a-7c1e2b9f4a10";

  private static final String CHECKOUT_CONTAINER_ID =
      "3f1c9a7e5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e";
  private static final String CHECKOUT_CGROUP =
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7d3e9b1a_4c2f_4e8d_9a6b_1f0c3e5d7a92.slice/cri-containerd-"
          + CHECKOUT_CONTAINER_ID + ".scope";

  private SampleRecords() {}

  /** One instance of each top-level record, in topic-catalog order. */
  public static List<SpecificRecord> all() {
    return List.of(
        nodeSample(),
        appSample(),
        listenEvent(),
        connectionEvent(),
        l7Event(),
        processEvent(),
        serviceEdgeWindow(),
        serviceEdge(),
        serviceSliWindow(),
        appUsageWindow(),
        anomaly(),
        alert(),
        incident(),
        silence(),
        deadLetter());
  }

  /** {@link #all()} plus the variants that fill the optional parts the main samples leave empty. */
  public static List<SpecificRecord> allVariants() {
    List<SpecificRecord> records = new ArrayList<>(all());
    records.add(l7DnsEvent());
    records.add(l7KafkaEvent());
    records.add(failedConnectEvent());
    records.add(connectionStatsEvent());
    records.add(oomKillEvent());
    records.add(resolvedAlert());
    return records;
  }

  // ---------------------------------------------------------------- identities

  /** The node the raw samples come from. */
  public static NodeId node() {
    return NodeId.newBuilder()
        .setHostname("ip-10-0-1-17")
        .setMachineId("9f3a51c2d8e04b7f8a6c1e2d3b4f5a60")
        .build();
  }

  /** The node postgres runs on. */
  public static NodeId dbNode() {
    return NodeId.newBuilder()
        .setHostname("db-1")
        .setMachineId("0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f")
        .build();
  }

  /** A Kubernetes Deployment. */
  public static AppId checkoutApp() {
    return AppId.newBuilder()
        .setKind(AppKind.KUBERNETES)
        .setId("k8s/shop/checkout")
        .setName("checkout")
        .setNamespace("shop")
        .setWorkload("Deployment/checkout")
        .setContainer("app")
        .build();
  }

  /** A systemd unit. */
  public static AppId postgresApp() {
    return AppId.newBuilder()
        .setKind(AppKind.SYSTEMD)
        .setId("systemd/postgresql@16-main.service")
        .setName("postgresql@16-main")
        .build();
  }

  /** Another Kubernetes Deployment, a client of checkout. */
  public static AppId frontendApp() {
    return AppId.newBuilder()
        .setKind(AppKind.KUBERNETES)
        .setId("k8s/shop/frontend")
        .setName("frontend")
        .setNamespace("shop")
        .setWorkload("Deployment/frontend")
        .setContainer("nginx")
        .build();
  }

  /** A destination no agent owns. */
  public static AppId paymentsApiExternal() {
    return AppId.newBuilder()
        .setKind(AppKind.EXTERNAL)
        .setId("external/api.payments.example.com:443")
        .setName("api.payments.example.com")
        .build();
  }

  /** The checkout pod's container on {@link #node()}. */
  public static AppInstance checkoutInstance() {
    return AppInstance.newBuilder()
        .setApp(checkoutApp())
        .setInstanceId(CHECKOUT_CONTAINER_ID)
        .build();
  }

  /** The postgres unit on {@link #dbNode()}. */
  public static AppInstance postgresInstance() {
    return AppInstance.newBuilder()
        .setApp(postgresApp())
        .setInstanceId("/system.slice/system-postgresql.slice/postgresql@16-main.service")
        .build();
  }

  /**
   * A latency sketch holding the given values, built exactly as sketches-java's
   * {@code LogarithmicMapping(0.01)} would bin them.
   */
  public static LatencySketch latencySketch(long... latenciesNs) {
    double relativeAccuracy = 0.01;
    double logGamma = Math.log((1 + relativeAccuracy) / (1 - relativeAccuracy));
    TreeMap<Integer, Long> bins = new TreeMap<>();
    long zeroCount = 0;
    long sum = 0;
    Long min = null;
    Long max = null;
    for (long v : latenciesNs) {
      sum += v;
      min = min == null ? v : Math.min(min, v);
      max = max == null ? v : Math.max(max, v);
      if (v < 1) {
        zeroCount++;
      } else {
        bins.merge((int) Math.floor(Math.log(v) / logGamma), 1L, Long::sum);
      }
    }
    List<Long> counts = new ArrayList<>();
    int offset = 0;
    if (!bins.isEmpty()) {
      offset = bins.firstKey();
      for (int i = offset; i <= bins.lastKey(); i++) {
        counts.add(bins.getOrDefault(i, 0L));
      }
    }
    return LatencySketch.newBuilder()
        .setRelativeAccuracy(relativeAccuracy)
        .setBinOffset(offset)
        .setBinCounts(counts)
        .setZeroCount(zeroCount)
        .setCount(latenciesNs.length)
        .setSumNs(sum)
        .setMinNs(min)
        .setMaxNs(max)
        .build();
  }

  /** Request latencies of a healthy HTTP service with a slow tail, in nanoseconds. */
  public static long[] typicalLatenciesNs() {
    return new long[] {
      1_850_000, 2_100_000, 2_300_000, 2_450_000, 2_900_000, 3_400_000, 4_100_000,
      5_800_000, 9_700_000, 14_200_000, 48_000_000, 612_000_000
    };
  }

  // ---------------------------------------------------------------- raw topics

  /** A node sample of an AWS spot instance with PSI enabled. */
  public static NodeSample nodeSample() {
    PressureStall cpuStall = PressureStall.newBuilder()
        .setSomeAvg10(3.41).setSomeTotalUs(1_843_120_554L)
        .setFullAvg10(0.0).setFullTotalUs(0L).build();
    PressureStall memoryStall = PressureStall.newBuilder()
        .setSomeAvg10(0.12).setSomeTotalUs(48_221_903L)
        .setFullAvg10(0.05).setFullTotalUs(21_004_117L).build();
    PressureStall ioStall = PressureStall.newBuilder()
        .setSomeAvg10(1.87).setSomeTotalUs(902_117_342L)
        .setFullAvg10(1.02).setFullTotalUs(611_502_876L).build();
    return NodeSample.newBuilder()
        .setNode(node())
        .setAgentRunId(AGENT_RUN_ID)
        .setSeq(18_442L)
        .setTimestamp(T0)
        .setIntervalMs(15_000L)
        .setAgentVersion("0.1.0")
        .setBootId("c5e1f0b2-7a3d-4e9c-8b1f-2d6a4c8e0f13")
        .setKernelRelease("6.8.0-1019-aws")
        .setOsName("Ubuntu 24.04.1 LTS")
        .setCpuCount(8)
        .setUptimeSeconds(1_209_644.52)
        .setCpu(CpuTimes.newBuilder()
            .setUserSeconds(2_893_104.21).setNiceSeconds(1_203.77).setSystemSeconds(611_482.09)
            .setIdleSeconds(6_021_447.90).setIowaitSeconds(18_330.41).setIrqSeconds(0.0)
            .setSoftirqSeconds(42_118.65).setStealSeconds(3_022.18).build())
        .setLoad1(3.12).setLoad5(2.87).setLoad15(2.41)
        .setMemory(NodeMemory.newBuilder()
            .setTotalBytes(33_285_996_544L).setFreeBytes(1_204_883_456L)
            .setAvailableBytes(14_983_348_224L).setCachedBytes(12_617_912_320L)
            .setBuffersBytes(412_131_328L).setShmemBytes(88_473_600L)
            .setSwapTotalBytes(0L).setSwapFreeBytes(0L).build())
        .setDisks(List.of(DiskStats.newBuilder()
            .setDevice("nvme0n1")
            .setReadsCompletedTotal(4_812_339L).setWritesCompletedTotal(61_204_118L)
            .setReadBytesTotal(98_341_212_160L).setWrittenBytesTotal(1_204_118_392_832L)
            .setReadTimeSecondsTotal(2_213.481).setWriteTimeSecondsTotal(48_120.903)
            .setIoTimeSecondsTotal(31_877.204).build()))
        .setFilesystems(List.of(
            FilesystemStats.newBuilder()
                .setMountPoint("/").setDevice("/dev/nvme0n1p1").setFsType("ext4")
                .setSizeBytes(107_321_753_600L).setUsedBytes(61_847_412_736L)
                .setAvailableBytes(40_024_915_968L).build(),
            FilesystemStats.newBuilder()
                .setMountPoint("/var/lib/containerd").setDevice("/dev/nvme1n1").setFsType("xfs")
                .setSizeBytes(214_643_507_200L).setUsedBytes(88_123_441_152L)
                .setAvailableBytes(126_520_066_048L).build()))
        .setInterfaces(List.of(NetInterfaceStats.newBuilder()
            .setName("ens5").setUp(true).setAddresses(List.of("10.0.1.17", "fe80::8f2:1cff:fe3a:9b21"))
            .setRxBytesTotal(3_912_447_118_223L).setTxBytesTotal(2_118_903_447_120L)
            .setRxPacketsTotal(4_118_203_447L).setTxPacketsTotal(3_201_447_902L)
            .setRxErrorsTotal(0L).setTxErrorsTotal(0L)
            .setRxDropsTotal(112L).setTxDropsTotal(0L).build()))
        .setTcp(TcpStats.newBuilder()
            .setActiveOpensTotal(8_421_339L).setPassiveOpensTotal(12_904_118L)
            .setAttemptFailsTotal(2_117L).setEstabResetsTotal(40_318L).setOutResetsTotal(91_442L)
            .setInSegmentsTotal(9_811_204_339L).setOutSegmentsTotal(10_204_118_447L)
            .setRetransmittedSegmentsTotal(1_204_339L)
            .setListenOverflowsTotal(14L).setListenDropsTotal(14L).setCurrEstab(1_233L).build())
        .setPressure(Pressure.newBuilder()
            .setCpu(cpuStall).setMemory(memoryStall).setBlockIo(ioStall).build())
        .setCloud(CloudMetadata.newBuilder()
            .setProvider(CloudProvider.AWS).setAccountId("123456789012").setRegion("eu-west-1")
            .setAvailabilityZone("eu-west-1a").setInstanceType("m6i.2xlarge")
            .setInstanceId("i-0a1b2c3d4e5f60718").setLifecycle(CloudLifecycle.SPOT).build())
        .build();
  }

  /** A sample of the checkout container, CPU-limited and throttled. */
  public static AppSample appSample() {
    return AppSample.newBuilder()
        .setNode(node())
        .setAgentRunId(AGENT_RUN_ID)
        .setSeq(18_447L)
        .setTimestamp(T0)
        .setIntervalMs(15_000L)
        .setInstance(checkoutInstance())
        .setCgroupPath(CHECKOUT_CGROUP)
        .setContainerId(CHECKOUT_CONTAINER_ID)
        .setImage("ghcr.io/example/checkout:2.14.1")
        .setKubernetes(KubernetesPod.newBuilder()
            .setPodUid("7d3e9b1a-4c2f-4e8d-9a6b-1f0c3e5d7a92")
            .setNamespace("shop")
            .setPod("checkout-6f9c7d5b8-x2k4q")
            .setContainer("app")
            .build())
        .setExecutable("/usr/local/bin/checkout")
        .setStartedAt(T0.minus(Duration.ofHours(26)))
        .setProcesses(1)
        .setThreads(42)
        .setOpenFds(187L)
        .setCpuUserSecondsTotal(41_233.871)
        .setCpuSystemSecondsTotal(6_120.334)
        .setCpuThrottledSecondsTotal(812.447)
        .setCpuPeriodsTotal(936_118L)
        .setCpuThrottledPeriodsTotal(11_204L)
        .setCpuLimitCores(2.0)
        .setMemoryRssBytes(412_883_968L)
        .setMemoryCacheBytes(61_341_696L)
        .setMemoryLimitBytes(1_073_741_824L)
        .setOomKillsTotal(0L)
        .setDiskReadsTotal(18_233L)
        .setDiskWritesTotal(4_112L)
        .setDiskReadBytesTotal(311_402_496L)
        .setDiskWrittenBytesTotal(24_117_248L)
        .setRestartsTotal(1L)
        .setPressure(Pressure.newBuilder()
            .setCpu(PressureStall.newBuilder().setSomeAvg10(12.4).setSomeTotalUs(914_220_118L)
                .setFullAvg10(9.8).setFullTotalUs(703_118_447L).build())
            .setMemory(PressureStall.newBuilder().setSomeAvg10(0.0).setSomeTotalUs(1_204L)
                .setFullAvg10(0.0).setFullTotalUs(980L).build())
            .setBlockIo(PressureStall.newBuilder().setSomeAvg10(0.31).setSomeTotalUs(4_118_203L)
                .setFullAvg10(0.22).setFullTotalUs(3_024_117L).build())
            .build())
        .build();
  }

  /** Postgres listening on all IPv4 addresses of db-1. */
  public static ListenEvent listenEvent() {
    return ListenEvent.newBuilder()
        .setNode(dbNode())
        .setAgentRunId("e41a7c02-9b3d-4f15-a8c6-0d2e5f7a9b31")
        .setSeq(912L)
        .setTimestamp(T0)
        .setSource(Collector.EBPF)
        .setFamily(IpFamily.IPV4)
        .setIp("0.0.0.0")
        .setPort(5432)
        .setInstance(postgresInstance())
        .setPid(1187)
        .setListening(true)
        .setFirstSeen(T0.minus(Duration.ofDays(3)))
        .setLastSeen(T0)
        .build();
  }

  /** Checkout closing a connection to postgres through NAT. */
  public static ConnectionEvent connectionEvent() {
    return ConnectionEvent.newBuilder()
        .setNode(node())
        .setAgentRunId(AGENT_RUN_ID)
        .setSeq(18_502L)
        .setTimestamp(T0.plusMillis(412))
        .setKind(ConnectionEventKind.CLOSE)
        .setSource(Collector.EBPF)
        .setDirection(ConnectionDirection.OUTBOUND)
        .setInstance(checkoutInstance())
        .setPid(24_117)
        .setFd(37)
        .setFamily(IpFamily.IPV4)
        .setLocalIp("10.42.3.18")
        .setLocalPort(51_844)
        .setRemoteIp("172.20.114.9")
        .setRemotePort(5432)
        .setActualRemoteIp("10.0.2.31")
        .setActualRemotePort(5432)
        .setBytesSent(1_882_113L)
        .setBytesReceived(24_118_903L)
        .setRetransmits(3L)
        .setRttUs(412L)
        .build();
  }

  /** Checkout failing to reach the payments API. */
  public static ConnectionEvent failedConnectEvent() {
    return ConnectionEvent.newBuilder(connectionEvent())
        .setSeq(18_503L)
        .setKind(ConnectionEventKind.FAILED_CONNECT)
        .setFd(41)
        .setLocalPort(51_902)
        .setRemoteIp("203.0.113.45")
        .setRemotePort(443)
        .setActualRemoteIp(null)
        .setActualRemotePort(null)
        .setBytesSent(0L)
        .setBytesReceived(0L)
        .setRetransmits(0L)
        .setRttUs(null)
        .setConnectDurationNs(3_000_412_118L)
        .setFailureReason("ETIMEDOUT")
        .build();
  }

  /** Per-interval aggregate of checkout's connections to postgres. */
  public static ConnectionEvent connectionStatsEvent() {
    return ConnectionEvent.newBuilder(connectionEvent())
        .setSeq(18_504L)
        .setTimestamp(T0.plusSeconds(15))
        .setKind(ConnectionEventKind.STATS)
        .setFd(null)
        .setLocalPort(0)
        .setBytesSent(3_204_118L)
        .setBytesReceived(48_903_447L)
        .setRetransmits(5L)
        .setRttUs(388L)
        .setConnectionsOpened(4)
        .setActiveConnections(20)
        .build();
  }

  /** An HTTP request served by checkout, observed on the server side with a trace context. */
  public static L7Event l7Event() {
    return L7Event.newBuilder()
        .setNode(node())
        .setAgentRunId(AGENT_RUN_ID)
        .setSeq(18_611L)
        .setTimestamp(T0.plusMillis(1_204))
        .setSide(Side.SERVER)
        .setProtocol(Protocol.HTTP)
        .setInstance(checkoutInstance())
        .setPid(24_117)
        .setMethod("POST")
        .setResource("/api/v1/carts/{id}/checkout")
        .setServerName("checkout.shop.svc.cluster.local")
        .setStatus("503")
        .setStatusCode(503)
        .setError(true)
        .setLatencyNs(48_211_904L)
        .setRequestBytes(1_418L)
        .setResponseBytes(212L)
        .setClientIp("10.42.1.77")
        .setClientPort(38_114)
        .setServerIp("10.42.3.18")
        .setServerPort(8080)
        .setTls(false)
        .setTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .build();
  }

  /** A DNS lookup by checkout. */
  public static L7Event l7DnsEvent() {
    return L7Event.newBuilder(l7Event())
        .setSeq(18_612L)
        .setSide(Side.CLIENT)
        .setProtocol(Protocol.DNS)
        .setMethod("QUERY")
        .setResource("api.payments.example.com")
        .setServerName(null)
        .setStatus("NOERROR")
        .setStatusCode(0)
        .setError(false)
        .setLatencyNs(1_204_118L)
        .setRequestBytes(42L)
        .setResponseBytes(90L)
        .setClientIp("10.42.3.18")
        .setClientPort(48_221)
        .setServerIp("172.20.0.10")
        .setServerPort(53)
        .setActualServerIp("10.42.0.5")
        .setActualServerPort(53)
        .setTraceparent(null)
        .setDns(DnsDetails.newBuilder()
            .setQuestionName("api.payments.example.com")
            .setQuestionType("A")
            .setRcode("NOERROR")
            .setAnswerIps(List.of("203.0.113.45", "203.0.113.46"))
            .setAnswerTtlSeconds(60)
            .build())
        .build();
  }

  /** A Kafka produce by checkout over TLS. */
  public static L7Event l7KafkaEvent() {
    return L7Event.newBuilder(l7Event())
        .setSeq(18_613L)
        .setSide(Side.CLIENT)
        .setProtocol(Protocol.KAFKA)
        .setMethod("Produce")
        .setResource("Produce")
        .setServerName("kafka-0.kafka.svc")
        .setStatus("0")
        .setStatusCode(0)
        .setError(false)
        .setLatencyNs(3_118_447L)
        .setRequestBytes(8_204L)
        .setResponseBytes(96L)
        .setClientIp("10.42.3.18")
        .setClientPort(40_118)
        .setServerIp("10.42.2.9")
        .setServerPort(9093)
        .setTls(true)
        .setTraceparent(null)
        .setKafka(KafkaDetails.newBuilder()
            .setApiKey(0).setApiVersion(9).setClientId("checkout-producer-1").build())
        .build();
  }

  /** Checkout's main process exiting with a non-zero status. */
  public static ProcessEvent processEvent() {
    return ProcessEvent.newBuilder()
        .setNode(node())
        .setAgentRunId(AGENT_RUN_ID)
        .setSeq(18_720L)
        .setTimestamp(T0.plusSeconds(2))
        .setKind(ProcessEventKind.EXIT)
        .setSource(Collector.EBPF)
        .setPid(24_117)
        .setPpid(24_090)
        .setProcessStartedAt(T0.minus(Duration.ofHours(26)))
        .setComm("checkout")
        .setExe("/usr/local/bin/checkout")
        .setCmdline("/usr/local/bin/checkout --config /etc/checkout/config.yaml --port 8080")
        .setCmdlineTruncated(false)
        .setCgroupPath(CHECKOUT_CGROUP)
        .setInstance(checkoutInstance())
        .setExitCode(2)
        .build();
  }

  /** The OOM killer choosing a postgres backend. */
  public static ProcessEvent oomKillEvent() {
    return ProcessEvent.newBuilder()
        .setNode(dbNode())
        .setAgentRunId("e41a7c02-9b3d-4f15-a8c6-0d2e5f7a9b31")
        .setSeq(1_204L)
        .setTimestamp(T0.minusSeconds(30))
        .setKind(ProcessEventKind.OOM_KILL)
        .setSource(Collector.EBPF)
        .setPid(88_412)
        .setPpid(1187)
        .setComm("postgres")
        .setExe("/usr/lib/postgresql/16/bin/postgres")
        .setCmdline("postgres: 16/main: checkout shop 10.0.1.17(51844) SELECT")
        .setCgroupPath("/system.slice/system-postgresql.slice/postgresql@16-main.service")
        .setInstance(postgresInstance())
        .setSignal(9)
        .build();
  }

  // ---------------------------------------------------------------- derived topics

  /** Ten seconds of checkout -> postgres traffic. */
  public static ServiceEdgeWindow serviceEdgeWindow() {
    return ServiceEdgeWindow.newBuilder()
        .setWindowStart(T0)
        .setWindowEnd(T0.plusSeconds(10))
        .setClient(checkoutApp())
        .setServer(postgresApp())
        .setProtocol(Protocol.POSTGRES)
        .setSource(Side.CLIENT)
        .setRequests(12L)
        .setErrors(1L)
        .setLatency(latencySketch(typicalLatenciesNs()))
        .setP50Ns(3_400_000L)
        .setP90Ns(48_000_000L)
        .setP95Ns(612_000_000L)
        .setP99Ns(612_000_000L)
        .setBytesSent(48_118L)
        .setBytesReceived(1_204_339L)
        .setConnectionsOpened(2L)
        .setFailedConnects(0L)
        .setRetransmits(1L)
        .setRttAvgUs(402.5)
        .setRttMaxUs(911L)
        .build();
  }

  /** The current checkout -> postgres edge of the map. */
  public static ServiceEdge serviceEdge() {
    return ServiceEdge.newBuilder()
        .setClient(checkoutApp())
        .setServer(postgresApp())
        .setProtocols(List.of(Protocol.POSTGRES))
        .setFirstSeen(T0.minus(Duration.ofDays(3)))
        .setLastSeen(T0.plusSeconds(10))
        .setLastWindowRequests(12L)
        .setLastWindowErrors(1L)
        .build();
  }

  /** Ten seconds of checkout's SLIs from its own server side. */
  public static ServiceSliWindow serviceSliWindow() {
    return ServiceSliWindow.newBuilder()
        .setApp(checkoutApp())
        .setWindowStart(T0)
        .setWindowEnd(T0.plusSeconds(10))
        .setSource(Side.SERVER)
        .setRequests(12L)
        .setErrors(1L)
        .setLatency(latencySketch(typicalLatenciesNs()))
        .setP50Ns(3_400_000L)
        .setP90Ns(48_000_000L)
        .setP95Ns(612_000_000L)
        .setP99Ns(612_000_000L)
        .setLatencyThresholdMs(500L)
        .setTotal(12L)
        .setAvailabilityGood(11L)
        .setLatencyGood(10L)
        .build();
  }

  /** One minute of checkout's resource usage. */
  public static AppUsageWindow appUsageWindow() {
    return AppUsageWindow.newBuilder()
        .setApp(checkoutApp())
        .setWindowStart(T0)
        .setWindowEnd(T0.plusSeconds(60))
        .setNodes(3)
        .setInstances(3)
        .setCpuSeconds(94.2)
        .setMemoryByteSeconds(74_319_114_240.0)
        .setBytesSent(418_223_104L)
        .setBytesReceived(1_902_447_616L)
        .setCrossZoneBytesSent(139_407_701L)
        .setCrossZoneBytesReceived(634_149_205L)
        .setInternetBytesSent(2_118_400L)
        .setInternetBytesReceived(812_446L)
        .setLifecycle(CloudLifecycle.SPOT)
        .build();
  }

  /** Checkout's p99 latency far above its baseline. */
  public static Anomaly anomaly() {
    return Anomaly.newBuilder()
        .setApp(checkoutApp())
        .setMetric(AnomalyMetric.LATENCY_P99)
        .setWindowStart(T0)
        .setWindowEnd(T0.plusSeconds(10))
        .setDetectedAt(T0.plusSeconds(16))
        .setObserved(612.0)
        .setBaseline(118.0)
        .setSpread(35.8)
        .setScore(9.31)
        .setDirection(AnomalyDirection.HIGH)
        .setExplanation("p99 latency 612 ms, usually 118 ms (score 9.3)")
        .build();
  }

  /** Checkout's availability SLO burning fast. */
  public static Alert alert() {
    Map<String, String> labels = new TreeMap<>();
    labels.put("app", "k8s/shop/checkout");
    labels.put("namespace", "shop");
    labels.put("kind", "SLO_AVAILABILITY");
    labels.put("severity", "PAGE");
    labels.put("slo", "availability");
    return Alert.newBuilder()
        .setFingerprint("b1946ac92492d2347c6235b4d2611184e5a2f0c4f7f3f5a8a9c1d2e3f4a5b6c7")
        .setStatus(AlertStatus.FIRING)
        .setKind(AlertKind.SLO_AVAILABILITY)
        .setSeverity(Severity.PAGE)
        .setApp(checkoutApp())
        .setSummary("checkout: availability SLO burning 16.7x")
        .setDescription("16.7 % of requests to checkout failed over the last 5 minutes and 15.2 % over the"
            + " last hour, against an objective of 99 %; at this rate the 30-day error budget is spent in"
            + " under 2 days.")
        .setLabels(labels)
        .setStartsAt(T0.plusSeconds(20))
        .setUpdatedAt(T0.plusSeconds(21))
        .setValue(16.7)
        .setThreshold(14.4)
        .setBurnRate(BurnRate.newBuilder()
            .setObjective(0.99)
            .setLongWindowMs(3_600_000L)
            .setShortWindowMs(300_000L)
            .setLongBurnRate(15.2)
            .setShortBurnRate(16.7)
            .setThreshold(14.4)
            .build())
        .build();
  }

  /** The same alert once the condition cleared. */
  public static Alert resolvedAlert() {
    return Alert.newBuilder(alert())
        .setStatus(AlertStatus.RESOLVED)
        .setEndsAt(T0.plus(Duration.ofMinutes(14)))
        .setUpdatedAt(T0.plus(Duration.ofMinutes(14)).plusSeconds(1))
        .setValue(0.4)
        .build();
  }

  /** Checkout's errors traced to the OOM-killed postgres. */
  public static Incident incident() {
    Alert alert = alert();
    String postgresOom = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";
    return Incident.newBuilder()
        .setId("0f8fad5b-d9cb-469f-a165-70867728950e")
        .setStatus(IncidentStatus.OPEN)
        .setSeverity(Severity.PAGE)
        .setTitle("checkout errors: probable cause postgresql@16-main")
        .setSummary("17 % of checkout requests fail since 10:15:50. postgresql@16-main, which checkout"
            + " calls, had a backend OOM-killed at 10:15:00 and its connections reset.")
        .setRootCause(postgresApp())
        .setRootCauseReasoning("deepest alerting dependency of every affected app; its alert started"
            + " 50 s before the first symptom")
        .setAffectedApps(List.of(postgresApp(), checkoutApp()))
        .setAlertFingerprints(List.of(postgresOom, alert.getFingerprint()))
        .setEvidence(List.of(
            Evidence.newBuilder()
                .setApp(postgresApp())
                .setRelation(EvidenceRelation.ROOT)
                .setAlertFingerprint(postgresOom)
                .setSummary("postgresql@16-main: backend OOM-killed at 10:15:00")
                .setAt(T0.minusSeconds(30))
                .build(),
            Evidence.newBuilder()
                .setApp(checkoutApp())
                .setRelation(EvidenceRelation.CLIENT)
                .setAlertFingerprint(alert.getFingerprint())
                .setSummary("checkout: availability SLO burning 16.7x")
                .setAt(alert.getStartsAt())
                .build(),
            Evidence.newBuilder()
                .setApp(frontendApp())
                .setRelation(EvidenceRelation.TRANSITIVE_CLIENT)
                .setSummary("frontend: 502 responses on /cart rose from 0 to 3 %")
                .setAt(T0.plusSeconds(25))
                .build()))
        .setOpenedAt(T0.minusSeconds(30))
        .setUpdatedAt(T0.plusSeconds(26))
        .build();
  }

  /** A maintenance silence for postgres. */
  public static Silence silence() {
    return Silence.newBuilder()
        .setId("6b86b273-ff34-4fce-9d6b-804eff5a3f57")
        .setMatchers(List.of(
            SilenceMatcher.newBuilder().setName("app").setValue("systemd/postgresql@.*")
                .setIsRegex(true).setIsEqual(true).build(),
            SilenceMatcher.newBuilder().setName("severity").setValue("INFO")
                .setIsRegex(false).setIsEqual(false).build()))
        .setStartsAt(T0)
        .setEndsAt(T0.plus(Duration.ofHours(2)))
        .setCreatedBy("oncall@example.com")
        .setComment("CHG-4121: postgres 16.4 minor upgrade on db-1")
        .setCreatedAt(T0.minusSeconds(300))
        .build();
  }

  /** An L7 event with a negative latency, rejected by the SLI stage. */
  public static DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setSourceTopic("peregrine.raw.l7")
        .setPartition(7)
        .setOffset(1_204_118_339L)
        .setRecordTimestamp(T0.plusMillis(1_204))
        .setKey(ByteBuffer.wrap("ip-10-0-1-17".getBytes(StandardCharsets.UTF_8)))
        .setValue(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 12, 2, 24, 105, 112, 45, 49, 48}))
        .setSchemaId(12)
        .setReason(DeadLetterReason.INVARIANT)
        .setReasonMessage("latency_ns is negative: -42")
        .setExceptionClass("io.peregrine.streams.sli.InvalidEventException")
        .setStage("streams/sli/validate")
        .setFailedAt(T0.plusSeconds(2))
        .build();
  }
}
