package io.peregrine.agent.collect;

import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.AgentContext;
import io.peregrine.agent.Collector;
import io.peregrine.agent.Emitter;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.metrics.AgentMetrics;
import io.peregrine.agent.procfs.KernelStatParser;
import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.topic.Topics;
import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.l7.Decoders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the procfs collectors of a host, in the order the agent runs them each interval:
 * <ol>
 *   <li>{@code scan}: the interval's {@link HostScan} (emits nothing; its cost is the scan's);
 *   <li>{@code node}: a {@link NodeSample};
 *   <li>{@code apps}: an {@code AppSample} per application instance;
 *   <li>{@code listens}: {@code ListenEvent}s on change, and periodically for each open listen;
 *   <li>{@code connections}: {@code ConnectionEvent} OPEN, CLOSE and STATS;
 *   <li>{@code lifecycle}: {@code ProcessEvent} EXEC and EXIT;
 *   <li>{@code ebpf} (unless {@code ebpf.mode} is off): the eBPF sensor's {@code L7Event}s,
 *       {@code ConnectionEvent}s and {@code ProcessEvent}s as they happen ({@link EbpfCollector}).
 *       While it runs, the procfs connections and lifecycle leave to it what it sees
 *       ({@link SensorCoverage}).
 * </ol>
 * Remembered facts of processes are refreshed, and open listens re-announced, about every minute;
 * an application instance unseen for ten minutes is forgotten (its restart count with it).
 */
public final class HostCollectors {

  /** How often remembered facts are re-read and open listens re-announced. */
  public static final Duration REFRESH = Duration.ofSeconds(60);
  /** How long an instance that disappeared is remembered, to count its return as a restart. */
  public static final Duration FORGET = Duration.ofMinutes(10);
  /** Processes whose identity the eBPF side remembers at once. */
  static final int PROCESSES_REMEMBERED = 16_384;

  private HostCollectors() {
  }

  /**
   * The collectors and the scanner they share; the scanner is exposed for benchmarks, the eBPF
   * collector (null when the sensor is off) for tests and benchmarks.
   */
  public record Built(List<Collector> collectors, HostScanner scanner, ScanProblems problems, EbpfCollector ebpf) {
  }

  /**
   * The collectors take ownership of {@code metadata} and {@code cloud}: closing the collectors
   * (as {@code Agent.close} does) closes them.
   */
  public static List<Collector> create(AgentContext context, ContainerMetadata metadata, CloudMetadataSource cloud) {
    return build(context, metadata, cloud).collectors();
  }

