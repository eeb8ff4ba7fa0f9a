package io.peregrine.agent.collect;

import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.TcpSocket;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.IpFamily;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * TCP connections from consecutive scans of the established sockets: OPEN for a socket not seen
 * before, CLOSE for one that left the ESTABLISHED state (or vanished), and per scan one STATS
 * event per (instance, direction, local address, remote endpoint) with the connections open at
 * the end of the interval and those opened during it. This is the service map's fallback when
 * eBPF is not available: what it cannot see are connections shorter than an interval, and byte
 * counts (reported as 0).
 *
 * <p>A socket is identified by its inode (unique while it exists) together with its four-tuple.
 * The direction follows the listens of the socket's namespace: a connection whose local port is
 * a port this host listens on (on its local address or a wildcard) is INBOUND, any other OUTBOUND.
 * Connections found on the first scan are reported as OPEN too, as the schema documents for
 * procfs (they were established before the agent started), but are not counted as opened.
 *
 * <p>Sockets without a known owner are skipped until one is found.
 *
 * <p>While the eBPF sensor runs ({@link SensorCoverage}), a connection that appeared since a scan
 * during which the sensor was already running is the sensor's to report (with exact times, bytes,
 * RTT): no OPEN or CLOSE comes from here for it, but it still counts in STATS, which only this
 * tracker emits. So procfs remains the source of connections established before the sensor
 * started, or while its loader restarted, and of the agent's own; Streams counts opened
 * connections from eBPF OPENs only, so a connection is never counted twice.
 */
public final class ConnectionTracker {

  /** One open connection, as first seen; {@code seenScan} is the last scan that listed it. */
  private static final class Conn {
    final TcpSocket socket;
    final long netns;
    final int pid;
    final AppInstance instance;
    final ConnectionDirection direction;
    final long openedScan;
    final boolean counted;
    final GroupKey key;
    /** False for a connection the eBPF sensor reports: it takes part in STATS only. */
    final boolean reported;
    final String localText;
    final String remoteText;
    long seenScan;

    Conn(TcpSocket socket, long netns, int pid, String instanceKey, AppInstance instance,
        ConnectionDirection direction, long openedScan, boolean counted, boolean reported) {
      this.socket = socket;
      this.netns = netns;
      this.pid = pid;
      this.instance = instance;
      this.direction = direction;
      this.openedScan = openedScan;
      this.counted = counted;
      this.reported = reported;
      this.seenScan = openedScan;
      this.localText = socket.localAddress().toString();
      this.remoteText = socket.remoteAddress().toString();
      boolean inbound = direction == ConnectionDirection.INBOUND;
      this.key = new GroupKey(instanceKey, direction, socket.localAddress(), inbound ? socket.localPort() : 0,
          socket.remoteAddress(), inbound ? 0 : socket.remotePort());
    }
  }

  /**
   * What a STATS event aggregates over: instance, direction, local address and remote endpoint
   * (the local port for INBOUND, whose client ports differ; the remote port for OUTBOUND, whose
   * ephemeral local ports differ). Fixed for a connection's life, so computed once, hash included.
   */
  private static final class GroupKey {
    final String instanceKey;
    final ConnectionDirection direction;
    final IpAddress local;
    final int localPort;
    final IpAddress remote;
    final int remotePort;
    final int hash;

    GroupKey(String instanceKey, ConnectionDirection direction, IpAddress local, int localPort, IpAddress remote,
        int remotePort) {
      this.instanceKey = instanceKey;
      this.direction = direction;
      this.local = local;
      this.localPort = localPort;
      this.remote = remote;
      this.remotePort = remotePort;
      int h = instanceKey.hashCode();
      h = h * 31 + direction.ordinal();
      h = h * 31 + Long.hashCode(local.lo()) + Long.hashCode(local.hi());
      h = h * 31 + localPort;
      h = h * 31 + Long.hashCode(remote.lo()) + Long.hashCode(remote.hi());
      this.hash = h * 31 + remotePort;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof GroupKey g && g.hash == hash && g.localPort == localPort && g.remotePort == remotePort
          && g.direction == direction && g.local.equals(local) && g.remote.equals(remote)
          && g.instanceKey.equals(instanceKey);
    }
  }

