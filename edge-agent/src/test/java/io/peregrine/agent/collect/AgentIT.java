package io.peregrine.agent.collect;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.peregrine.agent.Collectors;
import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.AppIdentity;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.AppSample;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import io.peregrine.schema.topic.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent with {@link Collectors#forHost} on this machine, publishing to a real embedded broker
 * and registry: a server and a client connection this test opens must arrive as a listen, an OPEN
 * and later a CLOSE owned by this JVM's application; a child process as EXEC and EXIT; this JVM's
 * instance as an AppSample; this machine as a NodeSample. Needs no privilege: the eBPF sensor is
 * off here, so that what is tested is procfs's view wherever it runs.
 */
class AgentIT {

  private static final Logger log = LoggerFactory.getLogger(AgentIT.class);
  private static final Duration WAIT = Duration.ofSeconds(60);

  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @RegisterExtension
  final AgentHarness harness = new AgentHarness(KAFKA, WAIT);

  @Test
  void shouldPublishThisHostsListensConnectionsProcessesApplicationsAndNode() throws Exception {
    Topics topics = harness.startRegistry();

    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "ok".getBytes(US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    harness.closeLater(() -> server.stop(0));
    int port = server.getAddress().getPort();
    Socket client = harness.closeLater(new Socket(InetAddress.getByName("127.0.0.1"), port));
    client.setSoTimeout(10_000);
    client.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(US_ASCII));
    assertThat(new BufferedReader(new InputStreamReader(client.getInputStream(), US_ASCII)).readLine())
        .startsWith("HTTP/1.1 200");
    int clientPort = client.getLocalPort();

    // The procfs collectors alone, as on a host without eBPF (EbpfAgentIT covers the sensor).
    harness.startAgent("agent-it", "off");

    int pid = (int) ProcessHandle.current().pid();
    AppInstance me = thisJvm(pid);
    log.info("this JVM is {}", me);
    harness.consume(topics.rawNodeMetrics(), topics.rawAppMetrics(), topics.rawListens(), topics.rawConnections(),
        topics.rawLifecycle());

    ListenEvent listen = harness.await(topics.rawListens(), e -> e.getPort() == port && e.getListening());
    assertThat(listen.getIp()).isEqualTo("127.0.0.1");
    assertThat(listen.getPid()).isEqualTo(pid);
    assertThat(listen.getInstance()).isEqualTo(me);
    assertThat(listen.getNode().getHostname()).isEqualTo("agent-it");

    ConnectionEvent open = harness.await(topics.rawConnections(), e -> e.getKind() == ConnectionEventKind.OPEN
        && e.getLocalPort() == clientPort && e.getRemotePort() == port);
    assertThat(open.getDirection()).isEqualTo(ConnectionDirection.OUTBOUND);
    assertThat(open.getRemoteIp()).isEqualTo("127.0.0.1");
    assertThat(open.getPid()).isEqualTo(pid);
    assertThat(open.getInstance()).isEqualTo(me);
    ConnectionEvent accepted = harness.await(topics.rawConnections(),
        e -> e.getKind() == ConnectionEventKind.OPEN && e.getLocalPort() == port && e.getRemotePort() == clientPort);
    assertThat(accepted.getDirection()).isEqualTo(ConnectionDirection.INBOUND);
    ConnectionEvent stats = harness.await(topics.rawConnections(),
        e -> e.getKind() == ConnectionEventKind.STATS && e.getDirection() == ConnectionDirection.OUTBOUND
            && e.getRemotePort() == port && e.getInstance().equals(me));
    assertThat(stats.getActiveConnections()).isGreaterThanOrEqualTo(1);
    assertThat(stats.getLocalPort()).isZero();

    AppSample sample = harness.await(topics.rawAppMetrics(),
        s -> s.getInstance().equals(me));
    assertThat(sample.getProcesses()).isPositive();
    assertThat(sample.getThreads()).isGreaterThanOrEqualTo(10);
    assertThat(sample.getOpenFds()).isGreaterThanOrEqualTo(10);
    assertThat(sample.getCpuUserSecondsTotal()).isPositive();
    assertThat(sample.getMemoryRssBytes()).isGreaterThan(10L << 20);
    assertThat(sample.getExecutable()).isNotBlank();
    assertThat(sample.getStartedAt().toEpochMilli()).isLessThan(System.currentTimeMillis());

    NodeSample node = harness.await(topics.rawNodeMetrics(), s -> true);
    String machineId = new ProcFs(Path.of("/proc"), Path.of("/"), 100, ParseProblems.ignoring()).machineId().orElse("");
    assertThat(node.getNode().getMachineId()).isEqualTo(machineId).isNotEmpty();
    assertThat(node.getBootId()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    assertThat(node.getCpuCount()).isPositive();
    assertThat(node.getMemory().getTotalBytes()).isPositive();
    assertThat(node.getFilesystems()).extracting(f -> f.getMountPoint()).contains("/");

    // A child process appears and goes away between scans.
    Process sleep = new ProcessBuilder("sleep", "30").start();
    harness.closeLater(sleep::destroyForcibly);
    int sleepPid = (int) sleep.pid();
    ProcessEvent exec = harness.await(topics.rawLifecycle(),
        e -> e.getKind() == ProcessEventKind.EXEC && e.getPid() == sleepPid);
    assertThat(exec.getComm()).isEqualTo("sleep");
    assertThat(exec.getCmdline()).isEqualTo("sleep 30");
    sleep.destroy();
    assertThat(sleep.waitFor(10, TimeUnit.SECONDS)).isTrue();
    harness.await(topics.rawLifecycle(), e -> e.getKind() == ProcessEventKind.EXIT && e.getPid() == sleepPid);

    // The client hangs up: both ends leave ESTABLISHED.
    client.close();
    ConnectionEvent close = harness.await(topics.rawConnections(), e -> e.getKind() == ConnectionEventKind.CLOSE
        && e.getLocalPort() == clientPort && e.getRemotePort() == port);
    assertThat(close.getInstance()).isEqualTo(me);

    // The server stops: its listen is reported gone.
    server.stop(0);
    ListenEvent gone = harness.await(topics.rawListens(), e -> e.getPort() == port && !e.getListening());
    assertThat(gone.getFirstSeen()).isEqualTo(listen.getFirstSeen());

    harness.assertSequencesIncrease();
  }

  private static AppInstance thisJvm(int pid) {
    ProcFs procFs = ProcFs.host(ParseProblems.ignoring());
    AppIdentity id = new AppIdentifier(ContainerMetadata.NONE).identify(
        CgroupReader.host(ParseProblems.ignoring()).processCgroups(pid).orElseThrow(),
        procFs.pidStat(pid).orElseThrow().pgrp(), procFs.exe(pid).orElseThrow(), ParseProblems.ignoring());
    return AvroMapping.instance(id);
  }

}
