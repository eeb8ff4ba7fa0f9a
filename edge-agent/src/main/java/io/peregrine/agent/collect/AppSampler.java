package io.peregrine.agent.collect;

import io.peregrine.agent.cgroup.CgroupClassification;
import io.peregrine.agent.cgroup.CgroupCpu;
import io.peregrine.agent.cgroup.CgroupMemory;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.cgroup.IoStat;
import io.peregrine.agent.collect.InstanceSnapshot.ProcessTotals;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.KubernetesPod;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One {@link AppSample} per application instance per scan. A container or unit is described by
 * its cgroup (CPU, throttling, memory, OOM kills, io.stat or blkio,
 * pressure); a plain process, whose cgroup
 * is shared with others, by the sums over its processes' /proc files — its counters then drop when
 * one of its processes exits, which consumers treat as a reset.
 *
 * <p>Restarts are those the agent observed: the instance's main (oldest) process replaced by a
 * new one while the old one is gone, including when the instance was absent for a while in
 * between. An instance unseen for {@code forgetScans} scans is forgotten.
 */
public final class AppSampler {

  private static final double NANOS = 1e9;

  private static final class State {
    int leaderPid;
    long leaderStart;
    long restarts;
    long lastScan;
  }

  private final RecordStamp stamp;
  private final String topic;
  private final long forgetScans;
  private final Map<String, State> states = new HashMap<>();

  public AppSampler(RecordStamp stamp, String topic, long forgetScans) {
    this.stamp = stamp;
    this.topic = topic;
    this.forgetScans = Math.max(1, forgetScans);
  }

  public List<AppSample> update(HostScan scan) {
    List<AppSample> samples = new ArrayList<>(scan.instances().size());
    for (InstanceSnapshot inst : scan.instances().values()) {
      State state = states.get(inst.key());
      ProcessSnapshot leader = inst.leader();
      if (state == null) {
        state = new State();
        states.put(inst.key(), state);
      } else if (state.leaderPid != leader.pid() || state.leaderStart != leader.startTicks()) {
        ProcessSnapshot old = scan.process(state.leaderPid);
        if (old == null || old.startTicks() != state.leaderStart) {
          state.restarts++;
        }
      }
      state.leaderPid = leader.pid();
      state.leaderStart = leader.startTicks();
      state.lastScan = scan.number();
      samples.add(sample(inst, state.restarts, scan));
    }
    if (scan.processesComplete()) {
      for (Iterator<State> it = states.values().iterator(); it.hasNext(); ) {
        if (scan.number() - it.next().lastScan > forgetScans) {
          it.remove();
        }
      }
    }
    return samples;
  }

  private AppSample sample(InstanceSnapshot inst, long restarts, HostScan scan) {
    ProcessTotals t = inst.totals();
    CgroupCpu cpu = inst.cpu();
    CgroupMemory mem = inst.memory();
    CgroupClassification cg = inst.identity().cgroup();
    ContainerInfo container = inst.container();
    boolean cgroupCpu = cpu != null && cpu.userNanos() >= 0 && cpu.systemNanos() >= 0;
    AppSample.Builder b = AppSample.newBuilder()
        .setNode(stamp.node())
        .setAgentRunId(stamp.agentRunId())
        .setSeq(stamp.nextSeq(topic))
        .setTimestamp(Instant.ofEpochMilli(scan.timeMillis()))
        .setIntervalMs(stamp.intervalMs())
        .setInstance(AvroMapping.instance(inst.identity()))
        .setCgroupPath(cg.instancePath() != null ? cg.instancePath() : inst.leader().cgroupPath())
        .setContainerId(cg.containerId())
        .setImage(container == null ? null : container.image())
        .setKubernetes(kubernetes(cg, container))
        .setExecutable(inst.leader().exe())
        .setStartedAt(Instant.ofEpochMilli(Math.max(0, inst.leader().startedAtMillis())))
        .setProcesses(inst.processes().size())
        .setThreads(t.threads())
        .setOpenFds(t.fds())
        .setCpuUserSecondsTotal(cgroupCpu ? cpu.userNanos() / NANOS : t.utimeTicks() / (double) scan.userHz())
        .setCpuSystemSecondsTotal(cgroupCpu ? cpu.systemNanos() / NANOS : t.stimeTicks() / (double) scan.userHz())
        .setCpuThrottledSecondsTotal(cpu == null ? 0.0 : AvroMapping.counter(cpu.throttledNanos()) / NANOS)
        .setCpuPeriodsTotal(cpu == null ? 0 : AvroMapping.counter(cpu.periods()))
        .setCpuThrottledPeriodsTotal(cpu == null ? 0 : AvroMapping.counter(cpu.throttledPeriods()))
        .setCpuLimitCores(cpu == null || cpu.limitCores().isEmpty() ? null : cpu.limitCores().getAsDouble())
        .setMemoryRssBytes(mem != null && mem.anonBytes() >= 0 ? mem.anonBytes() : t.rssAnonBytes())
        .setMemoryCacheBytes(mem != null && mem.fileBytes() >= 0 ? mem.fileBytes() : t.rssFileBytes())
        .setMemoryLimitBytes(mem == null || mem.limitBytes() < 0 ? null : mem.limitBytes())
        .setOomKillsTotal(mem == null ? 0 : AvroMapping.counter(mem.oomKills()))
        .setRestartsTotal(restarts)
        .setPressure(AvroMapping.pressure(inst.cpuPressure(), inst.memoryPressure(), inst.ioPressure()));
    IoStat io = inst.io();
    if (io != null) {
      b.setDiskReadsTotal(io.reads()).setDiskWritesTotal(io.writes())
          .setDiskReadBytesTotal(io.readBytes()).setDiskWrittenBytesTotal(io.writtenBytes());
    } else {
      b.setDiskReadsTotal(0).setDiskWritesTotal(0)
          .setDiskReadBytesTotal(t.readBytes()).setDiskWrittenBytesTotal(t.writtenBytes());
    }
    return b.build();
  }

  private static KubernetesPod kubernetes(CgroupClassification cg, ContainerInfo container) {
    if (container == null || container.kubernetes() == null) {
      return null;
    }
    ContainerInfo.Kubernetes k = container.kubernetes();
    String podUid = cg.podUid() != null ? cg.podUid() : k.podUid();
    if (podUid == null) {
      return null;
    }
    return KubernetesPod.newBuilder()
        .setPodUid(podUid)
        .setNamespace(k.namespace())
        .setPod(k.pod())
        .setContainer(k.container())
        .build();
  }
}
