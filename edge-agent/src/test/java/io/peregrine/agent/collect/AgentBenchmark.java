package io.peregrine.agent.collect;

import io.peregrine.agent.Agent;
import io.peregrine.agent.AgentConfig;
import io.peregrine.agent.Collectors;
import io.peregrine.kafka.ChildJvm;
import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.Side;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.SerdeConfig;
import io.peregrine.schema.topic.TopicAdmin;
import io.peregrine.schema.topic.Topics;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The agent with its eBPF sensor against real HTTP traffic: {@code wrk} (Debian) driving
 * {@code nginx} (nginx-light, a temporary configuration on free loopback ports, run as a child
 * process), the agent in a JVM of its own sized as {@code peregrine up} sizes it, publishing to an
 * embedded broker (its own process) and registry. Needs root, wrk and nginx. Prints:
 *
 * <ol>
 *   <li><b>cost</b> at a fixed rate (default 10,000 requests/s; wrk paced by a Lua
 *       {@code delay()}, with the connection count calibrated to the rate without the agent), run
 *       without the agent, with it, and without it again (so drift shows): wrk's achieved rate
 *       and p99 latency, nginx's CPU (master and worker, user + system, which includes the
 *       kernel programs' time in its system calls), and the agent's CPU (its JVM and its loader),
 *       after {@code --agent-warmup} seconds of the same traffic that are not measured (JIT
 *       compilation and the first scans are a cost of the agent's start);
 *   <li><b>completeness</b> at wrk's full speed for {@code --duration} seconds on another nginx
 *       port: the server-side L7 events that reached Kafka against the requests nginx counted
 *       (stub_status, on a third port) and wrk reported, the agent's ring-buffer drops, unpaired
 *       and untracked requests, and timeouts (not run with {@code --duration 0}).
 * </ol>
 *
 * <pre>
 * mvn -B -q -o -pl edge-agent -Pbench test-compile exec:exec -Dbench.main=io.peregrine.agent.collect.AgentBenchmark \
 *     [-Dbench.args="--duration 30 --cost-duration 20 --rate 10000 --agent-warmup 15"]
 * </pre>
 * {@code --agent-jvm-options} adds JVM options to the agent's (space-separated): a flight
 * recording, another JIT level, or agent settings as {@code -Dagent.<setting>=<value>} (e.g.
 * {@code -Dagent.producer.compression.type=lz4}). {@code --agent-chrt} gives every thread of the
 * agent and its loader a scheduling policy once started ({@code chrt -a <policy> -p 0}, e.g.
 * {@code -b} for SCHED_BATCH, {@code -i} for SCHED_IDLE). With the agent on, the CPU and wake-ups
 * (voluntary context switches) of each of its threads are printed too, and for every run the
 * broker's CPU (on this one machine the agent's records cost it CPU too). {@code --sched-ab <policies>}
 * (e.g. {@code -b,-i}) then runs the agent under SCHED_OTHER and under each policy in turn
 * ({@code --sched-ab-rounds}, {@code --sched-ab-seconds}) and compares the client's p99; the
 * policy {@code stop} stops the agent and its loader (SIGSTOP) with the kernel programs attached,
 * which leaves their cost alone.
 */
public final class AgentBenchmark {

  private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([0-9.]+)(\\w+)");
  private static final Pattern P99 = Pattern.compile("^\\s*99(?:\\.000)?%\\s+([0-9.]+)(\\w+)", Pattern.MULTILINE);
  private static final Pattern STUB_REQUESTS = Pattern.compile("\\n\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*\\n");
  private static final long TICKS_PER_SECOND = 100;
  /** The broker's process: on this one machine the agent's records cost it CPU too. */
  private static ProcessHandle broker;

  private AgentBenchmark() {
  }

  /** What one wrk run reported, with the CPU the watched processes spent meanwhile. */
  record Run(String name, long requests, double seconds, double p99Micros, double nginxCpuPercent,
      double agentCpuPercent, String output) {
    double rate() {
      return requests / seconds;
    }
  }

