package io.peregrine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.collect.CachedCloudMetadata;
import io.peregrine.agent.collect.HostCollectors;
import io.peregrine.agent.collect.InstanceMetadataClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Agent#close} stops what its collectors started: here the cloud metadata fetch thread,
 * caught in the middle of a request to a metadata service (a loopback server) that does not answer.
 * Kafka and the registry are unreachable (closed loopback ports): the agent spools, which is
 * beside the point here.
 */
class AgentCloseTest {

  private static final String FETCH_THREAD = "agent-cloud-metadata";

  @TempDir
  Path home;

  @TempDir
  Path sys;

  private HttpServer metadataService;

  @AfterEach
  void stop() {
    if (metadataService != null) {
      metadataService.stop(0);
    }
  }

  @Test
  void shouldStopTheCloudMetadataFetchThreadWhenClosed() throws Exception {
    CountDownLatch asked = new CountDownLatch(1);
    CountDownLatch released = new CountDownLatch(1);
    metadataService = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    metadataService.createContext("/", exchange -> {
      asked.countDown();
      try {
        released.await(60, TimeUnit.SECONDS);  // a metadata service that never answers
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    metadataService.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    metadataService.start();
    URI base = URI.create("http://127.0.0.1:" + metadataService.getAddress().getPort());

    AgentConfig config = new AgentConfig(Map.of(
        AgentConfig.BOOTSTRAP_SERVERS, "127.0.0.1:" + closedPort(),
        AgentConfig.SCHEMA_REGISTRY_URL, "http://127.0.0.1:" + closedPort(),
        AgentConfig.INTERVAL_MS, "60000",
        AgentConfig.METRICS_PORT, "0",
        AgentConfig.NODE_NAME, "close-test",
        AgentConfig.SPOOL_DIR, home.resolve("spool").toString()));
    Agent agent = Agent.start(config, home, context -> {
      InstanceMetadataClient client = new InstanceMetadataClient(base, sys, Duration.ofSeconds(1),
          Duration.ofSeconds(60));
      return HostCollectors.create(context, ContainerMetadata.NONE,
          CachedCloudMetadata.start(client::fetch, Duration.ofHours(1), Duration.ofHours(1)));
    });
    try {
      assertThat(asked.await(30, TimeUnit.SECONDS)).as("the fetch thread asked the metadata service").isTrue();
      assertThat(fetchThreadAlive()).isTrue();
    } finally {
      agent.close();
      released.countDown();
    }
    assertThat(fetchThreadAlive()).as("fetch thread after Agent.close").isFalse();
  }

  private static boolean fetchThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals(FETCH_THREAD) && t.isAlive());
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
