package io.peregrine.agent;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.AppIdentity;
import io.peregrine.agent.cgroup.Application;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.cgroup.ProcessCgroups;
import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.PidStat;
import io.peregrine.agent.procfs.PidStatParser;
import io.peregrine.agent.procfs.PidStatus;
import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.agent.procfs.ProcLinks;
import io.peregrine.agent.procfs.TcpSocket;
import io.peregrine.agent.procfs.TcpState;
import io.peregrine.schema.AppKind;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The readers against the real /proc and /sys of the machine the build runs on: a server and a
 * client connection this test opens must appear with the right owner, and this JVM must get an
 * application identity. Needs no privilege (all of it concerns the test's own process).
 */
class LiveHostIT {

  private static final Logger log = LoggerFactory.getLogger(LiveHostIT.class);
  private static final IpAddress LOOPBACK = IpAddress.ipv4(0x7F00_0001);

  private final ProblemCounters problems = new ProblemCounters();
  private final ProcFs procFs = ProcFs.host(problems);
  private final int pid = (int) ProcessHandle.current().pid();
  private HttpServer server;
  private Socket client;

  @BeforeEach
  void startServerAndConnect() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "ok".getBytes(US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    client = new Socket(InetAddress.getByName("127.0.0.1"), server.getAddress().getPort());
    client.setSoTimeout(10_000);
    // A full exchange: once the response is read the server has accepted, and keep-alive holds
    // the connection open on both ends.
    client.getOutputStream().write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(US_ASCII));
    BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), US_ASCII));
    assertThat(in.readLine()).startsWith("HTTP/1.1 200");
  }

  @AfterEach
  void close() throws Exception {
    client.close();
    server.stop(0);
    log.info("Problems met while scanning this host: {}", problems);
  }

  @Test
  void shouldMapTheListenSocketAndBothEndsOfTheConnectionToThisJvm() {
    int port = server.getAddress().getPort();
    int clientPort = client.getLocalPort();

    List<TcpSocket> sockets = procFs.tcpSockets(TcpState.mask(TcpState.LISTEN, TcpState.ESTABLISHED));
    Map<Long, Integer> owners = procFs.socketOwners();

    // The JDK opens dual-stack IPv6 sockets, so these lines come from tcp6 as ::ffff:127.0.0.1
    // (or from tcp when IPv6 is off); either way they read as 127.0.0.1.
    TcpSocket listen = only(sockets, TcpState.LISTEN, port, null, 0);
    assertThat(listen.localAddress()).hasToString("127.0.0.1");
    assertThat(owners.get(listen.inode())).as("owner of the listen socket").isEqualTo(pid);

    TcpSocket clientEnd = only(sockets, TcpState.ESTABLISHED, clientPort, LOOPBACK, port);
    TcpSocket serverEnd = only(sockets, TcpState.ESTABLISHED, port, LOOPBACK, clientPort);
    assertThat(owners.get(clientEnd.inode())).as("owner of the client end").isEqualTo(pid);
    assertThat(owners.get(serverEnd.inode())).as("owner of the server end").isEqualTo(pid);
    assertThat(clientEnd.inode()).isNotEqualTo(serverEnd.inode());
  }

  @Test
  void shouldIdentifyThisJvmsApplicationFromItsCgroup() {
    ProcessCgroups cgroups = CgroupReader.host(problems).processCgroups(pid).orElseThrow();
    PidStat stat = procFs.pidStat(pid).orElseThrow();
    String exe = procFs.exe(pid).orElseThrow();

    AppIdentity identity = new AppIdentifier(ContainerMetadata.NONE)
        .identify(cgroups, stat.pgrp(), exe, problems);
    log.info("This JVM: {} from {}", identity, cgroups);

    assertThat(identity.app().id()).startsWith(Application.idPrefix(identity.app().kind()) + "/");
    assertThat(identity.instanceId()).isNotBlank();
    if (identity.app().kind() == AppKind.PROCESS) {
      assertThat(identity.app().id()).isEqualTo("process/" + ProcLinks.executableName(exe));
      assertThat(identity.instanceId()).isEqualTo("pid:" + stat.pgrp());
    }
  }

  @Test
  void shouldParseAPlausibleThreadCountFromProcSelfStat() throws Exception {
    int javaThreads = ManagementFactory.getThreadMXBean().getThreadCount();
    byte[] content = Files.readAllBytes(Path.of("/proc/self/stat"));
    PidStat stat = PidStatParser.parse(content, content.length, problems).orElseThrow();
    PidStatus status = procFs.pidStatus(pid).orElseThrow();

    assertThat(stat.pid()).isEqualTo(pid);
    assertThat(stat.isKernelThread()).isFalse();
    // The kernel counts the JVM's native threads (GC, JIT) too, so at least the Java ones, give or
    // take a thread that ended between the two readings; and the HTTP server's dispatcher is one.
    assertThat(stat.numThreads()).isGreaterThanOrEqualTo(Math.max(2, javaThreads - 2))
        .isLessThan(10_000);
    assertThat(status.threads()).isBetween(stat.numThreads() - 5, stat.numThreads() + 5);
    assertThat(stat.utimeTicks() + stat.stimeTicks()).isPositive();
  }

  private static TcpSocket only(List<TcpSocket> sockets, TcpState state, int localPort,
      IpAddress remote, int remotePort) {
    List<TcpSocket> matches = sockets.stream()
        .filter(s -> s.state() == state && s.localPort() == localPort
            && s.localAddress().equals(LOOPBACK) && s.remotePort() == remotePort
            && (remote == null || s.remoteAddress().equals(remote)))
        .toList();
    assertThat(matches).as("%s sockets on 127.0.0.1:%d", state, localPort).hasSize(1);
    return matches.get(0);
  }
}