  /** The full-speed run, with the agent's metrics around it. */
  private record FullSpeed(Run full, long nginxServed, long start, Map<String, Long> before,
      Map<String, Long> after) {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>(Map.of("--duration", "30", "--cost-duration", "20", "--rate", "10000",
        "--max-connections", "64", "--threads", "2", "--agent-jvm-options", "", "--agent-warmup", "40",
        "--agent-chrt", ""));
    opts.putAll(Map.of("--sched-ab", "", "--sched-ab-rounds", "4", "--sched-ab-seconds", "10"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    int duration = Integer.parseInt(opts.get("--duration"));
    int costDuration = Integer.parseInt(opts.get("--cost-duration"));
    int rate = Integer.parseInt(opts.get("--rate"));
    int maxConnections = Integer.parseInt(opts.get("--max-connections"));
    int threads = Integer.parseInt(opts.get("--threads"));

    Path dir = Files.createTempDirectory("peregrine-agent-bench-");
    List<AutoCloseable> closeables = new ArrayList<>();
    try {
      System.out.printf(Locale.ROOT, "conditions: %d CPUs, load average %s, kernel %s%n",
          Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim(),
          Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
      int kafkaPort = freePort();
      EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).logFile(dir.resolve("kafka.log"))
          .port(kafkaPort).controllerPort(freePort()).start();
      closeables.add(kafka);
      broker = kafka.process();
      SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
          .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build());
      closeables.add(registry);
      String registryUrl = "http://127.0.0.1:" + registry.port();
      Topics topics = Topics.create(SchemaRegistryClient.create(Map.of("schema.registry.url", registryUrl)),
          SerdeConfig.from(Map.of()), 1);
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        TopicAdmin.ensure(admin, topics.all(), (short) 1);
      }

      int costPort = freePort();
      int fullPort = freePort();
      int statusPort = freePort();
      Process nginx = startNginx(dir.resolve("nginx"), costPort, fullPort, statusPort);
      closeables.add(() -> stop(nginx));
      Path delay = dir.resolve("delay.lua");
      // wrk waits delay() ms after each response before the connection's next request: each
      // connection then makes about 1000 / (1 + latency in ms) requests a second.
      Files.writeString(delay, "function delay()\n  return 1\nend\n");
      String costUrl = "http://127.0.0.1:" + costPort + "/";

      wrk(List.of("-t1", "-c4", "-d2s", costUrl));  // warms nginx up
      int connections = 10;
      Run calibration = wrkRun("calibration", List.of("-t" + threads, "-c" + connections, "-d5s", "--latency",
          "-s", delay.toString(), costUrl), nginx, null);
      connections = Math.max(1, Math.min(maxConnections,
          (int) Math.round(connections * rate / Math.max(1, calibration.rate()))));
      List<String> paced = List.of("-t" + threads, "-c" + connections, "-d" + costDuration + "s", "--latency",
          "-s", delay.toString(), costUrl);
      System.out.printf(Locale.ROOT, "cost: %d connections paced by 1 ms (calibration: %.0f req/s with 10)%n",
          connections, calibration.rate());

      Run off1 = wrkRun("agent off", paced, nginx, null);
      AgentChild agent = AgentChild.start(dir.resolve("agent"), kafka.bootstrapServers(), registryUrl,
          opts.get("--agent-jvm-options"));
      closeables.add(agent);
      if (!opts.get("--agent-chrt").isBlank()) {
        chrt(agent, opts.get("--agent-chrt"));
      }
      // Unmeasured paced traffic first: the agent's JIT compilation and first scans are a cost of
      // its start, not of the requests (C2 was still ~1% of a core after 60 s on a loaded machine).
      int warmup = Integer.parseInt(opts.get("--agent-warmup"));
      if (warmup > 0) {
        wrk(List.of("-t" + threads, "-c" + connections, "-d" + warmup + "s", "-s", delay.toString(), costUrl));
        agent.awaitDrained(Duration.ofMinutes(2));
      }
      Map<String, Long> onBefore = agent.metrics();
      Run on = wrkRun("agent on", paced, nginx, agent.process);
      Map<String, Long> onAfter = agent.awaitDrained(Duration.ofMinutes(2));
      if (!opts.get("--sched-ab").isBlank()) {
        schedAb(agent, nginx, threads, connections, delay, costUrl, opts.get("--sched-ab"),
            Integer.parseInt(opts.get("--sched-ab-rounds")), Integer.parseInt(opts.get("--sched-ab-seconds")));
      }

      FullSpeed fullSpeed = null;
      if (duration > 0) {
        String fullUrl = "http://127.0.0.1:" + fullPort + "/";
        Map<String, Long> before = agent.metrics();
        long nginxBefore = stubRequests(statusPort);
        long fullStart = System.currentTimeMillis();
        Run full = wrkRun("full speed", List.of("-t" + threads, "-c" + maxConnections, "-d" + duration + "s",
            "--latency", fullUrl), nginx, agent.process);
        long nginxServed = stubRequests(statusPort) - nginxBefore - 1;  // less the status request itself
        Map<String, Long> after = agent.awaitDrained(Duration.ofMinutes(5));
        fullSpeed = new FullSpeed(full, nginxServed, fullStart, before, after);
      }
      agent.close();
      Run off2 = wrkRun("agent off again", paced, nginx, null);

      System.out.println();
      System.out.println("cost at a fixed rate (" + rate + " req/s asked), " + costDuration + " s each:");
      for (Run r : List.of(off1, on, off2)) {
        System.out.printf(Locale.ROOT,
            "  %-16s %8.0f req/s  p99 %8.1f us  nginx CPU %5.1f%% of a core  agent CPU %s%n",
            r.name(), r.rate(), r.p99Micros(), r.nginxCpuPercent(),
            r.agentCpuPercent() < 0 ? "-" : String.format(Locale.ROOT, "%5.2f%% of a core", r.agentCpuPercent()));
      }
      double offP99 = (off1.p99Micros() + off2.p99Micros()) / 2;
      double offNginx = (off1.nginxCpuPercent() + off2.nginxCpuPercent()) / 2;
      System.out.printf(Locale.ROOT, "  p99 on/off %.3f (off runs %.1f and %.1f us); nginx CPU on/off %.3f; "
          + "agent CPU per 1,000 req/s %.3f%% of a core%n", on.p99Micros() / offP99, off1.p99Micros(),
          off2.p99Micros(), on.nginxCpuPercent() / offNginx, on.agentCpuPercent() / (on.rate() / 1000));
      printDeltas(onBefore, onAfter);
      if (fullSpeed != null) {
        FullSpeed f = fullSpeed;
        Counted counted = countL7(kafka.bootstrapServers(), topics, fullPort, f.start() - 1_000);
        System.out.println();
        System.out.printf(Locale.ROOT, "completeness at full speed, %d s, %d connections:%n", duration, maxConnections);
        System.out.printf(Locale.ROOT, "  wrk: %d requests, %.0f req/s, p99 %.1f us; nginx served %d%n",
            f.full().requests(), f.full().rate(), f.full().p99Micros(), f.nginxServed());
        System.out.printf(Locale.ROOT, "  agent: %d server-side L7 events (%d timeouts, statuses %s), %d client-side "
            + "(%d timeouts)%n", counted.server, counted.serverTimeouts, counted.serverStatuses, counted.client,
            counted.clientTimeouts);
        System.out.printf(Locale.ROOT, "  server events / nginx requests = %.6f; agent CPU %.1f%% of a core at %.0f "
            + "req/s, nginx CPU %.1f%%%n", counted.server / (double) Math.max(1, f.nginxServed()),
            f.full().agentCpuPercent(), f.full().rate(), f.full().nginxCpuPercent());
        printDeltas(f.before(), f.after());
      }
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          System.err.println("cleanup: " + e);
        }
      }
    }
  }

  /**
   * The same running agent under SCHED_OTHER and under each of {@code policies} (comma-separated
   * chrt flags) in turn, the order rotated each round so that drift cancels, {@code rounds} times,
   * each a paced run of {@code seconds}: the client's p99 and the agent's CPU under each, and their
   * medians. Only how the scheduler treats the agent's threads differs (the kernel programs run
   * alike), so this isolates their contention with nginx and wrk on a host whose other load moves
   * the absolute figures.
   */
  private static void schedAb(AgentChild agent, Process nginx, int threads, int connections, Path delay,
      String costUrl, String policies, int rounds, int seconds) throws Exception {
    List<String> args = List.of("-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency",
        "-s", delay.toString(), costUrl);
    List<String> names = new ArrayList<>(List.of("-o"));
    names.addAll(List.of(policies.split(",")));
    Map<String, List<Run>> runs = new java.util.LinkedHashMap<>();
    names.forEach(p -> runs.put(p, new ArrayList<>()));
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < names.size(); k++) {
        String p = names.get((round + k) % names.size());
        chrt(agent, p);
        runs.get(p).add(wrkRun("chrt " + p, args, nginx, agent.process));
      }
    }
    chrt(agent, "-o");
    System.out.println();
    System.out.printf(Locale.ROOT, "scheduling A/B, %d rounds of %d s:%n", rounds, seconds);
    runs.forEach((p, list) -> {
      double[] ratios = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        ratios[i] = list.get(i).p99Micros() / runs.get("-o").get(i).p99Micros();
      }
      System.out.printf(Locale.ROOT, "  chrt %-3s p99 median %8.1f us (%s), / SCHED_OTHER's median of rounds %.3f; "
          + "agent CPU median %5.2f%%; nginx CPU median %5.1f%%%n", p,
          median(list.stream().mapToDouble(Run::p99Micros).toArray()),
          list.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.p99Micros()))
              .collect(java.util.stream.Collectors.joining(" ")), median(ratios),
          median(list.stream().mapToDouble(Run::agentCpuPercent).toArray()),
          median(list.stream().mapToDouble(Run::nginxCpuPercent).toArray()));
    });
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /**
   * A scheduling policy for every thread of the agent and its loader: chrt -a {@code policy} -p 0;
   * or {@code stop}: the agent and its loader stopped (SIGSTOP) with the kernel programs still
   * attached, so that what remains is their cost alone (the ring buffer fills and drops meanwhile).
   * Any other policy continues them first.
   */
  private static void chrt(AgentChild agent, String policy) throws Exception {
    List<ProcessHandle> all = java.util.stream.Stream.concat(java.util.stream.Stream.of(agent.process.toHandle()),
        agent.process.descendants()).toList();
    for (ProcessHandle h : all) {
      String signal = policy.equals("stop") ? "-STOP" : "-CONT";
      if (new ProcessBuilder("kill", signal, Long.toString(h.pid())).inheritIO().start().waitFor() != 0) {
        throw new IOException("failed: kill " + signal + " " + h.pid());
      }
    }
    if (policy.equals("stop")) {
      return;
    }
    for (ProcessHandle h : java.util.stream.Stream.concat(java.util.stream.Stream.of(agent.process.toHandle()),
        agent.process.descendants()).toList()) {
      List<String> chrt = new ArrayList<>(List.of("chrt", "-a"));
      chrt.addAll(List.of(policy.trim().split("\\s+")));
      chrt.addAll(List.of("-p", "0", Long.toString(h.pid())));
      if (new ProcessBuilder(chrt).inheritIO().start().waitFor() != 0) {
        throw new IOException("failed: " + chrt);
      }
    }
  }

  private static void printDeltas(Map<String, Long> before, Map<String, Long> after) {
    for (String m : List.of("peregrine_agent_ebpf_ring_drops_total{type=\"l7\"}",
        "peregrine_agent_ebpf_ring_drops_total{type=\"connection\"}",
        "peregrine_agent_ebpf_kernel_problems_total{problem=\"request_unpaired\"}",
        "peregrine_agent_ebpf_kernel_problems_total{problem=\"request_untracked\"}",
        "peregrine_agent_ebpf_kernel_problems_total{problem=\"connection_untracked\"}",
        "peregrine_agent_ebpf_records_total{type=\"l7\"}",
        "peregrine_agent_ebpf_queue_drops_total",
        "peregrine_agent_dropped_total{reason=\"queue_full\"}",
        "peregrine_agent_ebpf_loader_restarts_total")) {
      System.out.printf(Locale.ROOT, "  %s +%d%n", m, after.getOrDefault(m, 0L) - before.getOrDefault(m, 0L));
    }
  }

  // ------------------------------------------------------------------------------------ nginx

  private static Process startNginx(Path dir, int costPort, int fullPort, int statusPort) throws Exception {
    Files.createDirectories(dir);
    String conf = """
        worker_processes 1;
        daemon off;
        master_process on;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          keepalive_requests 1000000;
          server { listen 127.0.0.1:%2$d; location / { return 200 "ok\\n"; } }
          server { listen 127.0.0.1:%3$d; location / { return 200 "ok\\n"; } }
          server { listen 127.0.0.1:%4$d; location / { stub_status; } }
        }
        """.formatted(dir, costPort, fullPort, statusPort);
    Path file = dir.resolve("nginx.conf");
    Files.writeString(file, conf);
    Process p = new ProcessBuilder("nginx", "-e", dir.resolve("error.log").toString(), "-c", file.toString(),
        "-p", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        stubRequests(statusPort);
        return p;
      } catch (IOException e) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("nginx did not start; see " + dir, e);
        }
        Thread.sleep(100);
      }
    }
  }

  /** Requests nginx has handled so far (stub_status), this one included. */
  private static long stubRequests(int statusPort) throws IOException, InterruptedException {
    String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + statusPort + "/")).build(), HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = STUB_REQUESTS.matcher(body);
    if (!m.find()) {
      throw new IOException("unexpected stub_status: " + body);
    }
    return Long.parseLong(m.group(3));
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }

  // -------------------------------------------------------------------------------------- wrk

  private static Run wrkRun(String name, List<String> args, Process nginx, Process agent) throws Exception {
    long nginxBefore = cpuTicks(nginx.toHandle());
    long agentBefore = agent == null ? 0 : cpuTicks(agent.toHandle());
    long agentJvmBefore = agent == null ? 0 : ticksOf(agent.pid());
    long brokerBefore = cpuTicks(broker);
    Map<String, long[]> threadsBefore = agent == null ? Map.of() : threadTicks(agent.toHandle());
    long start = System.nanoTime();
    String out = wrk(args);
    double wall = (System.nanoTime() - start) / 1e9;
    long nginxTicks = cpuTicks(nginx.toHandle()) - nginxBefore;
    long agentTicks = agent == null ? -1 : cpuTicks(agent.toHandle()) - agentBefore;
    Matcher req = REQUESTS.matcher(out);
    if (!req.find()) {
      throw new IOException("unexpected wrk output:\n" + out);
    }
    long requests = Long.parseLong(req.group(1));
    double seconds = seconds(Double.parseDouble(req.group(2)), req.group(3));
    Matcher p99 = P99.matcher(out);
    double p99Micros = p99.find() ? micros(Double.parseDouble(p99.group(1)), p99.group(2)) : Double.NaN;
    Run r = new Run(name, requests, seconds, p99Micros, 100.0 * nginxTicks / TICKS_PER_SECOND / wall,
        agent == null ? -1 : 100.0 * agentTicks / TICKS_PER_SECOND / wall, out);
    double brokerCpu = 100.0 * (cpuTicks(broker) - brokerBefore) / TICKS_PER_SECOND / wall;
    System.out.printf(Locale.ROOT, "%s: %d requests, %.0f req/s, p99 %.1f us, broker CPU %.2f%%%s%n", name, requests,
        r.rate(), p99Micros, brokerCpu,
        agent == null ? "" : String.format(Locale.ROOT, "; agent %.2f%% of a core, its JVM alone %.2f%%, "
            + "its RSS %s", r.agentCpuPercent(), 100.0 * (ticksOf(agent.pid()) - agentJvmBefore) / TICKS_PER_SECOND
            / wall, rss(agent.pid())));
    if (agent != null) {
      // Where the agent's CPU went, by thread (JVM threads by name, the loader as one), and how
      // often each thread woke up.
      Map<String, long[]> threadsAfter = threadTicks(agent.toHandle());
      StringBuilder b = new StringBuilder("  by thread (CPU, wake-ups/s):");
      threadsAfter.entrySet().stream()
          .map(e -> {
            long[] was = threadsBefore.getOrDefault(e.getKey(), new long[2]);
            return Map.entry(e.getKey(), new long[] {e.getValue()[0] - was[0], e.getValue()[1] - was[1]});
          })
          .filter(e -> e.getValue()[0] > 0 || e.getValue()[1] > wall)
          .sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
          .forEach(e -> b.append(String.format(Locale.ROOT, " %s %.2f%% %.0f/s,", e.getKey(),
              100.0 * e.getValue()[0] / TICKS_PER_SECOND / wall, e.getValue()[1] / wall)));
      b.setLength(b.length() - 1);
      System.out.println(b);
    }
    return r;
  }

  /** VmRSS and its peak VmHWM of a process, as /proc/pid/status gives them. */
  private static String rss(long pid) throws IOException {
    String rss = "?";
    String peak = "?";
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = line.substring(6).trim();
      } else if (line.startsWith("VmHWM:")) {
        peak = line.substring(6).trim();
      }
    }
    return rss + " (peak " + peak + ")";
  }

  private static String wrk(List<String> args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add("wrk");
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("wrk failed:\n" + out);
    }
    return out;
  }

  private static double seconds(double v, String unit) {
    return switch (unit) {
      case "ms" -> v / 1e3;
      case "m" -> v * 60;
      default -> v;
    };
  }

  private static double micros(double v, String unit) {
    return switch (unit) {
      case "us" -> v;
      case "ms" -> v * 1e3;
      case "s" -> v * 1e6;
      default -> throw new IllegalArgumentException("unit " + unit);
    };
  }

  /** utime + stime of a process and all its descendants (an agent's loader, nginx's worker). */
  private static long cpuTicks(ProcessHandle root) throws IOException {
    long ticks = ticksOf(root.pid());
    for (ProcessHandle h : root.descendants().toList()) {
      ticks += ticksOf(h.pid());
    }
    return ticks;
  }

  /**
   * utime + stime, and context switches (voluntary: the thread slept, so each is one wake-up), by
   * thread name (summed over threads of one name) of a process and its descendants.
   */
  private static Map<String, long[]> threadTicks(ProcessHandle root) {
    Map<String, long[]> ticks = new java.util.TreeMap<>();
    List<ProcessHandle> all = new ArrayList<>();
    all.add(root);
    all.addAll(root.descendants().toList());
    for (ProcessHandle h : all) {
      try (var tasks = Files.list(Path.of("/proc", Long.toString(h.pid()), "task"))) {
        for (Path task : tasks.toList()) {
          try {
            String stat = Files.readString(task.resolve("stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+$", "#");
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long switches = 0;
            for (String line : Files.readAllLines(task.resolve("status"))) {
              if (line.startsWith("voluntary_ctxt_switches:")) {
                switches = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
              }
            }
            long[] t = ticks.computeIfAbsent(name, n -> new long[2]);
            t[0] += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            t[1] += switches;
          } catch (IOException | RuntimeException e) {
            // the thread ended meanwhile
          }
        }
      } catch (IOException e) {
        // the process ended meanwhile
      }
    }
    return ticks;
  }

  private static long ticksOf(long pid) throws IOException {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    } catch (java.nio.file.NoSuchFileException e) {
      return 0;
    }
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);  // utime, stime (fields 14, 15)
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ------------------------------------------------------------------------------------ Kafka

  /** L7 events of the full-speed port. */
  static final class Counted {
    long server;
    long client;
    long serverTimeouts;
    long clientTimeouts;
    final Map<String, Long> serverStatuses = new java.util.TreeMap<>();
  }

  private static Counted countL7(String bootstrap, Topics topics, int port, long sinceMillis) {
    Counted c = new Counted();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topics.rawL7().name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      var deserializer = topics.rawL7().valueSerde().deserializer();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofSeconds(1));
        for (ConsumerRecord<String, byte[]> r : records) {
          if (r.timestamp() < sinceMillis) {
            continue;
          }
          L7Event e = deserializer.deserialize(r.topic(), r.value());
          if (e.getServerPort() != port) {
            continue;
          }
          boolean timeout = e.getStatus().equals("timeout");
          if (e.getSide() == Side.SERVER) {
            c.server++;
            c.serverTimeouts += timeout ? 1 : 0;
            c.serverStatuses.merge(e.getStatus(), 1L, Long::sum);
          } else {
            c.client++;
            c.clientTimeouts += timeout ? 1 : 0;
          }
        }
      }
    }
    return c;
  }

  // ------------------------------------------------------------------------------------ agent

  /** The agent in a JVM of its own, with the flags {@code peregrine up} gives it. */
  static final class AgentChild implements AutoCloseable {
    final Process process;
    final int metricsPort;

    private AgentChild(Process process, int metricsPort) {
      this.process = process;
      this.metricsPort = metricsPort;
    }

    /** @param jvmOptions more JVM options, space-separated (e.g. a flight recording), or empty */
    static AgentChild start(Path home, String bootstrap, String registryUrl, String jvmOptions) throws Exception {
      Files.createDirectories(home);
      int metricsPort = freePort();
      List<String> args = new ArrayList<>(List.of("-Xms16m", "-Xmx96m", "-XX:+UseSerialGC",
          "-XX:MaxMetaspaceSize=96m", "-XX:ReservedCodeCacheSize=32m", "-XX:TrimNativeHeapInterval=5000", "-Xss512k",
          "-XX:+ExitOnOutOfMemoryError"));
      if (!jvmOptions.isBlank()) {
        args.addAll(List.of(jvmOptions.trim().split("\\s+")));
      }
      args.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
          bootstrap, registryUrl, home.toString(), Integer.toString(metricsPort)));
      Process p = new ProcessBuilder(ChildJvm.command(args)).redirectErrorStream(true)
          .redirectOutput(home.resolve("agent.log").toFile()).start();
      AgentChild child = new AgentChild(p, metricsPort);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (child.metricsOrEmpty().getOrDefault("peregrine_agent_ebpf_running", 0L) != 1) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("the agent's sensor did not start; see " + home.resolve("agent.log"));
        }
        Thread.sleep(200);
      }
      return child;
    }

    Map<String, Long> metricsOrEmpty() {
      try {
        return metrics();
      } catch (IOException | InterruptedException e) {
        return Map.of();
      }
    }

    Map<String, Long> metrics() throws IOException, InterruptedException {
      String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Map<String, Long> m = new HashMap<>();
      for (String line : body.lines().toList()) {
        if (!line.startsWith("#") && !line.isBlank()) {
          int space = line.lastIndexOf(' ');
          try {
            m.put(line.substring(0, space), (long) Double.parseDouble(line.substring(space + 1)));
          } catch (NumberFormatException e) {
            // not a number we need
          }
        }
      }
      return m;
    }

    /** The metrics once the loader's next counters are in and the publisher's queue is empty. */
    Map<String, Long> awaitDrained(Duration timeout) throws Exception {
      Thread.sleep(2_500);  // a stats report (every second) after the last request
      long deadline = System.nanoTime() + timeout.toNanos();
      Map<String, Long> m = metrics();
      while (m.getOrDefault("peregrine_agent_queue_records", 0L) > 0 && System.nanoTime() < deadline) {
        Thread.sleep(500);
        m = metrics();
      }
      Thread.sleep(1_000);  // the sender's last batch
      return metrics();
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        process.getOutputStream().close();  // it flushes and exits
        if (!process.waitFor(40, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }

  /** The agent child's entry point: bootstrap, registry URL, home, metrics port. */
  public static final class Main {
    private static final String SETTING_PREFIX = "agent.";

    private Main() {
    }

    /** The full-speed run, with the agent's metrics around it. */
  private record FullSpeed(Run full, long nginxServed, long start, Map<String, Long> before,
      Map<String, Long> after) {
  }

  public static void main(String[] args) throws Exception {
      Map<String, String> settings = new HashMap<>(Map.of(
          AgentConfig.BOOTSTRAP_SERVERS, args[0],
          AgentConfig.SCHEMA_REGISTRY_URL, args[1],
          AgentConfig.METRICS_PORT, args[3],
          AgentConfig.NODE_NAME, "agent-bench",
          AgentConfig.EBPF_MODE, "on"));
      // Agent settings to try, as JVM options: -Dagent.producer.compression.type=lz4
      System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(SETTING_PREFIX))
          .forEach(k -> settings.put(k.substring(SETTING_PREFIX.length()), System.getProperty(k)));
      AgentConfig config = new AgentConfig(settings);
      Agent agent = Agent.start(config, Path.of(args[2]), Collectors::forHost);
      Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "agent-stop"));
      ChildJvm.exitWhenStdinCloses();
      Thread.currentThread().join();
    }
  }
}