  /** The open connections of one group, kept between scans: most groups hold one or two. */
  private static final class Group {
    final List<Conn> conns = new ArrayList<>(2);
  }

  private record ListenPort(long netns, int port) {
  }

  private final RecordStamp stamp;
  private final String topic;
  private final SensorCoverage coverage;
  private final Map<Long, Conn> open = new HashMap<>();
  /** Groups of the open connections, updated as they open and close rather than rebuilt per scan. */
  private final Map<GroupKey, Group> groups = new HashMap<>();
  private long firstScan = -1;
  private long previousScanMillis = -1;

  public ConnectionTracker(RecordStamp stamp, String topic) {
    this(stamp, topic, SensorCoverage.NONE);
  }

  /** @param coverage what the eBPF sensor reports itself, so OPEN and CLOSE of it are left out */
  public ConnectionTracker(RecordStamp stamp, String topic, SensorCoverage coverage) {
    this.stamp = stamp;
    this.topic = topic;
    this.coverage = coverage;
  }

  /** Connections currently open. */
  public int openConnections() {
    return open.size();
  }

  public List<ConnectionEvent> update(HostScan scan) {
    if (!scan.processesComplete()) {
      return List.of();  // owners unknown this time; every connection would look closed
    }
    long number = scan.number();
    if (firstScan < 0) {
      firstScan = number;
    }
    long nowMillis = scan.timeMillis();
    long since = previousScanMillis;
    previousScanMillis = nowMillis;
    Instant now = Instant.ofEpochMilli(nowMillis);  // one for every record of the scan
    Map<ListenPort, List<IpAddress>> listens = new HashMap<>();
    for (SocketSnapshot s : scan.sockets()) {
      if (s.socket().state() == TcpState.LISTEN) {
        listens.computeIfAbsent(new ListenPort(s.netns(), s.socket().localPort()), k -> new ArrayList<>(1))
            .add(s.socket().localAddress());
      }
    }
    List<ConnectionEvent> events = new ArrayList<>();
    for (SocketSnapshot s : scan.sockets()) {
      TcpSocket socket = s.socket();
      if (socket.state() != TcpState.ESTABLISHED || socket.inode() == 0) {
        continue;
      }
      Conn conn = open.get(socket.inode());
      if (conn != null && sameTuple(conn.socket, socket)) {
        conn.seenScan = number;
        continue;
      }
      if (conn != null) {
        if (conn.reported) {
          events.add(event(ConnectionEventKind.CLOSE, conn, now));
        }
        open.remove(socket.inode());
        ungroup(conn);
      }
      InstanceSnapshot owner = scan.ownerInstance(s);
      if (owner == null) {
        continue;  // no known owner yet: reported once one is found
      }
      ProcessSnapshot p = scan.process(s.ownerPid());
      boolean inbound = isInbound(listens.get(new ListenPort(s.netns(), socket.localPort())), socket);
      // Established since the previous scan: if the sensor ran all that time, it reported this one.
      boolean reported = since < 0 || !coverage.covers(p.pid(), since);
      conn = new Conn(socket, s.netns(), p.pid(), p.instanceKey(), AvroMapping.instance(p.identity()),
          inbound ? ConnectionDirection.INBOUND : ConnectionDirection.OUTBOUND, number, number != firstScan,
          reported);
      open.put(socket.inode(), conn);
      groups.computeIfAbsent(conn.key, k -> new Group()).conns.add(conn);
      if (reported) {
        events.add(event(ConnectionEventKind.OPEN, conn, now));
      }
    }
    for (Iterator<Conn> it = open.values().iterator(); it.hasNext(); ) {
      Conn conn = it.next();
      if (conn.seenScan == number) {
        continue;
      }
      if (scan.unreadNetns().contains(conn.netns)) {
        conn.seenScan = number;  // not read this time: still open as far as is known
        continue;
      }
      if (conn.reported) {
        events.add(event(ConnectionEventKind.CLOSE, conn, now));
      }
      it.remove();
      ungroup(conn);
    }
    events.addAll(stats(number, now));
    return events;
  }

