package io.peregrine.agent.collect;

import io.peregrine.agent.procfs.CpuTimes;
import io.peregrine.agent.procfs.DiskStat;
import io.peregrine.agent.procfs.KernelStat;
import io.peregrine.agent.procfs.LoadAvg;
import io.peregrine.agent.procfs.MemInfo;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.agent.procfs.TcpCounters;
import io.peregrine.schema.DiskStats;
import io.peregrine.schema.NodeMemory;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.TcpStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One {@link NodeSample} per interval from the node-wide files of procfs (/proc/stat, loadavg,
 * meminfo, diskstats, net/dev, net/snmp and netstat, pressure, uptime), the host's filesystems and
 * interfaces, and the cloud placement when known. Boot id, kernel release and OS name are read
 * once: they cannot change while the agent runs.
 *
 * <p>A sample needs /proc/stat and /proc/meminfo; without them (a wrong --proc-root) nothing is
 * sent and the cause is counted. Other files that cannot be read leave their part empty or 0.
 */
public final class NodeSampler {

  private final RecordStamp stamp;
  private final String topic;
  private final ProcFs procFs;
  private final Path hostRoot;
  private final Filesystems filesystems;
  private final NetInterfaces interfaces;
  private final CloudMetadataSource cloud;
  private final String agentVersion;
  private String bootId;
  private String kernelRelease;
  private String osName;
  private boolean osNameRead;

  public NodeSampler(RecordStamp stamp, String topic, ProcFs procFs, Path sysRoot, Path hostRoot,
      CloudMetadataSource cloud, ScanProblems problems) {
    this.stamp = stamp;
    this.topic = topic;
    this.procFs = procFs;
    this.hostRoot = hostRoot;
    this.filesystems = new Filesystems(procFs.procRoot(), hostRoot, problems);
    this.interfaces = new NetInterfaces(sysRoot);
    this.cloud = cloud;
    this.agentVersion = NodeSampler.class.getPackage().getImplementationVersion();
  }

  public Optional<NodeSample> sample(long nowMillis) {
    Optional<KernelStat> stat = procFs.kernelStat();
    Optional<MemInfo> mem = procFs.memInfo();
    if (stat.isEmpty() || mem.isEmpty()) {
      return Optional.empty();
    }
    if (bootId == null) {
      bootId = procFs.bootId().orElse(null);
    }
    if (kernelRelease == null) {
      kernelRelease = procFs.kernelRelease().orElse(null);
    }
    if (!osNameRead) {
      osNameRead = true;
      osName = osName(hostRoot);
    }
    CpuTimes cpu = stat.get().cpu();
    LoadAvg load = procFs.loadAvg().orElse(new LoadAvg(0, 0, 0, 0, 0, 0));
    MemInfo m = mem.get();
    TcpCounters tcp = procFs.tcpCounters().orElse(null);
    List<DiskStats> disks = new ArrayList<>();
    for (DiskStat d : procFs.diskStats()) {
      disks.add(DiskStats.newBuilder()
          .setDevice(d.device())
          .setReadsCompletedTotal(d.readsCompleted())
          .setWritesCompletedTotal(d.writesCompleted())
          .setReadBytesTotal(d.readBytes())
          .setWrittenBytesTotal(d.writtenBytes())
          .setReadTimeSecondsTotal(d.readTimeMillis() / 1000.0)
          .setWriteTimeSecondsTotal(d.writeTimeMillis() / 1000.0)
          .setIoTimeSecondsTotal(d.ioTimeMillis() / 1000.0)
          .build());
    }
    return Optional.of(NodeSample.newBuilder()
        .setNode(stamp.node())
        .setAgentRunId(stamp.agentRunId())
        .setSeq(stamp.nextSeq(topic))
        .setTimestamp(Instant.ofEpochMilli(nowMillis))
        .setIntervalMs(stamp.intervalMs())
        .setAgentVersion(agentVersion)
        .setBootId(bootId == null ? "" : bootId)
        .setKernelRelease(kernelRelease == null ? "" : kernelRelease)
        .setOsName(osName)
        .setCpuCount(stat.get().onlineCpus())
        .setUptimeSeconds(procFs.uptimeSeconds().orElse(0))
        .setCpu(io.peregrine.schema.CpuTimes.newBuilder()
            .setUserSeconds(cpu.user())
            .setNiceSeconds(cpu.nice())
            .setSystemSeconds(cpu.system())
            .setIdleSeconds(cpu.idle())
            .setIowaitSeconds(cpu.iowait())
            .setIrqSeconds(cpu.irq())
            .setSoftirqSeconds(cpu.softirq())
            .setStealSeconds(cpu.steal())
            .build())
        .setLoad1(load.load1())
        .setLoad5(load.load5())
        .setLoad15(load.load15())
        .setMemory(NodeMemory.newBuilder()
            .setTotalBytes(AvroMapping.counter(m.totalBytes()))
            .setFreeBytes(AvroMapping.counter(m.freeBytes()))
            // MemAvailable appeared in 3.14; before it, free + buffers + cache is the usual estimate.
            .setAvailableBytes(m.availableBytes() >= 0 ? m.availableBytes()
                : AvroMapping.counter(m.freeBytes()) + AvroMapping.counter(m.buffersBytes())
                    + AvroMapping.counter(m.cachedBytes()))
            .setCachedBytes(AvroMapping.counter(m.cachedBytes()))
            .setBuffersBytes(AvroMapping.counter(m.buffersBytes()))
            .setShmemBytes(AvroMapping.counter(m.shmemBytes()))
            .setSwapTotalBytes(AvroMapping.counter(m.swapTotalBytes()))
            .setSwapFreeBytes(AvroMapping.counter(m.swapFreeBytes()))
            .build())
        .setDisks(disks)
        .setFilesystems(filesystems.sample())
        .setInterfaces(interfaces.sample(procFs.netDev()))
        .setTcp(tcp(tcp))
        .setPressure(AvroMapping.pressure(procFs.pressure("cpu").orElse(null),
            procFs.pressure("memory").orElse(null), procFs.pressure("io").orElse(null)))
        .setCloud(cloud.current())
        .build());
  }

