package io.peregrine.agent.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DNS over UDP through the sensor, against a real name server ({@code dnsmasq}, Debian's
 * dnsmasq-base) on a loopback address of its own, port 53: the JDK's connected DatagramChannel
 * (write/read) and glibc's resolver ({@code getent ahosts}, which sends the A and AAAA queries in
 * one sendmmsg(2)) in a mount namespace whose /etc/resolv.conf points at that server.
 * Ground truth: the queries the test sent and the answers it received.
 *
 * <p>Needs root (port 53, eBPF, mount namespaces); skipped without it on a developer machine,
 * failed in CI.
 */
class EbpfDnsIT {

  private static final int PID = (int) ProcessHandle.current().pid();
  private static final Queue<L7Record> l7 = new ConcurrentLinkedQueue<>();
  private static final Queue<ConnectionRecord> connections = new ConcurrentLinkedQueue<>();
  private static InetAddress server;
  private static Process dnsmasq;
  private static EbpfSensor sensor;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    EbpfTestSupport.requireLoader();
    EbpfTestSupport.requireEbpfHost();
    EbpfTestSupport.require(Files.isExecutable(Path.of("/usr/sbin/dnsmasq")),
        "dnsmasq is not installed (Debian package dnsmasq-base)");
    // An address of our own in 127/8, so records of other DNS traffic on the host never match.
    server = InetAddress.getByAddress(new byte[] {127, 0, (byte) ThreadLocalRandom.current().nextInt(1, 250),
        (byte) ThreadLocalRandom.current().nextInt(2, 250)});
    dir = Files.createTempDirectory("peregrine-dns-it");
    dnsmasq = new ProcessBuilder("/usr/sbin/dnsmasq", "--keep-in-foreground", "--port=53",
        "--listen-address=" + server.getHostAddress(), "--bind-interfaces", "--no-resolv", "--no-hosts",
        "--conf-file=/dev/null", "--pid-file=" + dir.resolve("dnsmasq.pid"),
        "--address=/peregrine.test/10.1.2.3", "--address=/nx.peregrine.test/")
        .redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.log").toFile()).start();

