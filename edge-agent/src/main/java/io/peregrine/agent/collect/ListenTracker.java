package io.peregrine.agent.collect;

import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ListenEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Who listens where, as {@link ListenEvent}s for the compacted listens topic (key
 * {@code node|ip|port}, see {@link #key}): an event when a listen appears or changes owner, one
 * with {@code listening=false} when it goes away, and every {@code reannounceScans} scans one for
 * each listen still open, so that the topic keeps them however it is compacted or replayed.
 *
 * <p>Addresses are as the socket is bound, with two exceptions for namespaces other than the one
 * /proc/net shows (containers with a network of their own): a wildcard listen is reported on each
 * of the namespace's addresses, since {@code 0.0.0.0:8080} would be the same key for every pod of
 * the node; and a loopback listen is left out, since it serves only its own namespace and would
 * collide with the host's. When several sockets listen on one address (SO_REUSEPORT workers) the
 * lowest pid is the owner.
 *
 * <p>Listens without a known owner (no readable descriptor holds them) are not reported: the record
 * names an application instance.
 */
public final class ListenTracker {

  private record Key(String ip, int port) {
  }

  private record Seen(IpAddress address, int port, long netns, int pid, AppInstance instance) {
  }

  private static final class State {
    final long firstSeen;
    final long netns;
    final IpAddress address;
    int pid;
    AppInstance instance;
    long lastEmittedScan;

    State(long firstSeen, Seen s) {
      this.firstSeen = firstSeen;
      this.netns = s.netns();
      this.address = s.address();
      this.pid = s.pid();
      this.instance = s.instance();
    }
  }

  private final RecordStamp stamp;
  private final String topic;
  private final int reannounceScans;
  private final Map<Key, State> listens = new HashMap<>();
  private volatile long unowned;

  /**
   * @param topic name of the topic the events go to (for their sequence numbers)
   * @param reannounceScans every how many scans an open listen is sent again
   */
  public ListenTracker(RecordStamp stamp, String topic, int reannounceScans) {
    this.stamp = stamp;
    this.topic = topic;
    this.reannounceScans = Math.max(1, reannounceScans);
  }

  /** The record key of a listen event: {@code node|ip|port}. */
  public static String key(ListenEvent e) {
    return e.getNode().getHostname() + "|" + e.getIp() + "|" + e.getPort();
  }

  /** Listening sockets of the latest scan without a known owner (typical without privileges). */
  public long unowned() {
    return unowned;
  }

  public List<ListenEvent> update(HostScan scan) {
    if (!scan.processesComplete()) {
      return List.of();  // owners unknown this time; absent listens would be false alarms
    }
    Map<Key, Seen> current = new HashMap<>();
    long withoutOwner = 0;
    for (SocketSnapshot s : scan.sockets()) {
      if (s.socket().state() != TcpState.LISTEN) {
        continue;
      }
      InstanceSnapshot owner = scan.ownerInstance(s);
      if (owner == null) {
        withoutOwner++;
        continue;
      }
      AppInstance instance = AvroMapping.instance(scan.process(s.ownerPid()).identity());
      for (IpAddress address : addresses(s, scan)) {
        Key key = new Key(address.toString(), s.socket().localPort());
        Seen seen = new Seen(address, s.socket().localPort(), s.netns(), s.ownerPid(), instance);
        current.merge(key, seen, (a, b) -> a.pid() <= b.pid() ? a : b);
      }
    }
    unowned = withoutOwner;
    long now = scan.timeMillis();
    List<ListenEvent> events = new ArrayList<>();
    for (Map.Entry<Key, Seen> e : current.entrySet()) {
      Seen seen = e.getValue();
      State state = listens.get(e.getKey());
      if (state == null) {
        state = new State(now, seen);
        listens.put(e.getKey(), state);
      } else if (state.pid == seen.pid() && state.instance.equals(seen.instance())
          && scan.number() - state.lastEmittedScan < reannounceScans) {
        continue;
      }
      state.pid = seen.pid();
      state.instance = seen.instance();
      state.lastEmittedScan = scan.number();
      events.add(event(state, seen.port(), true, now));
    }
    for (Iterator<Map.Entry<Key, State>> it = listens.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, State> e = it.next();
      if (current.containsKey(e.getKey()) || scan.unreadNetns().contains(e.getValue().netns)) {
        continue;
      }
      events.add(event(e.getValue(), e.getKey().port(), false, now));
      it.remove();
    }
    return events;
  }

  private static List<IpAddress> addresses(SocketSnapshot s, HostScan scan) {
    IpAddress local = s.socket().localAddress();
    if (s.netns() == HostScan.ROOT_NETNS) {
      return List.of(local);
    }
    if (local.isLoopback()) {
      return List.of();
    }
    if (!local.isAny()) {
      return List.of(local);
    }
    List<IpAddress> own = scan.netnsAddresses().getOrDefault(s.netns(), List.of());
    if (own.isEmpty()) {
      return List.of(local);
    }
    // An IPv6 wildcard listen is dual-stack unless IPV6_V6ONLY, which /proc does not show.
    return local.ipv4() ? own.stream().filter(IpAddress::ipv4).toList() : own;
  }

  private ListenEvent event(State state, int port, boolean listening, long now) {
    return ListenEvent.newBuilder()
        .setNode(stamp.node())
        .setAgentRunId(stamp.agentRunId())
        .setSeq(stamp.nextSeq(topic))
        .setTimestamp(Instant.ofEpochMilli(now))
        .setSource(Collector.PROCFS)
        .setFamily(AvroMapping.family(state.address))
        .setIp(state.address.toString())
        .setPort(port)
        .setInstance(state.instance)
        .setPid(state.pid)
        .setListening(listening)
        .setFirstSeen(Instant.ofEpochMilli(state.firstSeen))
        .setLastSeen(Instant.ofEpochMilli(now))
        .build();
  }
}