  private static TcpStats tcp(TcpCounters t) {
    TcpStats.Builder b = TcpStats.newBuilder();
    if (t == null) {
      return b.setActiveOpensTotal(0).setPassiveOpensTotal(0).setAttemptFailsTotal(0).setEstabResetsTotal(0)
          .setOutResetsTotal(0).setInSegmentsTotal(0).setOutSegmentsTotal(0).setRetransmittedSegmentsTotal(0)
          .setListenOverflowsTotal(0).setListenDropsTotal(0).setCurrEstab(0).build();
    }
    return b.setActiveOpensTotal(AvroMapping.counter(t.activeOpens()))
        .setPassiveOpensTotal(AvroMapping.counter(t.passiveOpens()))
        .setAttemptFailsTotal(AvroMapping.counter(t.attemptFails()))
        .setEstabResetsTotal(AvroMapping.counter(t.estabResets()))
        .setOutResetsTotal(AvroMapping.counter(t.outRsts()))
        .setInSegmentsTotal(AvroMapping.counter(t.inSegs()))
        .setOutSegmentsTotal(AvroMapping.counter(t.outSegs()))
        .setRetransmittedSegmentsTotal(AvroMapping.counter(t.retransSegs()))
        .setListenOverflowsTotal(AvroMapping.counter(t.listenOverflows()))
        .setListenDropsTotal(AvroMapping.counter(t.listenDrops()))
        .setCurrEstab(AvroMapping.counter(t.currEstab()))
        .build();
  }

  /** PRETTY_NAME of os-release(5), or null. */
  static String osName(Path hostRoot) {
    for (String file : new String[] {"etc/os-release", "usr/lib/os-release"}) {
      try {
        for (String line : Files.readAllLines(hostRoot.resolve(file), StandardCharsets.UTF_8)) {
          if (line.startsWith("PRETTY_NAME=")) {
            String v = line.substring("PRETTY_NAME=".length()).trim();
            if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'') && v.charAt(v.length() - 1) == v.charAt(0)) {
              v = v.substring(1, v.length() - 1);
            }
            return v.isEmpty() ? null : v;
          }
        }
      } catch (IOException e) {
        // try the next file
      }
    }
    return null;
  }

  /**
   * The machine id: /etc/machine-id (or the D-Bus copy) under the host root, else the DMI product
   * UUID, lower-case hex without dashes; empty when none exists.
   */
  public static String machineId(ProcFs procFs, Path sysRoot) {
    Optional<String> id = procFs.machineId();
    if (id.isPresent()) {
      return id.get();
    }
    try {
      String uuid = Files.readString(sysRoot.resolve("class/dmi/id/product_uuid"), StandardCharsets.US_ASCII)
          .trim().toLowerCase(java.util.Locale.ROOT).replace("-", "");
      if (uuid.length() == 32 && uuid.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
        return uuid;
      }
    } catch (IOException e) {
      // readable by root only, and absent in many VMs and containers
    }
    return "";
  }
}
