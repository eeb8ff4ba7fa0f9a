package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Agent;
import io.peregrine.agent.ebpf.EbpfTestSupport;
import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.Collector;
import io.peregrine.schema.ConnectionDirection;
import io.peregrine.schema.ConnectionEvent;
import io.peregrine.schema.ConnectionEventKind;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.ProcessEvent;
import io.peregrine.schema.ProcessEventKind;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.schema.topic.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent with its eBPF sensor ({@code ebpf.mode=on}) publishing to a real embedded broker and
 * registry while another process ({@link HttpWorkload}: a JDK HttpServer and HttpClient) makes
 * 1,000 HTTP/1.1 GETs of which 100 are answered 500: exactly 1,000 L7 events must arrive from each
 * side, with the statuses the client saw, along with the connections' OPEN and CLOSE and the
 * workload's exec and exit; a shell the test runs must exit with its exact code. The agent ignores
 * its own process, as deployed, which is why the workload runs in a process of its own.
 *
 * <p>Needs root and BTF: skipped on a developer machine without them, failed in CI.
 */
class EbpfAgentIT {

  private static final Logger log = LoggerFactory.getLogger(EbpfAgentIT.class);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int REQUESTS = 1_000;
  private static final int FAIL_EVERY = 10;

  @RegisterExtension
  static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @RegisterExtension
  final AgentHarness harness = new AgentHarness(KAFKA, WAIT);

