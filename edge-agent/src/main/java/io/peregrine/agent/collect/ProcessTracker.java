package io.peregrine.agent.collect;

import io.peregrine.schema.Collector;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Process lifecycle from consecutive scans: EXEC for a process that was not there before (or that
 * executed another program in place), EXIT for one that is gone. A pid with another start time is
 * another process: its predecessor exited. What lived and died between two scans is not seen; the
 * eBPF sensor reports exact events.
 *
 * <p>The first scan is the baseline: the processes already running produce no events. An EXEC is
 * stamped with the process's start time (an in-place exec, whose time /proc does not keep, with the
 * scan's), an EXIT with the scan that found the process gone; exit code and signal are unknown.
 *
 * <p>Nothing is reported for an interval during which the eBPF sensor ran throughout
 * ({@link SensorCoverage}): it reported every exec and exit of it, with exit codes.
 */
public final class ProcessTracker {

  private final RecordStamp stamp;
  private final String topic;
  private final SensorCoverage coverage;
  private Map<Integer, ProcessSnapshot> previous;
  private long previousMillis;

  public ProcessTracker(RecordStamp stamp, String topic) {
    this(stamp, topic, SensorCoverage.NONE);
  }

  /** @param coverage while the eBPF sensor runs it reports exec and exit exactly: no events from here */
  public ProcessTracker(RecordStamp stamp, String topic, SensorCoverage coverage) {
    this.stamp = stamp;
    this.topic = topic;
    this.coverage = coverage;
  }

  public List<ProcessEvent> update(HostScan scan) {
    if (!scan.processesComplete()) {
      return List.of();  // /proc could not be listed: nobody exited
    }
    Map<Integer, ProcessSnapshot> current = scan.processesByPid();
    long now = scan.timeMillis();
    long since = previousMillis;
    previousMillis = now;
    if (previous == null) {
      previous = current;
      return List.of();
    }
    List<ProcessEvent> events = new ArrayList<>();
    for (ProcessSnapshot before : previous.values()) {
      ProcessSnapshot after = current.get(before.pid());
      if ((after == null || after.startTicks() != before.startTicks()) && !coverage.covers(before.pid(), since)) {
        events.add(event(ProcessEventKind.EXIT, before, now));
      }
    }
    for (ProcessSnapshot p : scan.processes()) {
      ProcessSnapshot before = previous.get(p.pid());
      if (coverage.covers(p.pid(), since)) {
        continue;  // the sensor reported its exec, exactly
      }
      if (before == null || before.startTicks() != p.startTicks()) {
        long started = p.startedAtMillis() > 0 && p.startedAtMillis() <= now ? p.startedAtMillis() : now;
        events.add(event(ProcessEventKind.EXEC, p, started));
      } else if (p.execed()) {
        events.add(event(ProcessEventKind.EXEC, p, now));
      }
    }
    previous = current;
    return events;
  }

  private ProcessEvent event(ProcessEventKind kind, ProcessSnapshot p, long timestamp) {
    return ProcessEvent.newBuilder()
        .setNode(stamp.node())
        .setAgentRunId(stamp.agentRunId())
        .setSeq(stamp.nextSeq(topic))
        .setTimestamp(Instant.ofEpochMilli(timestamp))
        .setKind(kind)
        .setSource(Collector.PROCFS)
        .setPid(p.pid())
        .setPpid(p.ppid())
        .setProcessStartedAt(p.startedAtMillis() > 0 ? Instant.ofEpochMilli(p.startedAtMillis()) : null)
        .setComm(p.comm())
        .setExe(p.exe())
        .setCmdline(p.cmdline())
        .setCmdlineTruncated(p.cmdlineTruncated())
        .setCgroupPath(p.cgroupPath())
        .setInstance(AvroMapping.instance(p.identity()))
        .setExitCode(null)
        .setSignal(null)
        .build();
  }
}
