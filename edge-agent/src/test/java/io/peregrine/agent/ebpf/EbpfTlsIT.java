package io.peregrine.agent.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS plaintext through the sensor's OpenSSL probes, both ends real and both on the host's
 * libssl.so.3: nginx (Debian's nginx-light) serving HTTPS on loopback, curl as the client. Ground
 * truth is what curl reports per request (status, total time).
 *
 * <p>Needs root and BTF; skipped without them on a developer machine, failed in CI.
 */
class EbpfTlsIT {

  private static final Queue<L7Record> l7 = new ConcurrentLinkedQueue<>();
  private static EbpfSensor sensor;
  private static Process nginx;
  private static Path dir;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    EbpfTestSupport.requireLoader();
    EbpfTestSupport.requireEbpfHost();
    EbpfTestSupport.require(Files.isExecutable(Path.of("/usr/sbin/nginx")), "nginx is not installed (nginx-light)");
    EbpfTestSupport.require(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
    EbpfTestSupport.require(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    dir = Files.createTempDirectory("peregrine-tls-it");
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString());
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(dir.resolve("nginx.conf"), EbpfTestSupport.nginxConf(dir, String.join("\n",
        "  server {",
        "    listen 127.0.0.1:" + port + " ssl;",
        "    ssl_certificate " + dir.resolve("cert.pem") + "; ssl_certificate_key " + dir.resolve("key.pem") + ";",
        "    location /ok { return 200 \"fine\\n\"; }",
        "    location /boom { return 503 \"down\\n\"; }",
        "  }")));

    sensor = EbpfTestSupport.startedSensor(Map.of(EbpfSensorConfig.POLL_MS, "20"), EbpfTestSupport.l7Listener(r -> {
      if (r.serverPort() == port) {
        l7.add(r);
      }
    }));
    // Started after the sensor, so its listening socket's connections are accepted under watch.
    nginx = new ProcessBuilder("/usr/sbin/nginx", "-c", dir.resolve("nginx.conf").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    awaitListening();
  }

  @AfterAll
  static void stop() throws Exception {
    if (nginx != null) {
      nginx.destroy();
      nginx.waitFor(10, TimeUnit.SECONDS);
    }
    if (sensor != null) {
      sensor.close();
    }
  }

  @Test
  void shouldPairHttpsRequestsFromTheirPlaintextOnBothSides() throws Exception {
    int requests = 100;
    List<String> command = new ArrayList<>(List.of("curl", "-sk", "--http1.1", "-w", "%{http_code} %{time_total}\\n"));
    for (int i = 0; i < requests; i++) {
      command.addAll(List.of("-o", "/dev/null", "https://127.0.0.1:" + port + (i % 10 == 9 ? "/boom/" : "/ok/") + i));
    }
    String out = run(command.toArray(String[]::new));
    List<String> lines = out.lines().collect(Collectors.toList());
    assertThat(lines).hasSize(requests);
    long client503 = lines.stream().filter(l -> l.startsWith("503 ")).count();
    assertThat(client503).isEqualTo(10);
    double curlSeconds = lines.stream().mapToDouble(l -> Double.parseDouble(l.split(" ")[1])).sum();

    List<L7Record> clients = await(L7Record.Side.CLIENT, requests);
    List<L7Record> servers = await(L7Record.Side.SERVER, requests);
    for (List<L7Record> side : List.of(clients, servers)) {
      assertThat(side).allSatisfy(r -> {
        assertThat(r.tls()).isTrue();
        assertThat(r.protocol()).isEqualTo(L7Record.Protocol.HTTP);
        assertThat(r.method()).isEqualTo("GET");
        assertThat(new String(r.request(), StandardCharsets.ISO_8859_1)).startsWith("GET /");
      });
      assertThat(side.stream().filter(r -> r.status() == 503).count()).isEqualTo(10);
      assertThat(side.stream().filter(r -> r.status() == 200).count()).isEqualTo(requests - 10);
      assertThat(side.stream().filter(r -> r.status() == 503)
          .allMatch(r -> new String(r.request(), StandardCharsets.ISO_8859_1).startsWith("GET /boom/"))).isTrue();
    }
    // Client latency is a part of what curl measured (which adds the TLS handshake and its own work).
    double sensorSeconds = clients.stream().mapToLong(L7Record::latencyNanos).sum() / 1e9;
    assertThat(sensorSeconds).isPositive().isLessThanOrEqualTo(curlSeconds);
  }

  private static List<L7Record> await(L7Record.Side side, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<L7Record> got = List.of();
    while (System.nanoTime() < deadline) {
      got = l7.stream().filter(r -> r.side() == side).collect(Collectors.toList());
      if (got.size() >= n) {
        Thread.sleep(300); // a duplicate would show now
        got = l7.stream().filter(r -> r.side() == side).collect(Collectors.toList());
        break;
      }
      Thread.sleep(20);
    }
    assertThat(got).as("%s records", side).hasSize(n);
    return got;
  }

  private static void awaitListening() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline || !nginx.isAlive()) {
          throw new AssertionError("nginx did not start: " + Files.readString(dir.resolve("nginx.out"))
              + (Files.exists(dir.resolve("error.log")) ? Files.readString(dir.resolve("error.log")) : ""));
        }
        Thread.sleep(50);
      }
    }
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s", command[0]).isZero();
    return out;
  }
}
