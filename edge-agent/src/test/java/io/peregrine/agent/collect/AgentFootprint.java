package io.peregrine.agent.collect;

import io.peregrine.agent.Agent;
import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.Collectors;
import io.peregrine.kafka.ChildJvm;
import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * The agent's own footprint on this machine at its default interval (5 s), idle host traffic:
 * CPU (% of one core, user + system of its JVM and the eBPF loader, from /proc ticks) and RSS
 * (VmRSS, and the peak VmHWM) of an agent in a JVM of its own with the flags
 * {@code peregrine up} gives it (see cli's {@code AgentProcess.JVM_OPTIONS}), publishing to an
 * embedded broker and registry. The eBPF modes given are run in turn, {@code --rounds} times each,
 * alternating (so both see the same drift of a shared machine); each run warms up, then measures.
 *
 * <pre>
 * mvn -B -q -o -pl edge-agent -Pbench test-compile exec:exec -Dbench.main=io.peregrine.agent.collect.AgentFootprint \
 *     [-Dbench.args="--modes off,on --rounds 2 --warmup 60 --measure 120"]
 * </pre>
 * {@code --jvm-options} replaces the flags of {@code up} (space-separated), to try others.
 */
public final class AgentFootprint {

  /** As cli's AgentProcess.JVM_OPTIONS (edge-agent does not depend on cli). */
  static final String UP_JVM_OPTIONS = "-Xms16m -Xmx96m -XX:+UseSerialGC -XX:MaxMetaspaceSize=96m"
      + " -XX:ReservedCodeCacheSize=32m -XX:TrimNativeHeapInterval=5000 -Xss512k -XX:+ExitOnOutOfMemoryError";
  private static final long TICKS_PER_SECOND = 100;

  private AgentFootprint() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>(Map.of("--modes", "off,on", "--rounds", "1", "--warmup", "60",
        "--measure", "120", "--jvm-options", UP_JVM_OPTIONS));
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    String[] modes = opts.get("--modes").split(",");
    int rounds = Integer.parseInt(opts.get("--rounds"));
    int warmup = Integer.parseInt(opts.get("--warmup"));
    int measure = Integer.parseInt(opts.get("--measure"));
    List<String> jvm = List.of(opts.get("--jvm-options").trim().split("\\s+"));

    Path dir = Files.createTempDirectory("peregrine-agent-footprint-");
    System.out.printf(Locale.ROOT, "conditions: %d CPUs, kernel %s, JVM options %s%n",
        Runtime.getRuntime().availableProcessors(),
        Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim(), String.join(" ", jvm));
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).logFile(dir.resolve("kafka.log"))
        .port(freePort()).controllerPort(freePort()).start();
        SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
            .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build())) {
      String registryUrl = "http://127.0.0.1:" + registry.port();
      Topics topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registryUrl)),
          SerdeConfig.from(Map.of()), 1);
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        TopicAdmin.ensure(admin, topics.all(), (short) 1);
      }
      for (int round = 0; round < rounds; round++) {
        for (String mode : modes) {
          measure(dir.resolve("agent-" + mode + "-" + round), kafka.bootstrapServers(), registryUrl, mode, jvm,
              warmup, measure);
        }
      }
    }
  }

  private static void measure(Path home, String bootstrap, String registryUrl, String mode, List<String> jvm,
      int warmup, int measure) throws Exception {
    Files.createDirectories(home);
    List<String> command = new ArrayList<>(jvm);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
        bootstrap, registryUrl, home.toString(), Integer.toString(freePort()), mode));
    Process p = new ProcessBuilder(ChildJvm.command(command)).redirectErrorStream(true)
        .redirectOutput(home.resolve("agent.log").toFile()).start();
    try {
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
      if (!p.isAlive()) {
        throw new IOException("the agent exited; see " + home.resolve("agent.log"));
      }
      String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
      long ticks = cpuTicks(p.toHandle());
      long jvmTicks = ticksOf(p.pid());
      long start = System.nanoTime();
      long maxRss = 0;
      for (int s = 0; s < measure; s++) {
        Thread.sleep(1_000);
        maxRss = Math.max(maxRss, rssKb(p.toHandle(), "VmRSS:"));
      }
      double wall = (System.nanoTime() - start) / 1e9;
      double cpu = 100.0 * (cpuTicks(p.toHandle()) - ticks) / TICKS_PER_SECOND / wall;
      double jvmCpu = 100.0 * (ticksOf(p.pid()) - jvmTicks) / TICKS_PER_SECOND / wall;
      long rss = rssKb(p.toHandle(), "VmRSS:");
      long hwm = rssKb(p.toHandle(), "VmHWM:");
      boolean sensor = !p.toHandle().descendants().toList().isEmpty();
      System.out.printf(Locale.ROOT, "ebpf %s (sensor %s): CPU %.2f%% of a core (its JVM %.2f%%) over %.0f s after %d s;"
              + " RSS %.1f MB now, %.1f MB max sampled, peak (VmHWM) %.1f MB; load average %s -> %s%n",
          mode, sensor ? "running" : "not running", cpu, jvmCpu, wall, warmup, rss / 1024.0, maxRss / 1024.0, hwm / 1024.0,
          loadBefore, Files.readString(Path.of("/proc/loadavg")).trim());
    } finally {
      p.getOutputStream().close();  // it flushes and exits
      if (!p.waitFor(40, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  /** utime + stime of a process and its descendants (the eBPF loader). */
  private static long cpuTicks(ProcessHandle root) throws IOException {
    long ticks = 0;
    for (ProcessHandle h : withDescendants(root)) {
      ticks += ticksOf(h.pid());
    }
    return ticks;
  }

  private static long ticksOf(long pid) throws IOException {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);  // utime, stime (fields 14, 15)
    } catch (NoSuchFileException e) {
      return 0;  // gone meanwhile
    }
  }

  /** The sum of a /proc/&lt;pid&gt;/status kB field over a process and its descendants. */
  private static long rssKb(ProcessHandle root, String field) throws IOException {
    long kb = 0;
    for (ProcessHandle h : withDescendants(root)) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(h.pid()), "status"))) {
          if (line.startsWith(field)) {
            kb += Long.parseLong(line.substring(field.length()).replace("kB", "").trim());
          }
        }
      } catch (NoSuchFileException e) {
        // gone meanwhile
      }
    }
    return kb;
  }

  private static List<ProcessHandle> withDescendants(ProcessHandle root) {
    List<ProcessHandle> all = new ArrayList<>(List.of(root));
    all.addAll(root.descendants().toList());
    return all;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The agent child's entry point: bootstrap, registry URL, home, metrics port, eBPF mode. */
  public static final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
      AgentConfig config = new AgentConfig(Map.of(
          AgentConfig.BOOTSTRAP_SERVERS, args[0],
          AgentConfig.SCHEMA_REGISTRY_URL, args[1],
          AgentConfig.METRICS_PORT, args[3],
          AgentConfig.NODE_NAME, "agent-footprint",
          AgentConfig.EBPF_MODE, args[4]));
      Agent agent = Agent.start(config, Path.of(args[2]), Collectors::forHost);
      Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "agent-stop"));
      ChildJvm.exitWhenStdinCloses();
      Thread.currentThread().join();
    }
  }
}
