package io.peregrine.agent.collect;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.peregrine.schema.CloudLifecycle;
import io.peregrine.schema.CloudMetadata;
import io.peregrine.schema.CloudProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata client against a loopback server that imitates each provider's documented
 * endpoints. Nothing here contacts 169.254.169.254 or any other non-loopback address.
 */
class InstanceMetadataClientTest {

  @TempDir
  Path sys;

  private HttpServer server;
  /** path -> (required header name, value, body); a missing header or path answers 404. */
  private final Map<String, String[]> routes = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile long delayMillis;

  private URI start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    try {
      if (delayMillis > 0) {
        Thread.sleep(delayMillis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String key = ex.getRequestMethod() + " " + ex.getRequestURI();
    String[] route = routes.get(key);
    int status = 404;
    byte[] body = new byte[0];
    if (route != null && (route[0] == null || route[1].equals(ex.getRequestHeaders().getFirst(route[0])))) {
      status = 200;
      body = route[2].getBytes(UTF_8);
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private InstanceMetadataClient client(URI base) {
    return new InstanceMetadataClient(base, sys, Duration.ofMillis(500), Duration.ofMillis(500));
  }

  private void vendor(String v) throws IOException {
    Path dmi = Files.createDirectories(sys.resolve("class/dmi/id"));
    Files.writeString(dmi.resolve("sys_vendor"), v + "\n");
  }

  @Test
  void shouldReadAwsPlacementWithAnImdsV2Token() throws Exception {
    URI base = start();
    vendor("Amazon EC2");
    routes.put("PUT /latest/api/token", new String[] {"X-aws-ec2-metadata-token-ttl-seconds", "300", "tok-1"});
    routes.put("GET /latest/dynamic/instance-identity/document", new String[] {"X-aws-ec2-metadata-token", "tok-1",
        "{\"accountId\":\"123456789012\",\"architecture\":\"x86_64\",\"availabilityZone\":\"eu-west-1a\","
            + "\"instanceId\":\"i-0a1b2c3d4e5f60718\",\"instanceType\":\"m6i.2xlarge\",\"region\":\"eu-west-1\"}"});
    routes.put("GET /latest/meta-data/instance-life-cycle", new String[] {"X-aws-ec2-metadata-token", "tok-1", "spot"});

    assertThat(client(base).fetch()).hasValue(CloudMetadata.newBuilder()
        .setProvider(CloudProvider.AWS).setAccountId("123456789012").setRegion("eu-west-1")
        .setAvailabilityZone("eu-west-1a").setInstanceType("m6i.2xlarge").setInstanceId("i-0a1b2c3d4e5f60718")
        .setLifecycle(CloudLifecycle.SPOT).build());
  }

  @Test
  void shouldFallBackToImdsV1WhenNoTokenIsIssued() throws Exception {
    URI base = start();
    routes.put("GET /latest/dynamic/instance-identity/document", new String[] {null, null,
        "{\"availabilityZone\":\"us-east-1b\",\"instanceId\":\"i-1\",\"instanceType\":\"t3.micro\","
            + "\"region\":\"us-east-1\"}"});
    routes.put("GET /latest/meta-data/instance-life-cycle", new String[] {null, null, "on-demand"});

    CloudMetadata m = client(base).fetch().orElseThrow();
    assertThat(m.getProvider()).isEqualTo(CloudProvider.AWS);
    assertThat(m.getAvailabilityZone()).isEqualTo("us-east-1b");
    assertThat(m.getAccountId()).isNull();
    assertThat(m.getLifecycle()).isEqualTo(CloudLifecycle.ON_DEMAND);
  }

  @Test
  void shouldReadGcpPlacementFromTheRecursiveInstanceDocument() throws Exception {
    URI base = start();
    routes.put("GET /computeMetadata/v1/instance/?recursive=true", new String[] {"Metadata-Flavor", "Google",
        "{\"id\":4520031799277581759,\"machineType\":\"projects/123456/machineTypes/e2-standard-4\","
            + "\"zone\":\"projects/123456/zones/europe-west4-b\","
            + "\"scheduling\":{\"automaticRestart\":\"FALSE\",\"preemptible\":\"TRUE\",\"provisioningModel\":\"SPOT\"}}"});
    routes.put("GET /computeMetadata/v1/project/project-id", new String[] {"Metadata-Flavor", "Google", "shop-prod"});

    assertThat(client(base).fetch()).hasValue(CloudMetadata.newBuilder()
        .setProvider(CloudProvider.GCP).setAccountId("shop-prod").setRegion("europe-west4")
        .setAvailabilityZone("europe-west4-b").setInstanceType("e2-standard-4").setInstanceId("4520031799277581759")
        .setLifecycle(CloudLifecycle.SPOT).build());
  }

  @Test
  void shouldReadAzurePlacementAndQualifyItsZoneWithTheRegion() throws Exception {
    URI base = start();
    vendor("Microsoft Corporation");
    routes.put("GET /metadata/instance?api-version=2021-02-01", new String[] {"Metadata", "true",
        "{\"compute\":{\"location\":\"westeurope\",\"zone\":\"2\",\"vmSize\":\"Standard_D4s_v5\","
            + "\"vmId\":\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\",\"subscriptionId\":\"8d10da13-8125-4ba9-a717-bf7490507b3d\","
            + "\"priority\":\"Regular\"},\"network\":{}}"});

    assertThat(client(base).fetch()).hasValue(CloudMetadata.newBuilder()
        .setProvider(CloudProvider.AZURE).setAccountId("8d10da13-8125-4ba9-a717-bf7490507b3d")
        .setRegion("westeurope").setAvailabilityZone("westeurope-2").setInstanceType("Standard_D4s_v5")
        .setInstanceId("02aab8a4-74ef-476e-8182-f6d2ba4166a6").setLifecycle(CloudLifecycle.ON_DEMAND).build());
    assertThat(requests.get()).as("asked Azure first, as DMI says").isEqualTo(1);
  }

  @Test
  void shouldFindNothingWhereNoProviderAnswers() throws Exception {
    URI base = start();
    assertThat(client(base).fetch()).isEmpty();
    // a GCP look-alike without the header check is not GCP
    routes.put("GET /computeMetadata/v1/instance/?recursive=true", new String[] {"Metadata-Flavor", "Amazon", "{}"});
    assertThat(client(base).fetch()).isEmpty();
  }

  @Test
  void shouldGiveUpQuicklyOnARefusedOrSilentService() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    long start = System.nanoTime();
    assertThat(client(URI.create("http://127.0.0.1:" + closed)).fetch()).isEmpty();

    URI base = start();
    delayMillis = 2_000;
    assertThat(client(base).fetch()).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
  }

  @Test
  void shouldServeTheCachedPlacementAndRetryUntilOneIsFound() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CloudMetadata m = CloudMetadata.newBuilder().setProvider(CloudProvider.HETZNER)
        .setLifecycle(CloudLifecycle.UNKNOWN).build();
    try (CachedCloudMetadata cache = CachedCloudMetadata.start(
        () -> calls.incrementAndGet() < 3 ? Optional.empty() : Optional.of(m),
        Duration.ofHours(1), Duration.ofMillis(20))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (cache.current() == null && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(cache.current()).isEqualTo(m);
      assertThat(calls.get()).isEqualTo(3);
    }
  }
}
