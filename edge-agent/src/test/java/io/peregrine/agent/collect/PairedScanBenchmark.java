package io.peregrine.agent.collect;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@link ScanBenchmark}'s scan, by two builds of the agent at once: each build is loaded in its
 * own class loader with its own collectors, and they scan the same host alternately, scan for scan
 * (the order swapped every iteration), so both see the same tree states under the same load of a
 * shared machine. The figure to quote is the median of the per-pair ratios; medians of each build
 * alone are given for scale.
 *
 * <p>The host is the generated tree of {@code ScanBenchmark} (1,000 processes, 10,000 sockets,
 * 2% churn between scans), or this machine with {@code /} as the tree argument. Each build is a
 * directory holding {@code classes/} and {@code test-classes/} (copied from
 * {@code edge-agent/target} after {@code mvn test-compile} at each commit); the dependencies come
 * from the class path:
 * <pre>
 * mvn -q -o -pl edge-agent dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp edge-agent/target/test-classes:$(cat /tmp/cp.txt) io.peregrine.agent.collect.PairedScanBenchmark \
 *     /tmp/build-before /tmp/build-after /tmp/paired-tree 100 30
 * </pre>
 * Arguments: base build, new build, tree directory (or {@code /}), iterations, warm-up scans, and
 * {@code compare} to check instead that both builds emit the same records (their text, the agent
 * run id aside) scan for scan; nothing is measured then, as the text costs more than the scan.
 */
public final class PairedScanBenchmark {

  private static final long INTERVAL_MS = 5_000;
  private static final double CHURN = 0.02;

  private PairedScanBenchmark() {
  }

  /** Loads the agent's own classes from one build, child-first; everything else from the parent. */
  private static final class BuildLoader extends URLClassLoader {

