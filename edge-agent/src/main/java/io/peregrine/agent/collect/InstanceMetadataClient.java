package io.peregrine.agent.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.schema.CloudLifecycle;
import io.peregrine.schema.CloudMetadata;
import io.peregrine.schema.CloudProvider;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Asks the cloud provider's instance metadata service where this node runs, with short timeouts
 * and no proxy. Providers, as they document their services (all at {@code 169.254.169.254}):
 * <ul>
 *   <li>AWS (IMDSv2, falling back to v1): {@code PUT /latest/api/token}, then
 *       {@code /latest/dynamic/instance-identity/document} (JSON: accountId, region,
 *       availabilityZone, instanceType, instanceId) and {@code /latest/meta-data/instance-life-cycle}
 *       ({@code spot} or {@code on-demand});
 *   <li>GCP: {@code /computeMetadata/v1/instance/?recursive=true} with {@code Metadata-Flavor:
 *       Google} (JSON: id, zone and machineType as resource paths, scheduling.preemptible and
 *       provisioningModel), and {@code /computeMetadata/v1/project/project-id};
 *   <li>Azure: {@code /metadata/instance?api-version=2021-02-01} with {@code Metadata: true}
 *       (JSON compute: location, zone, vmSize, vmId, subscriptionId, priority).
 * </ul>
 * The DMI vendor ({@code <sys-root>/class/dmi/id/sys_vendor}) says which to ask first; on an
 * unknown vendor each is tried. Blocking: call it from a background thread
 * ({@link CachedCloudMetadata}).
 */
public final class InstanceMetadataClient {

  /** The link-local address every supported provider serves its metadata on. */
  public static final URI DEFAULT_BASE = URI.create("http://169.254.169.254");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final Path sysRoot;
  private final Duration requestTimeout;
  private final HttpClient http;

  /**
   * @param base scheme, host and port of the metadata service (tests use a loopback server)
   * @param sysRoot where the host's sysfs is mounted, for the DMI vendor
   */
  public InstanceMetadataClient(URI base, Path sysRoot, Duration connectTimeout, Duration requestTimeout) {
    this.base = base;
    this.sysRoot = sysRoot;
    this.requestTimeout = requestTimeout;
    this.http = HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .proxy(HttpClient.Builder.NO_PROXY)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** The placement, from the first provider that answers; empty off the cloud. */
  public Optional<CloudMetadata> fetch() throws InterruptedException {
    for (CloudProvider p : order(vendorHint())) {
      Optional<CloudMetadata> m = switch (p) {
        case AWS -> aws();
        case GCP -> gcp();
        case AZURE -> azure();
        default -> Optional.empty();
      };
      if (m.isPresent()) {
        return m;
      }
    }
    return Optional.empty();
  }

  /** The provider the DMI vendor names, or UNKNOWN. */
  CloudProvider vendorHint() {
    try {
      String vendor = Files.readString(sysRoot.resolve("class/dmi/id/sys_vendor"), StandardCharsets.UTF_8)
          .trim().toLowerCase(Locale.ROOT);
      if (vendor.contains("amazon")) {
        return CloudProvider.AWS;
      }
      if (vendor.contains("google")) {
        return CloudProvider.GCP;
      }
      if (vendor.contains("microsoft")) {
        return CloudProvider.AZURE;
      }
    } catch (IOException e) {
      // Containers and some VMs have no DMI: ask every provider.
    }
    return CloudProvider.UNKNOWN;
  }

  private static List<CloudProvider> order(CloudProvider hint) {
    List<CloudProvider> order = new ArrayList<>(List.of(CloudProvider.AWS, CloudProvider.GCP, CloudProvider.AZURE));
    if (hint != CloudProvider.UNKNOWN) {
      order.remove(hint);
      order.add(0, hint);
    }
    return order;
  }

  // -------------------------------------------------------------------------------------- AWS

  Optional<CloudMetadata> aws() throws InterruptedException {
    String token = send(HttpRequest.newBuilder(base.resolve("/latest/api/token"))
        .PUT(HttpRequest.BodyPublishers.noBody())
        .header("X-aws-ec2-metadata-token-ttl-seconds", "300"));
    String document = send(aws("/latest/dynamic/instance-identity/document", token));
    JsonNode doc = json(document);
    if (doc == null || !doc.hasNonNull("instanceId")) {
      return Optional.empty();
    }
    String lifecycle = send(aws("/latest/meta-data/instance-life-cycle", token));
    CloudLifecycle lc = lifecycle == null ? CloudLifecycle.UNKNOWN
        : lifecycle.trim().equalsIgnoreCase("spot") ? CloudLifecycle.SPOT
        : lifecycle.trim().equalsIgnoreCase("on-demand") ? CloudLifecycle.ON_DEMAND
        : CloudLifecycle.UNKNOWN;
    return Optional.of(CloudMetadata.newBuilder()
        .setProvider(CloudProvider.AWS)
        .setAccountId(text(doc, "accountId"))
        .setRegion(text(doc, "region"))
        .setAvailabilityZone(text(doc, "availabilityZone"))
        .setInstanceType(text(doc, "instanceType"))
        .setInstanceId(text(doc, "instanceId"))
        .setLifecycle(lc)
        .build());
  }

  private HttpRequest.Builder aws(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).GET();
    if (token != null) {
      b.header("X-aws-ec2-metadata-token", token.trim());
    }
    return b;
  }

