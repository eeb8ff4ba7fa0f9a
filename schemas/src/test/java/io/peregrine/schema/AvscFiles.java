package io.peregrine.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParser;

/**
 * Loads the {@code .avsc} files the schema tests check: the current ones from
 * {@code src/main/avro} and the released baselines from the {@code compat/<version>/} folders of
 * the test classpath.
 */
final class AvscFiles {

  /** Overrides where the current schemas are read from (default: {@code src/main/avro}, relative
   * to the module directory, which is the working directory of surefire). */
  static final String SOURCE_DIR_PROPERTY = "peregrine.avsc.dir";

  /** Test-classpath folder holding one sub-folder of baselines per released version. */
  static final String COMPAT_RESOURCE = "compat";

  /** What one file defines. */
  record FileDefinition(Path file, List<String> definedNames) {}

  private AvscFiles() {}

  static Path sourceDir() {
    Path dir = Path.of(System.getProperty(SOURCE_DIR_PROPERTY, "src/main/avro"));
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("no schema directory at " + dir.toAbsolutePath()
          + "; run from the schemas module or set -D" + SOURCE_DIR_PROPERTY);
    }
    return dir;
  }

  static List<Path> avscFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".avsc")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /**
   * Parses every file of a folder with one parser, as the avro-maven-plugin does, so that files
   * may reference types defined in other files; returns every named type by full name.
   */
  static Map<String, Schema> parseDir(Path dir) {
    SchemaParser parser = new SchemaParser();
    for (Path file : avscFiles(dir)) {
      parse(parser, file);
    }
    Map<String, Schema> byName = new LinkedHashMap<>();
    parser.getParsedNamedSchemas().stream()
        .sorted(Comparator.comparing(Schema::getFullName))
        .forEach(s -> byName.put(s.getFullName(), s));
    return byName;
  }

  /**
   * The named types each file of a folder defines (not merely references), in file-name order.
   * Read from the JSON itself: Avro's parse results resolve references eagerly and so cannot
   * describe one file on its own.
   */
  static List<FileDefinition> definitionsByFile(Path dir) {
    ObjectMapper json = new ObjectMapper();
    List<FileDefinition> definitions = new ArrayList<>();
    for (Path file : avscFiles(dir)) {
      List<String> names = new ArrayList<>();
      try {
        collectDefinitions(json.readTree(file.toFile()), null, names);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
      definitions.add(new FileDefinition(file, names));
    }
    return definitions;
  }

  private static void collectDefinitions(JsonNode node, String namespace, List<String> into) {
    if (node.isArray()) {
      node.forEach(n -> collectDefinitions(n, namespace, into));
      return;
    }
    if (!node.isObject()) {
      return;
    }
    String ns = namespace;
    String type = node.path("type").asText("");
    if (Set.of("record", "error", "enum", "fixed").contains(type) && node.has("name")) {
      String name = node.get("name").asText();
      ns = node.has("namespace") ? node.get("namespace").asText() : namespace;
      if (name.contains(".")) {
        into.add(name);
        ns = name.substring(0, name.lastIndexOf('.'));
      } else {
        into.add(ns == null || ns.isEmpty() ? name : ns + "." + name);
      }
    }
    for (JsonNode child : node) {
      collectDefinitions(child, ns, into);
    }
  }

  private static SchemaParser.ParseResult parse(SchemaParser parser, Path file) {
    try {
      return parser.parse(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * Records that no other schema of the set refers to: the values of topics. Shared types
   * (AppId, LatencySketch, enums, ...) are checked through the records that contain them.
   */
  static Set<String> topLevelRecords(Map<String, Schema> schemas) {
    Set<String> referenced = new HashSet<>();
    for (Schema schema : schemas.values()) {
      if (schema.getType() == Schema.Type.RECORD) {
        for (Schema.Field field : schema.getFields()) {
          collectNamed(field.schema(), referenced);
        }
      }
    }
    Set<String> topLevel = new TreeSet<>();
    schemas.forEach((name, schema) -> {
      if (schema.getType() == Schema.Type.RECORD && !referenced.contains(name)) {
        topLevel.add(name);
      }
    });
    return topLevel;
  }

  private static void collectNamed(Schema schema, Set<String> into) {
    switch (schema.getType()) {
      case RECORD -> {
        if (into.add(schema.getFullName())) {
          schema.getFields().forEach(f -> collectNamed(f.schema(), into));
        }
      }
      case ENUM, FIXED -> into.add(schema.getFullName());
      case ARRAY -> collectNamed(schema.getElementType(), into);
      case MAP -> collectNamed(schema.getValueType(), into);
      case UNION -> schema.getTypes().forEach(t -> collectNamed(t, into));
      default -> { }
    }
  }

  /** The baseline folders, oldest first (ordered as versions, so 0.10.0 comes after 0.9.0). */
  static List<Path> baselineDirs() {
    URL url = AvscFiles.class.getClassLoader().getResource(COMPAT_RESOURCE);
    if (url == null) {
      throw new IllegalStateException("no '" + COMPAT_RESOURCE + "' folder on the test classpath");
    }
    Path compat;
    try {
      compat = Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("unexpected resource URL " + url, e);
    }
    try (Stream<Path> dirs = Files.list(compat)) {
      return dirs.filter(Files::isDirectory).sorted(AvscFiles::compareVersions).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + compat, e);
    }
  }

  static int compareVersions(Path a, Path b) {
    int[] va = version(a);
    int[] vb = version(b);
    for (int i = 0; i < Math.max(va.length, vb.length); i++) {
      int x = i < va.length ? va[i] : 0;
      int y = i < vb.length ? vb[i] : 0;
      if (x != y) {
        return Integer.compare(x, y);
      }
    }
    return 0;
  }

  private static int[] version(Path dir) {
    String name = dir.getFileName().toString();
    if (!name.matches("\\d+(\\.\\d+)*")) {
      throw new IllegalStateException("baseline folder " + dir
          + " is not named after a release version (digits and dots, e.g. 0.1.0)");
    }
    String[] parts = name.split("\\.");
    int[] numbers = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      numbers[i] = Integer.parseInt(parts[i]);
    }
    return numbers;
  }
}