  public static Built build(AgentContext context, ContainerMetadata metadata, CloudMetadataSource cloud) {
    AgentConfig config = context.config();
    AgentMetrics metrics = context.metrics();
    Topics topics = context.topics();
    long intervalMs = config.interval().toMillis();
    int refreshScans = scans(REFRESH, intervalMs);
    int userHz = KernelStatParser.DEFAULT_USER_HZ;
    ScanProblems problems = new ScanProblems(new ProblemCounters(), metrics);

    ProcFs scanFs = new ProcFs(config.procRoot(), config.hostRoot(), userHz, problems);
    ProcFs nodeFs = new ProcFs(config.procRoot(), config.hostRoot(), userHz, problems);
    CgroupReader cgroups = new CgroupReader(config.procRoot(), config.sysRoot(), userHz, problems);
    NodeId node = NodeId.newBuilder()
        .setHostname(context.nodeName())
        .setMachineId(NodeSampler.machineId(nodeFs, config.sysRoot()))
        .build();
    RecordStamp stamp = new RecordStamp(node, context.agentRunId(), context::nextSeq, intervalMs);

    HostScanner scanner = new HostScanner(scanFs, cgroups, metadata, problems, refreshScans);
    NodeSampler nodeSampler = new NodeSampler(stamp, topics.rawNodeMetrics().name(), nodeFs,
        config.sysRoot(), config.hostRoot(), cloud, problems);
    AppSampler apps = new AppSampler(stamp, topics.rawAppMetrics().name(), scans(FORGET, intervalMs));
    ListenTracker listens = new ListenTracker(stamp, topics.rawListens().name(), refreshScans);
    boolean ebpf = config.ebpfMode() != AgentConfig.EbpfMode.OFF;
    SensorCoverage coverage = ebpf ? new SensorCoverage((int) ProcessHandle.current().pid()) : SensorCoverage.NONE;
    ConnectionTracker connections = new ConnectionTracker(stamp, topics.rawConnections().name(), coverage);
    ProcessTracker lifecycle = new ProcessTracker(stamp, topics.rawLifecycle().name(), coverage);
    Object connectionsLock = context.sequenceLock(topics.rawConnections().name());
    Object lifecycleLock = context.sequenceLock(topics.rawLifecycle().name());

    Collector nodeCollector = new Collector() {
      @Override
      public String name() {
        return "node";
      }

      @Override
      public void collect(long nowMillis, Emitter out) {
        nodeSampler.sample(nowMillis).ifPresent((NodeSample s) ->
            out.emit(topics.rawNodeMetrics(), stamp.nodeKey(), s, nowMillis));
      }

      @Override
      public void close() {
        cloud.close();
      }
    };
    String nodeKey = stamp.nodeKey();
    List<Collector> collectors = new ArrayList<>(List.of(
        ScanDrivenCollector.scan(scanner),
        nodeCollector,
        new ScanDrivenCollector<>("apps", scanner, topics.rawAppMetrics(), apps::update,
            s -> nodeKey, s -> s.getTimestamp().toEpochMilli(), new Object()),
        new ScanDrivenCollector<>("listens", scanner, topics.rawListens(), listens::update,
            ListenTracker::key, e -> e.getTimestamp().toEpochMilli(), new Object()),
        new ScanDrivenCollector<>("connections", scanner, topics.rawConnections(), connections::update,
            e -> nodeKey, e -> e.getTimestamp().toEpochMilli(), connectionsLock),
        new ScanDrivenCollector<>("lifecycle", scanner, topics.rawLifecycle(), lifecycle::update,
            e -> nodeKey, e -> e.getTimestamp().toEpochMilli(), lifecycleLock)));
    EbpfCollector sensor = null;
    if (ebpf) {
      // The sensor's thread reads /proc with readers of its own: those of the scan are not thread-safe.
      ScanProblems sensorProblems = new ScanProblems(problems.counters(), metrics);
      ProcessIdentities identities = new ProcessIdentities(scanner::latest,
          new ProcFs(config.procRoot(), config.hostRoot(), userHz, sensorProblems),
          new CgroupReader(config.procRoot(), config.sysRoot(), userHz, sensorProblems),
          new AppIdentifier(metadata), sensorProblems, PROCESSES_REMEMBERED);
      SensorEvents events = new SensorEvents(stamp, topics.rawL7().name(), topics.rawConnections().name(),
          topics.rawLifecycle().name(), Decoders.all(), identities, scanner::latest, SensorEvents.MAX_CONNECTIONS);
      sensor = new EbpfCollector(config.ebpfSensorConfig(), config.ebpfMode() == AgentConfig.EbpfMode.ON,
          new EbpfCollector.Outputs(topics.rawL7(), context.sequenceLock(topics.rawL7().name()),
              topics.rawConnections(), connectionsLock, topics.rawLifecycle(), lifecycleLock),
          nodeKey, events, coverage, metrics);
      collectors.add(sensor);
    }

    metrics.gauge("peregrine_agent_processes", "Processes seen by the latest scan",
        () -> latest(scanner) == null ? 0 : latest(scanner).processes().size());
    metrics.gauge("peregrine_agent_app_instances", "Application instances seen by the latest scan",
        () -> latest(scanner) == null ? 0 : latest(scanner).instances().size());
    metrics.gauge("peregrine_agent_tcp_sockets", "Listening and established TCP sockets seen by the latest scan",
        () -> latest(scanner) == null ? 0 : latest(scanner).sockets().size());
    metrics.gauge("peregrine_agent_open_connections", "Established connections tracked",
        connections::openConnections);
    metrics.gauge("peregrine_agent_fd_readlinks", "Descriptor links read so far (cost of socket ownership)",
        scanner::readlinks);
    metrics.gauge("peregrine_agent_scan_kept_files", "Files the scan keeps open between scans (re-read at offset 0)",
        scanner::keptFiles);
    metrics.gauge("peregrine_agent_unowned_listens", "Listening sockets seen without a readable owner",
        listens::unowned);
    return new Built(List.copyOf(collectors), scanner, problems, sensor);
  }

  private static HostScan latest(HostScanner scanner) {
    return scanner.latest();
  }

  private static int scans(Duration d, long intervalMs) {
    return (int) Math.max(1, (d.toMillis() + intervalMs - 1) / intervalMs);
  }
}