  // -------------------------------------------------------------------------------------- GCP

  Optional<CloudMetadata> gcp() throws InterruptedException {
    JsonNode inst = json(send(HttpRequest.newBuilder(base.resolve("/computeMetadata/v1/instance/?recursive=true"))
        .GET().header("Metadata-Flavor", "Google")));
    if (inst == null || !inst.hasNonNull("zone")) {
      return Optional.empty();
    }
    String zone = lastSegment(text(inst, "zone"));
    String region = zone != null && zone.lastIndexOf('-') > 0 ? zone.substring(0, zone.lastIndexOf('-')) : null;
    JsonNode scheduling = inst.path("scheduling");
    boolean spot = "SPOT".equalsIgnoreCase(scheduling.path("provisioningModel").asText(""))
        || "TRUE".equalsIgnoreCase(scheduling.path("preemptible").asText(""));
    boolean known = scheduling.has("provisioningModel") || scheduling.has("preemptible");
    String project = send(HttpRequest.newBuilder(base.resolve("/computeMetadata/v1/project/project-id"))
        .GET().header("Metadata-Flavor", "Google"));
    return Optional.of(CloudMetadata.newBuilder()
        .setProvider(CloudProvider.GCP)
        .setAccountId(project == null || project.isBlank() ? null : project.trim())
        .setRegion(region)
        .setAvailabilityZone(zone)
        .setInstanceType(lastSegment(text(inst, "machineType")))
        .setInstanceId(text(inst, "id"))
        .setLifecycle(!known ? CloudLifecycle.UNKNOWN : spot ? CloudLifecycle.SPOT : CloudLifecycle.ON_DEMAND)
        .build());
  }

  // ------------------------------------------------------------------------------------ Azure

  Optional<CloudMetadata> azure() throws InterruptedException {
    JsonNode doc = json(send(HttpRequest.newBuilder(base.resolve("/metadata/instance?api-version=2021-02-01"))
        .GET().header("Metadata", "true")));
    JsonNode compute = doc == null ? null : doc.get("compute");
    if (compute == null || !compute.hasNonNull("vmId")) {
      return Optional.empty();
    }
    String location = text(compute, "location");
    String zone = text(compute, "zone");
    String priority = text(compute, "priority");
    return Optional.of(CloudMetadata.newBuilder()
        .setProvider(CloudProvider.AZURE)
        .setAccountId(text(compute, "subscriptionId"))
        .setRegion(location)
        // Azure numbers zones within a region ("1"): qualified, so that zones of two regions differ.
        .setAvailabilityZone(zone == null || location == null ? null : location + "-" + zone)
        .setInstanceType(text(compute, "vmSize"))
        .setInstanceId(text(compute, "vmId"))
        .setLifecycle(priority == null ? CloudLifecycle.UNKNOWN
            : priority.equalsIgnoreCase("Spot") || priority.equalsIgnoreCase("Low") ? CloudLifecycle.SPOT
            : CloudLifecycle.ON_DEMAND)
        .build());
  }

  // --------------------------------------------------------------------------------- plumbing

  /** The body of a 200 answer, else null (refused, timed out, not found, not this provider). */
  private String send(HttpRequest.Builder request) throws InterruptedException {
    try {
      HttpResponse<String> r = http.send(request.timeout(requestTimeout).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  private static JsonNode json(String body) {
    if (body == null) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(body);
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    String s = v.asText();
    return s.isEmpty() ? null : s;
  }

  private static String lastSegment(String path) {
    if (path == null) {
      return null;
    }
    int slash = path.lastIndexOf('/');
    return slash >= 0 ? path.substring(slash + 1) : path;
  }
}