    sensor = EbpfTestSupport.startedSensor(Map.of(
        EbpfSensorConfig.IGNORE_OWN_PROCESS, "false",
        EbpfSensorConfig.POLL_MS, "20"), new SensorListener() {
          @Override
          public void onConnection(ConnectionRecord r) {
            if (r.remoteAddress().equals(server)) {
              connections.add(r);
            }
          }

          @Override
          public void onL7(L7Record r) {
            if (r.remoteAddress().equals(server) && r.remotePort() == 53) {
              l7.add(r);
            }
          }

          @Override
          public void onProcess(ProcessRecord r) {}
        });
    awaitAnswer(query(0x7fff, "ready.peregrine.test"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (sensor != null) {
      sensor.close();
    }
    if (dnsmasq != null) {
      dnsmasq.destroy();
      dnsmasq.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldReportEveryQueryOfAConnectedUdpSocketWithItsAnswerAndLatency() throws Exception {
    l7.clear();
    Map<Integer, Long> clientNanos = new HashMap<>();
    Map<Integer, Integer> rcodes = new HashMap<>();
    for (int i = 0; i < 50; i++) {
      int id = 0x1000 + i;
      String name = (i % 5 == 4 ? "host" + i + ".nx.peregrine.test" : "host" + i + ".peregrine.test");
      try (DatagramChannel ch = DatagramChannel.open()) {
        ch.connect(new InetSocketAddress(server, 53));
        long t0 = System.nanoTime();
        ch.write(ByteBuffer.wrap(query(id, name)));
        ByteBuffer answer = ByteBuffer.allocate(512);
        ch.read(answer);
        clientNanos.put(id, System.nanoTime() - t0);
        rcodes.put(id, answer.get(3) & 0x0f);
      }
    }
    assertThat(rcodes.values().stream().filter(r -> r == 3).count()).as("NXDOMAIN answers").isEqualTo(10);

    List<L7Record> mine = awaitRecords(r -> r.pid() == PID, 50);
    assertThat(mine).allSatisfy(r -> {
      assertThat(r.side()).isEqualTo(L7Record.Side.CLIENT);
      assertThat(r.noResponse()).isFalse();
      int id = u16(r.request(), 0);
      assertThat(u16(r.response(), 0)).as("answer id").isEqualTo(id);
      assertThat(r.response()[3] & 0x0f).as("rcode of %s", id).isEqualTo(rcodes.get(id));
      long client = clientNanos.get(id);
      assertThat(r.latencyNanos()).as("latency of %s", id).isPositive()
          .isLessThanOrEqualTo(client + Math.max(client / 10, 1_000_000));
    });
    assertThat(mine.stream().map(r -> u16(r.request(), 0)).collect(Collectors.toSet()))
        .isEqualTo(clientNanos.keySet());
    assertThat(connections).as("UDP sockets emit no connection records").isEmpty();
  }

  @Test
  void shouldSeeGlibcResolverQueriesSentWithSendmmsg() throws Exception {
    l7.clear();
    Path resolv = dir.resolve("resolv.conf");
    Files.writeString(resolv, "nameserver " + server.getHostAddress() + "\n");
    int lookups = 3;
    for (int i = 0; i < lookups; i++) {
      Process p = new ProcessBuilder("unshare", "--mount", "sh", "-c",
          "mount --bind " + resolv + " /etc/resolv.conf && exec getent ahosts glibc" + i + ".peregrine.test")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(out).contains("10.1.2.3");
    }
    // One exchange per lookup: the A and AAAA queries leave together and the first answer pairs.
    List<L7Record> glibc = awaitRecords(r -> r.pid() != PID, lookups);
    assertThat(glibc).allSatisfy(r -> {
      assertThat(new String(r.request(), StandardCharsets.ISO_8859_1)).contains("peregrine");
      assertThat(r.requestBytes()).isGreaterThanOrEqualTo(12 + "glibc0.peregrine.test".length() + 6);
      assertThat(u16(r.response(), 0)).isEqualTo(u16(r.request(), 0));
    });
  }

  private static List<L7Record> awaitRecords(java.util.function.Predicate<L7Record> which, int n)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<L7Record> got = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      got = l7.stream().filter(which).collect(Collectors.toList());
      if (got.size() >= n) {
        Thread.sleep(300); // a duplicate would show now
        got = l7.stream().filter(which).collect(Collectors.toList());
        break;
      }
      Thread.sleep(20);
    }
    assertThat(got).hasSize(n);
    return got;
  }

  private static void awaitAnswer(byte[] query) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try (DatagramChannel ch = DatagramChannel.open()) {
        ch.connect(new InetSocketAddress(server, 53));
        ch.configureBlocking(false);
        ch.write(ByteBuffer.wrap(query));
        ByteBuffer answer = ByteBuffer.allocate(512);
        for (int i = 0; i < 20 && ch.read(answer) <= 0; i++) {
          Thread.sleep(10);
        }
        if (answer.position() > 0) {
          return;
        }
      } catch (IOException e) {
        // ICMP port unreachable until dnsmasq listens
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("dnsmasq did not answer; log: " + Files.readString(dir.resolve("dnsmasq.log")));
      }
      Thread.sleep(100);
    }
  }

  /** A standard recursive query for the A record of {@code name}. */
  private static byte[] query(int id, String name) {
    ByteBuffer b = ByteBuffer.allocate(12 + name.length() + 2 + 4);
    b.putShort((short) id).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putShort((short) 0)
        .putShort((short) 0);
    for (String label : name.split("\\.")) {
      b.put((byte) label.length()).put(label.getBytes(StandardCharsets.US_ASCII));
    }
    b.put((byte) 0).putShort((short) 1).putShort((short) 1);
    return b.array();
  }

  private static int u16(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }
}