    BuildLoader(Path build, ClassLoader parent) throws Exception {
      super(new URL[] {build.resolve("classes").toUri().toURL(), build.resolve("test-classes").toUri().toURL()},
          parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.startsWith("io.peregrine.agent.")) {
        return super.loadClass(name, resolve);
      }
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null) {
          c = findClass(name);
        }
        if (resolve) {
          resolveClass(c);
        }
        return c;
      }
    }
  }

  /** One build's collectors over the host, driven through reflection. */
  private static final class Variant {
    final String name;
    final ClassLoader loader;
    final Map<String, Long> byCollector = new LinkedHashMap<>();
    List<?> collectors;
    Object emitter;
    Method collect;
    Method collectorName;
    boolean measure;
    List<String> emitted;

    Variant(String name, Path build) throws Exception {
      this.name = name;
      this.loader = new BuildLoader(build, PairedScanBenchmark.class.getClassLoader());
    }

    void build(Path tree, boolean live) throws Exception {
      Class<?> configClass = loader.loadClass("io.peregrine.agent.AgentConfig");
      Map<String, Object> m = new HashMap<>();
      m.put("proc.root", live ? "/proc" : tree.resolve("proc").toString());
      m.put("sys.root", live ? "/sys" : tree.resolve("sys").toString());
      m.put("host.root", tree.toString());
      m.put("interval.ms", Long.toString(INTERVAL_MS));
      Object config = configClass.getConstructor(Map.class).newInstance(m);
      Class<?> registryClass = loader.loadClass("io.peregrine.schema.registry.SchemaRegistryClient");
      Object registry = registryClass.getMethod("create", Map.class)
          .invoke(null, Map.of("schema.registry.url", "http://127.0.0.1:1"));
      Class<?> serdeClass = loader.loadClass("io.peregrine.schema.serde.SerdeConfig");
      Object serde = serdeClass.getMethod("from", Map.class).invoke(null, Map.of());
      Class<?> topicsClass = loader.loadClass("io.peregrine.schema.topic.Topics");
      Object topics = topicsClass.getMethod("create", registryClass, serdeClass).invoke(null, registry, serde);
      Class<?> metricsClass = loader.loadClass("io.peregrine.agent.metrics.AgentMetrics");
      Class<?> contextClass = loader.loadClass("io.peregrine.agent.AgentContext");
      Object context = contextClass.getConstructor(configClass, topicsClass, metricsClass, String.class)
          .newInstance(config, topics, metricsClass.getConstructor().newInstance(), "bench");
      Class<?> metadataClass = loader.loadClass("io.peregrine.agent.cgroup.ContainerMetadata");
      Class<?> cloudClass = loader.loadClass("io.peregrine.agent.collect.CloudMetadataSource");
      Object built = loader.loadClass("io.peregrine.agent.collect.HostCollectors")
          .getMethod("build", contextClass, metadataClass, cloudClass)
          .invoke(null, context, metadataClass.getField("NONE").get(null), cloudClass.getField("NONE").get(null));
      collectors = (List<?>) built.getClass().getMethod("collectors").invoke(built);
      Class<?> emitterClass = loader.loadClass("io.peregrine.agent.Emitter");
      emitter = Proxy.newProxyInstance(loader, new Class<?>[] {emitterClass}, (p, method, args) -> {
        if (emitted != null && method.getName().equals("emit")) {
          emitted.add(args[1] + " " + args[2]);
        }
        return null;
      });
      Class<?> collectorClass = loader.loadClass("io.peregrine.agent.Collector");
      collect = collectorClass.getMethod("collect", long.class, emitterClass);
      collectorName = collectorClass.getMethod("name");
    }

    long once(ThreadMXBean mx, long now) throws Exception {
      long start = mx.getCurrentThreadCpuTime();
      long last = start;
      for (Object c : collectors) {
        collect.invoke(c, now, emitter);
        long t = mx.getCurrentThreadCpuTime();
        if (measure) {
          byCollector.merge((String) collectorName.invoke(c), t - last, Long::sum);
        }
        last = t;
      }
      return last - start;
    }
  }

  /** Scans with both builds, checking that they emit the same records. */
  private static void compare(Variant base, Variant next, Object host, Method churn, boolean live, int iterations,
      long now) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long records = 0;
    for (int i = 0; i < iterations; i++) {
      if (!live) {
        churn.invoke(host, CHURN);
      }
      now += INTERVAL_MS;
      base.emitted = new java.util.ArrayList<>();
      next.emitted = new java.util.ArrayList<>();
      base.once(mx, now);
      next.once(mx, now);
      List<String> a = withoutRunIds(base.emitted);
      List<String> b = withoutRunIds(next.emitted);
      if (!a.equals(b)) {
        for (int j = 0; j < Math.min(a.size(), b.size()); j++) {
          if (!a.get(j).equals(b.get(j))) {
            System.out.printf(Locale.ROOT, "DIFFERENT output at scan %d, record %d of %d/%d:%n base %s%n new  %s%n",
                i, j, a.size(), b.size(), a.get(j), b.get(j));
            System.exit(1);
          }
        }
        System.out.printf(Locale.ROOT, "DIFFERENT output at scan %d: %d records against %d%n", i, a.size(), b.size());
        System.exit(1);
      }
      records += a.size();
    }
    System.out.printf(Locale.ROOT, "identical output: %d records over %d scans%n", records, iterations);
  }

  /** The records' text without the agent run id, which differs between the two builds' contexts. */
  private static List<String> withoutRunIds(List<String> records) {
    return records.stream()
        .map(r -> r.replaceAll("\"agent_run_id\": \"[^\"]*\"", "\"agent_run_id\": \"-\""))
        .toList();
  }

  public static void main(String[] args) throws Exception {
    Variant base = new Variant("base", Path.of(args[0]));
    Variant next = new Variant("new", Path.of(args[1]));
    Path tree = Path.of(args[2]);
    int iterations = Integer.parseInt(args[3]);
    int warmup = Integer.parseInt(args[4]);
    boolean live = tree.toString().equals("/");
    boolean compare = args.length > 5 && args[5].equals("compare");

    Class<?> hostClass = next.loader.loadClass("io.peregrine.agent.collect.ScanBenchmark$GeneratedHost");
    Method churn = hostClass.getDeclaredMethod("churn", double.class);
    churn.setAccessible(true);
    Object host = null;
    if (!live) {
      Constructor<?> c = hostClass.getDeclaredConstructor(Path.class, int.class, int.class, Random.class);
      c.setAccessible(true);
      host = c.newInstance(tree, 1000, 10000, new Random(42));
    }
    base.build(tree, live);
    next.build(tree, live);

    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long now = 0;
    base.once(mx, now);
    next.once(mx, now);
    for (int i = 0; i < warmup; i++) {
      if (!live) {
        churn.invoke(host, CHURN);
      }
      now += INTERVAL_MS;
      base.once(mx, now);
      next.once(mx, now);
    }
    if (compare) {
      compare(base, next, host, churn, live, iterations, now);
      return;
    }
    base.measure = true;
    next.measure = true;
    long[] b = new long[iterations];
    long[] n = new long[iterations];
    double[] ratio = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      if (!live) {
        churn.invoke(host, CHURN);
      }
      now += INTERVAL_MS;
      if (i % 2 == 0) {
        b[i] = base.once(mx, now);
        n[i] = next.once(mx, now);
      } else {
        n[i] = next.once(mx, now);
        b[i] = base.once(mx, now);
      }
      ratio[i] = n[i] / (double) b[i];
    }
    Arrays.sort(b);
    Arrays.sort(n);
    Arrays.sort(ratio);
    for (Variant v : List.of(base, next)) {
      StringBuilder sb = new StringBuilder(v.name + " mean ms by collector:");
      v.byCollector.forEach((k, x) -> sb.append(String.format(Locale.ROOT, " %s %.2f", k, x / 1e6 / iterations)));
      System.out.println(sb);
    }
    System.out.printf(Locale.ROOT, "paired over %d scans of %s: base median %.2f ms (p95 %.2f), new median %.2f ms"
            + " (p95 %.2f); per-pair ratio new/base median %.3f (p10 %.3f, p90 %.3f)%n",
        iterations, live ? "this machine" : "the same generated tree states", b[iterations / 2] / 1e6,
        b[(int) (iterations * .95)] / 1e6, n[iterations / 2] / 1e6, n[(int) (iterations * .95)] / 1e6,
        ratio[iterations / 2], ratio[iterations / 10], ratio[iterations * 9 / 10]);
  }
}