  @Test
  void shouldPublishEveryHttpExchangeOfBothSidesWithItsConnectionsAndProcesses() throws Exception {
    EbpfTestSupport.requireEbpfHost();
    EbpfTestSupport.requireLoader();
    Topics topics = harness.startRegistry();
    // Mode on: start returns once the sensor's probes are attached, or throws saying why not.
    Agent agent = harness.startAgent("ebpf-agent-it", "on");

    Path classes = Path.of(HttpWorkload.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process workload = new ProcessBuilder(java, "-Xshare:auto", "-cp", classes.toString(),
        HttpWorkload.class.getName(), Integer.toString(REQUESTS), Integer.toString(FAIL_EVERY))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    harness.closeLater(workload::destroyForcibly);
    int workloadPid = (int) workload.pid();
    String result;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(workload.getInputStream(),
        StandardCharsets.US_ASCII))) {
      result = out.readLine();
    }
    assertThat(workload.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(workload.exitValue()).isZero();
    log.info("workload pid {}: {}", workloadPid, result);
    assertThat(result).startsWith("result port=").endsWith(" 200=900 500=100");
    int port = Integer.parseInt(result.split(" ")[1].substring("port=".length()));

    Process shell = new ProcessBuilder("/bin/sh", "-c", "exit 3").start();
    assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
    int shellPid = (int) shell.pid();

    harness.consume(topics.rawL7(), topics.rawConnections(), topics.rawLifecycle());

    Predicate<L7Event> ours = e -> e.getPid() == workloadPid && e.getServerPort() == port;
    harness.awaitCount(topics.rawL7(), ours, 2 * REQUESTS);
    // Exactly: nothing more comes after a few more seconds.
    harness.pollFor(Duration.ofSeconds(3));
    List<L7Event> l7 = harness.matching(topics.rawL7(), ours);
    for (Side side : List.of(Side.CLIENT, Side.SERVER)) {
      List<L7Event> of = l7.stream().filter(e -> e.getSide() == side).toList();
      assertThat(of).as("%s events", side).hasSize(REQUESTS);
      assertThat(of).allSatisfy(e -> {
        assertThat(e.getProtocol()).isEqualTo(Protocol.HTTP);
        assertThat(e.getMethod()).isEqualTo("GET");
        assertThat(e.getStatus()).isIn("200", "500");
        assertThat(e.getError()).isEqualTo(e.getStatus().equals("500"));
        assertThat(e.getStatusCode()).isEqualTo(Integer.parseInt(e.getStatus()));
        assertThat(e.getServerIp()).isEqualTo("127.0.0.1");
        assertThat(e.getClientIp()).isEqualTo("127.0.0.1");
        assertThat(e.getLatencyNs()).isPositive();
        assertThat(e.getRequestBytes()).isPositive();
        assertThat(e.getResponseBytes()).isPositive();
        assertThat(e.getInstance().getApp().getName()).isEqualTo("java");
        assertThat(e.getNode().getHostname()).isEqualTo("ebpf-agent-it");
      });
      assertThat(of.stream().filter(e -> e.getStatus().equals("500")).count()).as("%s 500s", side).isEqualTo(100);
    }

    // The connections the exchanges went over: opened and closed, seen by eBPF from both ends.
    Set<Integer> clientPorts = new java.util.TreeSet<>();
    l7.forEach(e -> clientPorts.add(e.getClientPort()));
    for (int clientPort : clientPorts) {
      ConnectionEvent open = harness.await(topics.rawConnections(), e -> e.getKind() == ConnectionEventKind.OPEN
          && e.getSource() == Collector.EBPF && e.getLocalPort() == clientPort && e.getRemotePort() == port);
      assertThat(open.getDirection()).isEqualTo(ConnectionDirection.OUTBOUND);
      assertThat(open.getPid()).isEqualTo(workloadPid);
      assertThat(open.getConnectDurationNs()).isNotNull().isPositive();
      ConnectionEvent accepted = harness.await(topics.rawConnections(),
          e -> e.getKind() == ConnectionEventKind.OPEN && e.getSource() == Collector.EBPF
              && e.getLocalPort() == port && e.getRemotePort() == clientPort);
      assertThat(accepted.getDirection()).isEqualTo(ConnectionDirection.INBOUND);
      ConnectionEvent close = harness.await(topics.rawConnections(),
          e -> e.getKind() == ConnectionEventKind.CLOSE && e.getSource() == Collector.EBPF
              && e.getLocalPort() == clientPort && e.getRemotePort() == port);
      assertThat(close.getBytesSent()).isPositive();
      assertThat(close.getBytesReceived()).isPositive();
      assertThat(close.getInstance()).isEqualTo(open.getInstance());
    }
    // procfs left these connections to the sensor: no second OPEN of them.
    assertThat(harness.matching(topics.rawConnections(), e -> e.getSource() == Collector.PROCFS
        && e.getKind() != ConnectionEventKind.STATS && (e.getLocalPort() == port || e.getRemotePort() == port)))
        .isEmpty();

    // The JDK starts a child through jspawnhelper, which then executes java: two EXECs of one pid.
    ProcessEvent exec = harness.await(topics.rawLifecycle(), e -> e.getKind() == ProcessEventKind.EXEC
        && e.getPid() == workloadPid && e.getSource() == Collector.EBPF && e.getComm().equals("java"));
    assertThat(exec.getCmdline()).contains(HttpWorkload.class.getName());
    assertThat(exec.getExe()).isEqualTo(Path.of(java).toRealPath().toString());
    ProcessEvent exit = harness.await(topics.rawLifecycle(),
        e -> e.getKind() == ProcessEventKind.EXIT && e.getPid() == workloadPid);
    assertThat(exit.getSource()).isEqualTo(Collector.EBPF);
    assertThat(exit.getExitCode()).isZero();
    ProcessEvent shellExit = harness.await(topics.rawLifecycle(),
        e -> e.getKind() == ProcessEventKind.EXIT && e.getPid() == shellPid);
    assertThat(shellExit.getExitCode()).isEqualTo(3);
    assertThat(shellExit.getSignal()).isNull();

    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("peregrine_agent_ebpf_running 1",
        "peregrine_agent_ebpf_ring_drops_total{type=\"l7\"} 0",
        "peregrine_agent_ebpf_loader_restarts_total 0",
        "peregrine_agent_l7_decode_failures_total{protocol=\"HTTP\"} 0");
    assertThat(counter(metrics, "peregrine_agent_ebpf_records_total{type=\"l7\"}")).isGreaterThanOrEqualTo(2 * REQUESTS);
    harness.assertSequencesIncrease();
  }

  private static long counter(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> Long.parseLong(l.split(" ")[1]))
        .findFirst().orElse(-1);
  }

}
