package io.peregrine.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/** Access to the fixture trees under src/test/resources/fixtures (see each folder's README). */
public final class Fixtures {

  private Fixtures() {
  }

  /** The directory of a fixture folder, e.g. {@code host-debian12-vm}. */
  public static Path root(String folder) {
    URL url = Fixtures.class.getClassLoader().getResource("fixtures/" + folder);
    if (url == null) {
      throw new IllegalArgumentException("no fixture folder " + folder);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The bytes of a fixture file, e.g. {@code host-debian12-vm/proc/stat}. */
  public static byte[] bytes(String path) {
    int slash = path.indexOf('/');
    try {
      return Files.readAllBytes(root(path.substring(0, slash)).resolve(path.substring(slash + 1)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] text(String s) {
    return s.getBytes(UTF_8);
  }

  /** The first {@code n} bytes: a read cut short. */
  public static byte[] cut(byte[] content, int n) {
    return Arrays.copyOf(content, n);
  }

  /** The content cut in the middle of the line holding {@code marker}, after its first bytes. */
  public static byte[] cutInside(byte[] content, String marker) {
    int at = new String(content, UTF_8).indexOf(marker);
    if (at < 0) {
      throw new IllegalArgumentException("marker not found: " + marker);
    }
    return cut(content, at + marker.length());
  }

  /** The (source, cause) pairs reported, as {@code "source CAUSE"} strings. */
  public static Set<String> reported(ProblemCounters problems) {
    Set<String> keys = new TreeSet<>();
    problems.snapshot().keySet().forEach(k -> keys.add(k.toString()));
    return keys;
  }

  /** {@code "source CAUSE"} strings, to compare with {@link #reported}. */
  public static Set<String> problems(String source, Cause... causes) {
    Set<String> keys = new TreeSet<>();
    for (Cause c : causes) {
      keys.add(source + " " + c);
    }
    return keys;
  }
}
