package io.peregrine.agent.container;

import static io.peregrine.agent.Fixtures.reported;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.cgroup.ContainerRuntime;
import io.peregrine.agent.procfs.ProblemCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtimes' metadata over the constructed host tree of {@code fixtures/container-runtimes},
 * copied to a temporary host root; docker's Engine API is a real unix socket at
 * {@code <host-root>/run/docker.sock}, where a small server replays the daemon's documented inspect
 * answers (chunked, as the daemon's Go HTTP server sends a JSON body of unknown length), answers
 * 404 for ids it does not know, or misbehaves on demand.
 */
class RuntimeContainerMetadataTest {

  static final String CD_APP = "3f1c5e0b7a2d4c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e";
  static final String CD_SANDBOX = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
  static final String CD_STS = "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b";
  static final String MOBY = "1111111111111111111111111111111111111111111111111111111111111111";
  static final String NERD = "2222222222222222222222222222222222222222222222222222222222222222";
  static final String CRIO_APP = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
  static final String CRIO_SANDBOX = "5a4d0b0c5a4d0b0c5a4d0b0c5a4d0b0c5a4d0b0c5a4d0b0c5a4d0b0c5a4d0b0c";
  static final String PODMAN = "7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e";
  static final String DOCKER_PLAIN = "a".repeat(64);
  static final String DOCKER_COMPOSE = "d".repeat(64);
  static final String UNKNOWN = "e".repeat(64);

  @TempDir
  Path host;

  private final ProblemCounters problems = new ProblemCounters();
  private final AtomicLong clock = new AtomicLong();
  private DockerDaemon daemon;

  @BeforeEach
  void copyTree() throws IOException {
    Path source = Fixtures.root("container-runtimes");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = host.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  @AfterEach
  void stopDaemon() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  private RuntimeContainerMetadata metadata() {
    return new RuntimeContainerMetadata(host, new RuntimeContainerMetadata.Settings(Duration.ofMillis(300),
        Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(60), 100), problems, clock::get);
  }

  private DockerDaemon daemon() throws IOException {
    daemon = new DockerDaemon(host.resolve("run/docker.sock"), Map.of(
        DOCKER_PLAIN, Fixtures.bytes("container-runtimes/docker/inspect-plain.json"),
        DOCKER_COMPOSE, Fixtures.bytes("container-runtimes/docker/inspect-compose.json")));
    return daemon;
  }

  @Test
  void shouldPlaceContainerdContainersInTheirPodsAndWorkloads() {
    RuntimeContainerMetadata m = metadata();
    assertThat(m.lookup(ContainerRuntime.CONTAINERD, CD_APP)).hasValue(new ContainerInfo("app",
        "registry.example.com/shop/checkout:1.4.2", null, new ContainerInfo.Kubernetes("shop",
            "checkout-7d9f8b6c5d-x2x4q", "0e8c2a8e-4b1c-4d9e-9f3a-5c2b1d0e7f6a", "app", "Deployment",
            "checkout")));
    assertThat(m.lookup(ContainerRuntime.CONTAINERD, CD_SANDBOX)).hasValueSatisfying(i -> {
      assertThat(i.name()).isEqualTo("POD");
      assertThat(i.kubernetes().workloadName()).isEqualTo("checkout");
    });
    // Older containerd: no sandbox-uid (the cgroup path still has it), an ordinal pod name.
    assertThat(m.lookup(ContainerRuntime.UNKNOWN, CD_STS)).hasValue(new ContainerInfo("postgres",
        "docker.io/library/postgres:16", null,
        new ContainerInfo.Kubernetes("shop", "db-2", null, "postgres", "StatefulSet", "db")));
    assertThat(m.lookup(ContainerRuntime.CONTAINERD, NERD)).hasValue(new ContainerInfo("cache", null));
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldTakeCrioPodLabelsFromTheSandbox() {
    RuntimeContainerMetadata m = metadata();
    assertThat(m.lookup(ContainerRuntime.CRIO, CRIO_APP)).hasValue(new ContainerInfo("fluent-bit",
        "cr.fluentbit.io/fluent/fluent-bit:3.1", null, new ContainerInfo.Kubernetes("logging",
            "fluent-bit-x7kq2", "6a1e0f3c-2b4d-4c8e-9a7f-1d2e3f4a5b6c", "fluent-bit", "DaemonSet",
            "fluent-bit")));
    assertThat(m.lookup(ContainerRuntime.CRIO, CRIO_SANDBOX)).hasValueSatisfying(i ->
        assertThat(i.kubernetes().container()).isEqualTo("POD"));
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldNamePodmanContainersFromContainersStorage() {
    assertThat(metadata().lookup(ContainerRuntime.PODMAN, PODMAN))
        .hasValue(new ContainerInfo("grafana", "docker.io/grafana/grafana:11.3.0"));
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldAskTheDockerEngineOverItsSocketAndCacheTheAnswer() throws Exception {
    daemon();
    RuntimeContainerMetadata m = metadata();
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_PLAIN)).hasValue(new ContainerInfo("web", "nginx:1.27"));
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_COMPOSE)).hasValue(new ContainerInfo("shop-web-1",
        "nginx:1.27", new ContainerInfo.Compose("shop", "web"), null));
    assertThat(daemon.requests).containsExactly(
        "GET /containers/" + DOCKER_PLAIN + "/json HTTP/1.1", "GET /containers/" + DOCKER_COMPOSE + "/json HTTP/1.1");

    for (int i = 0; i < 100; i++) {
      m.lookup(ContainerRuntime.DOCKER, DOCKER_PLAIN);
    }
    assertThat(daemon.requests).hasSize(2);
    clock.addAndGet(Duration.ofMinutes(11).toNanos());  // found answers are refreshed after 10 minutes
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_PLAIN)).isPresent();
    assertThat(daemon.requests).hasSize(3);
    assertThat(m.resolutions()).isEqualTo(3);
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldCacheAContainerNoRuntimeKnowsForAShorterTime() throws Exception {
    daemon();
    RuntimeContainerMetadata m = metadata();
    // A bare id: containerd, cri-o, then docker are asked, and none knows it (docker says 404).
    assertThat(m.lookup(ContainerRuntime.UNKNOWN, UNKNOWN)).isEmpty();
    assertThat(m.lookup(ContainerRuntime.UNKNOWN, UNKNOWN)).isEmpty();
    assertThat(daemon.requests).hasSize(1);
    clock.addAndGet(Duration.ofSeconds(31).toNanos());
    assertThat(m.lookup(ContainerRuntime.UNKNOWN, UNKNOWN)).isEmpty();
    assertThat(daemon.requests).hasSize(2);
    // docker's own containers in containerd's moby namespace carry no names: docker is asked.
    assertThat(m.lookup(ContainerRuntime.UNKNOWN, MOBY)).isEmpty();
    assertThat(daemon.requests).hasSize(3);
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldReportAnAbsentSocketOnceAndLeaveDockerAloneForTheBackoff() {
    RuntimeContainerMetadata m = metadata();
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_PLAIN)).isEmpty();
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_COMPOSE)).isEmpty();
    assertThat(reported(problems)).containsExactly(DockerInspect.SOURCE + " MISSING_FILE");
    assertThat(problems.total()).isEqualTo(1);  // the second lookup did not try during the backoff
  }

  @Test
  void shouldGiveUpOnAHungDaemonWithinTheDeadline() throws Exception {
    daemon().hang = true;
    RuntimeContainerMetadata m = metadata();
    long start = System.nanoTime();
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_PLAIN)).isEmpty();
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_COMPOSE)).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(reported(problems)).containsExactly(DockerInspect.SOURCE + " IO_ERROR");
    assertThat(daemon.requests).hasSize(1);

    daemon.hang = false;
    clock.addAndGet(Duration.ofSeconds(61).toNanos());  // after the backoff docker is asked again
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_COMPOSE)).isPresent();
  }

  @Test
  void shouldReportGarbageAndTruncatedAnswersAndFiles() throws Exception {
    daemon().answer = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"Name\":\"";
    RuntimeContainerMetadata m = metadata();
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_PLAIN)).isEmpty();
    daemon.answer = "SSH-2.0-OpenSSH_9.2\r\n";
    clock.addAndGet(Duration.ofSeconds(61).toNanos());
    assertThat(m.lookup(ContainerRuntime.DOCKER, DOCKER_COMPOSE)).isEmpty();

    Path appConfig = host.resolve("run/containerd/io.containerd.runtime.v2.task/k8s.io/" + CD_APP + "/config.json");
    byte[] whole = Files.readAllBytes(appConfig);
    Files.write(appConfig, java.util.Arrays.copyOf(whole, whole.length / 3));
    assertThat(m.lookup(ContainerRuntime.CONTAINERD, CD_APP)).isEmpty();
    Path crio = host.resolve("run/containers/storage/overlay-containers/" + CRIO_SANDBOX + "/userdata/config.json");
    Files.writeString(crio, "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"sandbox\","
        + "\"io.kubernetes.cri-o.Labels\":\"{not json\"}}");
    // The container is still placed; only the pod's labels are lost (then its name decides).
    assertThat(m.lookup(ContainerRuntime.CRIO, CRIO_APP)).hasValueSatisfying(i ->
        assertThat(i.kubernetes().workloadKind()).isEqualTo("DaemonSet"));
    Files.writeString(host.resolve("var/lib/containers/storage/overlay-containers/containers.json"), "[{\"id\":");
    assertThat(m.lookup(ContainerRuntime.PODMAN, PODMAN)).isEmpty();

    assertThat(reported(problems)).containsExactlyInAnyOrder(
        DockerInspect.SOURCE + " TRUNCATED",
        DockerInspect.SOURCE + " MALFORMED_LINE",
        RuntimeContainerMetadata.CONTAINERD_SOURCE + " TRUNCATED",
        RuntimeContainerMetadata.USERDATA_SOURCE + " MALFORMED_LINE",
        PodmanStorage.SOURCE + " TRUNCATED");
  }

  @Test
  void shouldReportAnUnreadableBundleAndGoOn() throws Exception {
    Path config = host.resolve("run/containerd/io.containerd.runtime.v2.task/k8s.io/" + CD_APP + "/config.json");
    Files.delete(config);
    Files.createDirectory(config);  // unreadable as a file, whatever the privileges of the test
    RuntimeContainerMetadata m = metadata();
    assertThat(m.lookup(ContainerRuntime.CONTAINERD, CD_APP)).isEmpty();
    assertThat(m.lookup(ContainerRuntime.CONTAINERD, NERD)).isPresent();
    assertThat(reported(problems)).containsExactly(RuntimeContainerMetadata.CONTAINERD_SOURCE + " IO_ERROR");
  }

  @Test
  void shouldBoundTheCache() {
    RuntimeContainerMetadata m = metadata();
    for (int i = 0; i < 250; i++) {
      m.lookup(ContainerRuntime.CRIO, String.format("%064x", i));
    }
    // Still answers, and asks again for what the bound made it forget.
    assertThat(m.lookup(ContainerRuntime.CRIO, CRIO_APP)).isPresent();
    long before = m.resolutions();
    m.lookup(ContainerRuntime.CRIO, String.format("%064x", 0));
    assertThat(m.resolutions()).isEqualTo(before + 1);
  }

  /**
   * A stand-in for dockerd's API socket: real unix socket, one connection at a time; answers the
   * recorded inspect JSON of the ids it knows in chunks, 404 for others.
   */
  static final class DockerDaemon implements AutoCloseable {
    final List<String> requests = new CopyOnWriteArrayList<>();
    final Map<String, byte[]> containers;
    volatile boolean hang;
    volatile String answer;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final Map<SocketChannel, Boolean> open = new ConcurrentHashMap<>();

    DockerDaemon(Path socket, Map<String, byte[]> containers) throws IOException {
      this.containers = containers;
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      thread = new Thread(this::serve, "fake-dockerd");
      thread.setDaemon(true);
      thread.start();
    }

    private void serve() {
      while (server.isOpen()) {
        try {
          SocketChannel c = server.accept();
          open.put(c, true);
          String request = readRequest(c);
          requests.add(request.substring(0, request.indexOf("\r\n")));
          if (hang) {
            continue;  // never answers; closed with the daemon
          }
          if (answer != null) {
            write(c, answer.getBytes(US_ASCII));
          } else {
            String target = request.split(" ")[1];
            String id = target.replace("/containers/", "").replace("/json", "");
            byte[] body = containers.get(id);
            if (body == null) {
              String message = "{\"message\":\"No such container: " + id + "\"}";
              write(c, ("HTTP/1.1 404 Not Found\r\nApi-Version: 1.47\r\nContent-Type: application/json\r\n"
                  + "Content-Length: " + message.length() + "\r\n\r\n" + message).getBytes(US_ASCII));
            } else {
              write(c, ("HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Type: application/json\r\n"
                  + "Docker-Experimental: false\r\nOstype: linux\r\nServer: Docker/27.3.1 (linux)\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n").getBytes(US_ASCII));
              for (int at = 0; at < body.length; at += 1000) {
                int n = Math.min(1000, body.length - at);
                write(c, (Integer.toHexString(n) + "\r\n").getBytes(US_ASCII));
                write(c, java.util.Arrays.copyOfRange(body, at, at + n));
                write(c, "\r\n".getBytes(US_ASCII));
              }
              write(c, "0\r\n\r\n".getBytes(US_ASCII));
            }
          }
          c.close();
          open.remove(c);
        } catch (IOException e) {
          if (server.isOpen()) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }

    private static String readRequest(SocketChannel c) throws IOException {
      ByteBuffer buf = ByteBuffer.allocate(4096);
      while (true) {
        if (c.read(buf) < 0) {
          break;
        }
        String s = new String(buf.array(), 0, buf.position(), US_ASCII);
        if (s.contains("\r\n\r\n")) {
          return s;
        }
      }
      return new String(buf.array(), 0, buf.position(), US_ASCII);
    }

    private static void write(SocketChannel c, byte[] b) throws IOException {
      ByteBuffer buf = ByteBuffer.wrap(b);
      while (buf.hasRemaining()) {
        c.write(buf);
      }
    }

    @Override
    public void close() throws Exception {
      server.close();
      for (SocketChannel c : open.keySet()) {
        c.close();
      }
      thread.join(5_000);
    }
  }
}