  private static boolean sameTuple(TcpSocket a, TcpSocket b) {
    return a.localPort() == b.localPort() && a.remotePort() == b.remotePort()
        && a.localAddress().equals(b.localAddress()) && a.remoteAddress().equals(b.remoteAddress());
  }

  private static boolean isInbound(List<IpAddress> listenAddresses, TcpSocket socket) {
    if (listenAddresses == null) {
      return false;
    }
    for (IpAddress a : listenAddresses) {
      // A wildcard IPv6 listen is dual-stack: it also serves IPv4 (mapped) connections.
      if (a.isAny() && (a.ipv4() == socket.localAddress().ipv4() || !a.ipv4())) {
        return true;
      }
      if (a.equals(socket.localAddress())) {
        return true;
      }
    }
    return false;
  }

  private void ungroup(Conn conn) {
    Group g = groups.get(conn.key);
    if (g != null && g.conns.remove(conn) && g.conns.isEmpty()) {
      groups.remove(conn.key);
    }
  }

  private List<ConnectionEvent> stats(long number, Instant now) {
    List<ConnectionEvent> events = new ArrayList<>(groups.size());
    for (Group g : groups.values()) {
      List<Conn> conns = g.conns;
      Conn first = conns.get(0);
      Conn latest = first;
      int opened = 0;
      for (int i = 0; i < conns.size(); i++) {
        Conn c = conns.get(i);
        if (c.openedScan == number && c.counted) {
          opened++;
        }
        if (c.openedScan > latest.openedScan
            || (c.openedScan == latest.openedScan && c.socket.inode() > latest.socket.inode())) {
          latest = c;
        }
      }
      GroupKey k = first.key;
      events.add(record(ConnectionEventKind.STATS, k.direction, first.instance, latest.pid,
          AvroMapping.family(k.remote), first.localText, k.localPort, first.remoteText, k.remotePort,
          opened, conns.size(), now));
    }
    return events;
  }

  private ConnectionEvent event(ConnectionEventKind kind, Conn c, Instant now) {
    TcpSocket s = c.socket;
    return record(kind, c.direction, c.instance, c.pid, AvroMapping.family(s.remoteAddress()), c.localText,
        s.localPort(), c.remoteText, s.remotePort(), null, null, now);
  }

  /**
   * An event of what procfs can tell: no fd, NAT translation, byte counts, retransmits, RTT,
   * connect time or failure. Built with the all-args constructor (fields in ConnectionEvent.avsc
   * order; the tests check each one) rather than the builder, whose per-field validation is most of
   * the cost of the thousands of STATS events a busy host has per interval.
   */
  private ConnectionEvent record(ConnectionEventKind kind, ConnectionDirection direction, AppInstance instance,
      int pid, IpFamily family, String localIp, int localPort, String remoteIp, int remotePort,
      Integer opened, Integer active, Instant now) {
    return new ConnectionEvent(
        stamp.node(), stamp.agentRunId(), stamp.nextSeq(topic), now,
        kind, Collector.PROCFS, direction, instance, pid, null /* fd */, family,
        localIp, localPort, remoteIp, remotePort,
        null /* actual_remote_ip */, null /* actual_remote_port */,
        0L /* bytes_sent */, 0L /* bytes_received */, 0L /* retransmits */,
        null /* rtt_us */, null /* connect_duration_ns */, null /* failure_reason */,
        opened, active);
  }
}
