package io.peregrine.agent.container;

import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Names of podman's containers from containers/storage's {@code containers.json}
 * ({@code <graphroot>/overlay-containers/containers.json}, graphroot {@code /var/lib/containers/storage}
 * for rootful podman): an array of {@code {"id", "names": [...], "image", "metadata"}}, where
 * {@code metadata} is a JSON object in a string that libpod fills with {@code name},
 * {@code image-name} and {@code image-id}. Podman's OCI bundles do not carry the name.
 */
public final class PodmanStorage {

  public static final String SOURCE = "containers/storage containers.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private PodmanStorage() {
  }

  /** Container id to what the file says of it; empty (reported) when the file is unusable. */
  public static Map<String, ContainerInfo> parse(byte[] buf, int length, ParseProblems problems) {
    Map<String, ContainerInfo> out = new HashMap<>();
    JsonNode root;
    try {
      root = length == 0 ? null : JSON.readTree(buf, 0, length);
    } catch (JsonEOFException e) {
      problems.report(SOURCE, Cause.TRUNCATED);
      return out;
    } catch (IOException e) {
      problems.report(SOURCE, Cause.MALFORMED_LINE);
      return out;
    }
    if (root == null || !root.isArray()) {
      problems.report(SOURCE, length == 0 ? Cause.EMPTY : Cause.MALFORMED_LINE);
      return out;
    }
    for (JsonNode c : root) {
      String id = RuntimeJson.text(c, "id");
      if (id == null) {
        problems.report(SOURCE, Cause.MISSING_FIELD);
        continue;
      }
      Map<String, String> metadata = RuntimeJson.embedded(RuntimeJson.text(c, "metadata"), SOURCE, problems);
      String name = RuntimeJson.nonEmpty(metadata, "name");
      JsonNode names = c.get("names");
      if (name == null && names != null && names.isArray() && names.size() > 0 && names.get(0).isTextual()
          && !names.get(0).asText().isEmpty()) {
        name = names.get(0).asText();
      }
      if (name != null) {
        out.put(id, new ContainerInfo(name, RuntimeJson.nonEmpty(metadata, "image-name")));
      }
    }
    return out;
  }
}
