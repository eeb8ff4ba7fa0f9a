package io.peregrine.agent.collect;

import io.peregrine.agent.ebpf.ConnectionRecord;
import io.peregrine.agent.ebpf.Http2Chunk;
import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.ebpf.ProcessRecord;
import io.peregrine.agent.l7.Decoders;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.PreparedStatements;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.agent.l7.http2.Http2Connection;
import io.peregrine.agent.l7.http2.Http2Connections;
import io.peregrine.agent.l7.http2.Http2Stats;
import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The eBPF sensor's records as the agent's raw events: {@link L7Record} to {@link L7Event},
 * {@link ConnectionRecord} to {@link ConnectionEvent}, {@link ProcessRecord} to
 * {@link ProcessEvent}, each stamped like the procfs collectors' ({@link RecordStamp}) and naming
 * the observing process's application instance ({@link ProcessIdentities}).
 *
 * <p>The protocol of an exchange is the one remembered for its connection, else HTTP when the
 * kernel recognised HTTP/1.x, else the first decoder of {@link Decoders} that recognises the
 * request bytes; once known it is remembered for the connection until its CLOSE, so that later
 * requests of a connection (whose bytes alone may be ambiguous) keep its protocol. The decoder of
 * the protocol then reads the exchange; when there is none, or it cannot read the bytes, the
 * kernel's HTTP method and status stand in for HTTP, and for other protocols the event carries
 * the protocol with method and resource unknown and status {@code unknown}. Exchanges of no
 * recognised protocol are not L7 events (they stay connection-level, {@code TCP}) and are counted.
 * A request without a response is status {@code timeout}, error true, whatever the decoder said.
 * The prepared statements of a connection (PostgreSQL, MySQL) are kept with it, until its CLOSE,
 * so that an execution by statement name or id carries the statement's text
 * ({@link ProtocolDecoder#decode(byte[], byte[], PreparedStatements)}).
 *
 * <p>HTTP/2 connections come as chunks, not pairs: {@link Http2Connections} follows their frames
 * and streams, and each stream that ends becomes one event (HTTP2 or GRPC), timed from the chunk of
 * its request's HEADERS to the chunk that ended its response; streams open at the connection's
 * CLOSE go out as {@code timeout}.
 *
 * <p>Not thread-safe: the sensor's thread owns it.
 */
public final class SensorEvents {

  /** Connections whose protocol is remembered at once (the kernel's default connection table). */
  public static final int MAX_CONNECTIONS = 65_536;
  /**
   * Connections whose prepared statements are remembered at once, the least recently used
   * forgotten first: with {@link PreparedStatements#MAX_STATEMENTS} each, a few tens of MB at most.
   */
  static final int MAX_STATEMENT_CONNECTIONS = 4_096;
  /** HTTP/2 connections followed at once (each holds two HPACK tables and its open streams). */
  public static final int MAX_HTTP2_CONNECTIONS = 8_192;

  static final String TIMEOUT = "timeout";
  static final String UNKNOWN_STATUS = "unknown";
  private static final byte[] EMPTY = new byte[0];

  private record Tuple(IpAddress local, int localPort, IpAddress remote, int remotePort) {
  }

  private final RecordStamp stamp;
  private final String l7Topic;
  private final String connectionsTopic;
  private final String lifecycleTopic;
  private final Decoders decoders;
  private final ProcessIdentities identities;
  private final Supplier<HostScan> latestScan;
  private final Map<Long, Protocol> protocols;
  /** Prepared statements of the connections whose protocol has them (SQL), until their CLOSE. */
  private final Map<Long, PreparedStatements> statements;
  private final Map<Protocol, LongAdder> decodeFailures = new EnumMap<>(Protocol.class);
  private final LongAdder unrecognised = new LongAdder();
  private final LongAdder unowned = new LongAdder();
  private final Http2Connections<Http2Chunk> http2 = new Http2Connections<>(MAX_HTTP2_CONNECTIONS);
  private Map<Tuple, Integer> ownersByTuple = Map.of();
  /** Text of the addresses seen lately: a host talks to few, and events name two each. */
  private final Map<IpAddress, String> addressTexts = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<IpAddress, String> eldest) {
      return size() > 4_096;
    }
  };
  private final Map<InetAddress, String> inetTexts = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<InetAddress, String> eldest) {
      return size() > 4_096;
    }
  };
  private long ownersScan = -1;
  private static final int RECENT_ADDRESS_BITS = 6;
  private final InetAddress[] recentAddresses = new InetAddress[1 << RECENT_ADDRESS_BITS];
  private final String[] recentAddressTexts = new String[1 << RECENT_ADDRESS_BITS];

  /**
   * @param latestScan the latest procfs scan (or null), to find the owner of a retransmitting
   *     socket the sensor does not track
   */
  public SensorEvents(RecordStamp stamp, String l7Topic, String connectionsTopic, String lifecycleTopic,
      Decoders decoders, ProcessIdentities identities, Supplier<HostScan> latestScan, int maxConnections) {
    this.stamp = stamp;
    this.l7Topic = l7Topic;
    this.connectionsTopic = connectionsTopic;
    this.lifecycleTopic = lifecycleTopic;
    this.decoders = decoders;
    this.identities = identities;
    this.latestScan = latestScan;
    this.protocols = new LinkedHashMap<>(1024, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, Protocol> eldest) {
        return size() > maxConnections;
      }
    };
    int maxStatementConnections = Math.min(maxConnections, MAX_STATEMENT_CONNECTIONS);
    this.statements = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, PreparedStatements> eldest) {
        return size() > maxStatementConnections;
      }
    };
    for (Protocol p : Protocol.values()) {
      decodeFailures.put(p, new LongAdder());
    }
  }

  /** Exchanges whose decoder could not read them, by protocol (the event went out all the same). */
  public long decodeFailures(Protocol protocol) {
    return decodeFailures.get(protocol).sum();
  }

  /** Exchanges of connections whose protocol no decoder recognised (no event). */
  public long unrecognised() {
    return unrecognised.sum();
  }

  /** Connection records whose owning process could not be found (no event). */
  public long unowned() {
    return unowned.sum();
  }

  /** What the HTTP/2 connections' followers saw and could not follow. */
  public Http2Stats http2Stats() {
    return http2.stats();
  }

  /** HTTP/2 connections followed now. */
  public int http2Connections() {
    return http2.size();
  }

  /** Connections whose protocol is remembered now. */
  public int rememberedConnections() {
    return protocols.size();
  }

  // ------------------------------------------------------------------------------------------ L7

  /**
   * The event of an exchange, or null when its protocol is not recognised; of a turn that holds
   * several requests, the first request's (the collector takes them all: {@link #l7(L7Record, Consumer)}).
   */
  public L7Event l7(L7Record r) {
    L7Event[] first = new L7Event[1];
    l7(r, e -> {
      if (first[0] == null) {
        first[0] = e;
      }
    });
    return first[0];
  }

  /**
   * The events of an exchange, to {@code sink}: one per request of the turn the kernel paired
   * ({@link ProtocolDecoder#decodeTurn}: a pipeline written at once is several), none when its
   * protocol is not recognised. Each event of a turn has the turn's start and latency (the
   * requests went out together and their replies came back together); the turn's byte counts go
   * with its first event and the others carry 0, so that sums over events stay the bytes moved.
   * Returns the number of events.
   */
  public int l7(L7Record r, Consumer<L7Event> sink) {
    long connection = r.connectionId();
    Protocol protocol = connection != 0 ? protocols.get(connection) : null;
    ProtocolDecoder decoder = null;
    if (protocol == null) {
      if (r.protocol() == L7Record.Protocol.HTTP) {
        protocol = Protocol.HTTP;
      } else {
        decoder = recognize(r.request(), r.serverPort());
        protocol = decoder == null ? null : decoder.protocol();
      }
      if (protocol == null) {
        unrecognised.increment();
        return 0;
      }
      if (connection != 0) {
        protocols.put(connection, protocol);
      }
    }
    if (decoder == null) {
      decoder = decoders.forProtocol(protocol);
    }
    List<Exchange> turn = List.of();
    if (decoder != null) {
      PreparedStatements prepared = null;
      if (connection != 0 && decoder.preparesStatements()) {
        prepared = statements.computeIfAbsent(connection, c -> new PreparedStatements());
      }
      turn = decode(decoder, r, prepared);
      if (turn.isEmpty()) {
        decodeFailures.get(protocol).increment();
      }
    }
    ProcessIdentities.Known who = identities.of(r.pid(), null);
    if (turn.isEmpty()) {
      sink.accept(event(r, protocol, who, null, true));
      return 1;
    }
    for (int i = 0; i < turn.size(); i++) {
      sink.accept(event(r, protocol, who, turn.get(i), i == 0));
    }
    return turn.size();
  }

  private L7Event event(L7Record r, Protocol protocol, ProcessIdentities.Known who, Exchange x, boolean first) {
    if (protocol == Protocol.HTTP && r.protocol() == L7Record.Protocol.HTTP) {
      x = withKernelHttp(x, r);
    }
    String method = x == null ? null : x.method();
    String status;
    Integer statusCode;
    boolean error;
    if (r.noResponse()) {
      status = TIMEOUT;
      statusCode = null;
      error = true;
    } else if (x != null && x.status() != null) {
      status = x.status();
      statusCode = x.statusCode();
      error = x.error();
    } else {
      status = UNKNOWN_STATUS;
      statusCode = null;
      error = false;
    }
    L7Event e = l7Event(millis(r.start()), r.side() == L7Record.Side.CLIENT ? Side.CLIENT : Side.SERVER, protocol,
        who, r.pid(), method, x == null ? null : x.resource(), x == null ? null : x.serverName(), status, statusCode,
        error, Math.max(0, r.latencyNanos()), first ? Math.max(0, r.requestBytes()) : 0L,
        first ? Math.max(0, r.responseBytes()) : 0L, text(r.clientAddress()), r.clientPort(),
        text(r.serverAddress()), r.serverPort(), r.tls(), x == null ? null : x.traceparent());
    if (x != null) {
      e.setDns(x.dns());
      e.setKafka(x.kafka());
    }
    return e;
  }

  /**
   * An L7 event built by its setters, which take the numbers unboxed: the generated constructor
   * takes them boxed, seven objects per event for the garbage collector. No actual server (a
   * proxy's upstream is not known here), no DNS or Kafka details (the caller sets them).
   */
  private L7Event l7Event(Instant timestamp, Side side, Protocol protocol, ProcessIdentities.Known who, int pid,
      String method, String resource, String serverName, String status, Integer statusCode, boolean error,
      long latencyNs, long requestBytes, long responseBytes, String clientIp, int clientPort, String serverIp,
      int serverPort, boolean tls, String traceparent) {
    L7Event e = new L7Event();
    e.setNode(stamp.node());
    e.setAgentRunId(stamp.agentRunId());
    e.setSeq(stamp.nextSeq(l7Topic));
    e.setTimestamp(timestamp);
    e.setSide(side);
    e.setProtocol(protocol);
    e.setInstance(who.instance());
    e.setPid(pid);
    e.setMethod(method);
    e.setResource(resource);
    e.setServerName(serverName);
    e.setStatus(status);
    e.setStatusCode(statusCode);
    e.setError(error);
    e.setLatencyNs(latencyNs);
    e.setRequestBytes(requestBytes);
    e.setResponseBytes(responseBytes);
    e.setClientIp(clientIp);
    e.setClientPort(clientPort);
    e.setServerIp(serverIp);
    e.setServerPort(serverPort);
    e.setTls(tls);
    e.setTraceparent(traceparent);
    return e;
  }

  private ProtocolDecoder recognize(byte[] request, int serverPort) {
    try {
      return decoders.recognize(request, serverPort);
    } catch (RuntimeException e) {
      return null;  // a decoder broke its contract: the bytes are as good as unrecognised
    }
  }

  private static List<Exchange> decode(ProtocolDecoder decoder, L7Record r, PreparedStatements prepared) {
    try {
      return decoder.decodeTurn(r.request(), r.noResponse() ? EMPTY : r.response(), prepared);
    } catch (RuntimeException e) {
      return List.of();  // a decoder broke its contract: counted as a failure like unreadable bytes
    }
  }

  /** The kernel's HTTP method and status where the decoder gave none (or there is no decoder). */
  private static Exchange withKernelHttp(Exchange x, L7Record r) {
    int s = r.status();
    boolean hasStatus = s >= 100 && s <= 999;
    if (x == null) {
      return new Exchange(Protocol.HTTP, r.method(), null, null, hasStatus ? Integer.toString(s) : null,
          hasStatus ? s : null, hasStatus && s >= 500, null, null, null);
    }
    if (x.status() == null && hasStatus || x.method() == null && r.method() != null) {
      boolean useKernelStatus = x.status() == null && hasStatus;
      return new Exchange(x.protocol(), x.method() != null ? x.method() : r.method(), x.resource(), x.serverName(),
          useKernelStatus ? Integer.toString(s) : x.status(), useKernelStatus ? Integer.valueOf(s) : x.statusCode(),
          useKernelStatus ? s >= 500 : x.error(), x.traceparent(), x.dns(), x.kafka());
    }
    return x;
  }

  // ---------------------------------------------------------------------------------- HTTP/2

  /** The events of the HTTP/2 streams this chunk ended (mostly none or one). */
  public List<L7Event> http2(Http2Chunk c) {
    List<L7Event> out = new ArrayList<>(2);
    http2.chunk(c.connectionId(), c, c.seq(), c.fromClient(), c.payload(), c.total(), c.monotonicNanos(),
        c.endMonotonicNanos(), (first, s) -> out.add(http2Event(first, s)));
    return out;
  }

  /** The events of the streams still open on an HTTP/2 connection that closes (none for others). */
  public List<L7Event> http2Closed(ConnectionRecord r) {
    if (r.kind() != ConnectionRecord.Kind.CLOSE || r.connectionId() == 0) {
      return List.of();
    }
    List<L7Event> out = new ArrayList<>(0);
    http2.close(r.connectionId(), r.monotonicNanos(), (first, s) -> out.add(http2Event(first, s)));
    return out;
  }

  /** A stream's event; {@code c} is its connection's first chunk (process, side, addresses). */
  private L7Event http2Event(Http2Chunk c, Http2Connection.Stream s) {
    Exchange x = s.exchange();
    String status;
    Integer statusCode;
    boolean error;
    if (!s.answered()) {
      status = TIMEOUT;
      statusCode = null;
      error = true;
    } else if (x.status() != null) {
      status = x.status();
      statusCode = x.statusCode();
      error = x.error();
    } else {
      status = UNKNOWN_STATUS;
      statusCode = null;
      error = false;
    }
    // The kernel's clock maps linearly to wall-clock time: the stream's start from the chunk's.
    Instant start = c.time().plusNanos(s.startNanos() - c.monotonicNanos());
    boolean client = c.side() == L7Record.Side.CLIENT;
    InetAddress clientAddress = client ? c.localAddress() : c.remoteAddress();
    InetAddress serverAddress = client ? c.remoteAddress() : c.localAddress();
    ProcessIdentities.Known who = identities.of(c.pid(), null);
    return l7Event(millis(start), client ? Side.CLIENT : Side.SERVER, x.protocol(), who, c.pid(), x.method(),
        x.resource(), x.serverName(), status, statusCode, error, Math.max(0, s.endNanos() - s.startNanos()),
        s.requestBytes(), s.responseBytes(), text(clientAddress), client ? c.localPort() : c.remotePort(),
        text(serverAddress), client ? c.remotePort() : c.localPort(), c.tls(), x.traceparent());
  }

  // --------------------------------------------------------------------------------- connections

  /**
   * The event of a connection record, or null when its owner cannot be found or the connection was
   * adopted: established before the sensor started, it is procfs's to report (ConnectionTracker
   * reports its OPEN as found on the first scan, not counted as opened, and its CLOSE), so an
   * ADOPTED record is no OPEN and its CLOSE is not reported twice; its L7 records carry their own
   * client and server.
   */
  public ConnectionEvent connection(ConnectionRecord r) {
    if (r.kind() == ConnectionRecord.Kind.CLOSE && r.connectionId() != 0) {
      protocols.remove(r.connectionId());
      statements.remove(r.connectionId());
    }
    if (r.adopted()) {
      return null;
    }
    IpAddress local = ip(r.localAddress());
    IpAddress remote = ip(r.remoteAddress());
    int pid = r.pid();
    if (pid <= 0) {
      pid = ownerOf(new Tuple(local, r.localPort(), remote, r.remotePort()));
      if (pid <= 0) {
        unowned.increment();
        return null;
      }
    }
    ConnectionEventKind kind = switch (r.kind()) {
      case OPEN -> ConnectionEventKind.OPEN;
      case CLOSE -> ConnectionEventKind.CLOSE;
      case FAILED_CONNECT -> ConnectionEventKind.FAILED_CONNECT;
      case RETRANSMIT -> ConnectionEventKind.RETRANSMIT;
      case ADOPTED -> throw new IllegalStateException("adopted connections are not reported");
    };
    ConnectionDirection direction = switch (r.direction()) {
      case OUTBOUND -> ConnectionDirection.OUTBOUND;
      case INBOUND -> ConnectionDirection.INBOUND;
      case UNKNOWN -> r.kind() == ConnectionRecord.Kind.FAILED_CONNECT
          ? ConnectionDirection.OUTBOUND : ConnectionDirection.UNKNOWN;
    };
    boolean close = kind == ConnectionEventKind.CLOSE;
    long retransmits = switch (kind) {
      case RETRANSMIT -> 1;  // one event per retransmitted segment
      case CLOSE -> Math.max(0, r.retransmits());
      default -> 0;
    };
    Long connectNanos = r.connectDuration().map(d -> Math.max(0, d.toNanos())).orElse(null);
    ProcessIdentities.Known who = identities.of(pid, null);
    return new ConnectionEvent(stamp.node(), stamp.agentRunId(), stamp.nextSeq(connectionsTopic),
        millis(r.timestamp()), kind, Collector.EBPF, direction, who.instance(), pid,
        r.fd() >= 0 ? r.fd() : null, AvroMapping.family(remote),
        text(local), r.localPort(), text(remote), r.remotePort(),
        null /* actual_remote_ip */, null /* actual_remote_port */,
        close ? Math.max(0, r.bytesSent()) : 0L, close ? Math.max(0, r.bytesReceived()) : 0L, retransmits,
        r.srttMicros() > 0 ? r.srttMicros() : null, connectNanos, r.failureReason().orElse(null),
        null /* connections_opened */, null /* active_connections */);
  }

  /** The owner of an established socket in the latest scan, or -1; the index is rebuilt per scan. */
  private int ownerOf(Tuple t) {
    HostScan scan = latestScan.get();
    if (scan == null) {
      return -1;
    }
    if (scan.number() != ownersScan) {
      Map<Tuple, Integer> index = new HashMap<>(scan.sockets().size() * 2);
      for (SocketSnapshot s : scan.sockets()) {
        if (s.owned() && s.socket().state() == TcpState.ESTABLISHED) {
          index.put(new Tuple(s.socket().localAddress(), s.socket().localPort(), s.socket().remoteAddress(),
              s.socket().remotePort()), s.ownerPid());
        }
      }
      ownersByTuple = index;
      ownersScan = scan.number();
    }
    return ownersByTuple.getOrDefault(t, -1);
  }

  // ----------------------------------------------------------------------------------- processes

  /** The event of a process record. */
  public ProcessEvent process(ProcessRecord r) {
    ProcessIdentities.Known who = switch (r.kind()) {
      case EXEC -> identities.exec(r.pid(), r.comm());
      case EXIT -> identities.exit(r.pid(), r.comm());
      case OOM_KILL -> identities.of(r.pid(), r.comm());
    };
    ProcessEventKind kind = switch (r.kind()) {
      case EXEC -> ProcessEventKind.EXEC;
      case EXIT -> ProcessEventKind.EXIT;
      case OOM_KILL -> ProcessEventKind.OOM_KILL;
    };
    String exe = who.exe();
    if (exe == null && r.kind() == ProcessRecord.Kind.EXEC && r.filename() != null && r.filename().startsWith("/")) {
      exe = r.filename();  // gone before it could be read: the path it was executed by
    }
    return new ProcessEvent(stamp.node(), stamp.agentRunId(), stamp.nextSeq(lifecycleTopic), millis(r.timestamp()),
        kind, Collector.EBPF, r.pid(), r.ppid() > 0 ? r.ppid() : null,
        r.startedAt() == null ? null : millis(r.startedAt()), r.comm() == null ? "" : r.comm(),
        exe, who.cmdline(), who.cmdlineTruncated(), who.cgroupPath(), who.instance(),
        r.exitCode().isPresent() ? r.exitCode().getAsInt() : null,
        r.signal().isPresent() ? r.signal().getAsInt() : null);
  }

  // -------------------------------------------------------------------------------------- common

  private static Instant millis(Instant t) {
    return Instant.ofEpochMilli(t.toEpochMilli());
  }

  /**
   * The text of an L7 record's address: looked up by the InetAddress (its hash is its bits), so
   * that the common case converts nothing; first in a small direct-mapped table, which spares the
   * map's hashing and reordering for the few addresses of nearly every event.
   */
  private String text(InetAddress a) {
    int slot = (a.hashCode() * 0x9E3779B9) >>> (32 - RECENT_ADDRESS_BITS);
    InetAddress recent = recentAddresses[slot];
    if (recent != null && (recent == a || recent.equals(a))) {
      return recentAddressTexts[slot];
    }
    String t = inetTexts.get(a);
    if (t == null) {
      t = text(ip(a));
      inetTexts.put(a, t);
    }
    recentAddresses[slot] = a;
    recentAddressTexts[slot] = t;
    return t;
  }

  private String text(IpAddress a) {
    String t = addressTexts.get(a);
    if (t == null) {
      t = a.toString();
      addressTexts.put(a, t);
    }
    return t;
  }

  /** The canonical value the procfs side uses, so addresses compare equal across sources. */
  static IpAddress ip(InetAddress a) {
    byte[] b = a.getAddress();
    ByteBuffer buf = ByteBuffer.wrap(b);
    return b.length == 4 ? IpAddress.ipv4(buf.getInt()) : IpAddress.ipv6(buf.getLong(), buf.getLong());
  }
}
