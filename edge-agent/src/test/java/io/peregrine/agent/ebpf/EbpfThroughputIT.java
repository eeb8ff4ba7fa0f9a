package io.peregrine.agent.ebpf;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Completeness at full speed, and what it costs: HTTP/1.1 GETs on loopback as fast as a JDK
 * HttpClient (32 in flight) and HttpServer manage, first without the sensor (baseline), then with
 * it, in one run. With the sensor, every request must be reported on both sides, with zero
 * ring-buffer drops. Prints the rates, their ratio, the L7 events per second and the CPU of the
 * loader and of the reader thread.
 *
 * <p>Figures from a shared 2-core machine are indicative; the ratio is the comparable one.
 */
class EbpfThroughputIT {

  private static final Logger log = LoggerFactory.getLogger(EbpfThroughputIT.class);
  private static final Duration PHASE = Duration.ofSeconds(8);
  private static final int IN_FLIGHT = 32;

  private record Phase(long requests, long errors, double seconds, long cpuNanos) {
    double rate() {
      return requests / seconds;
    }

    double cpuMicrosPerRequest() {
      return cpuNanos / 1e3 / Math.max(1, requests);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  @Test
  void shouldReportEveryRequestAtFullSpeedWithoutDrops() throws Exception {
    EbpfTestSupport.requireLoader();
    EbpfTestSupport.requireEbpfHost();
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    ExecutorService handlers = Executors.newFixedThreadPool(2);
    server.setExecutor(handlers);
    byte[] body = "ok".getBytes(US_ASCII);
    server.createContext("/", exchange -> {
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    int port = server.getAddress().getPort();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI uri = URI.create("http://127.0.0.1:" + port + "/load");

    LongAdder clientRecords = new LongAdder();
    LongAdder serverRecords = new LongAdder();
    LongAdder otherL7 = new LongAdder();
    SensorListener listener = new SensorListener() {
      @Override
      public void onConnection(ConnectionRecord record) {}

      @Override
      public void onL7(L7Record r) {
        if (r.serverPort() != port || !new String(r.request(), US_ASCII).startsWith("GET /load ")) {
          otherL7.increment();
        } else if (r.side() == L7Record.Side.CLIENT) {
          clientRecords.increment();
        } else {
          serverRecords.increment();
        }
      }

      @Override
      public void onProcess(ProcessRecord record) {}
    };
    try {
      drive(client, uri, Duration.ofSeconds(3)); // JIT warm-up, not measured
      Phase before = drive(newClient(), uri, PHASE);
      Phase observed;
      long loaderCpu;
      long readerCpu;
      SensorStats stats;
      long clientWarmup;
      long serverWarmup;
      try (EbpfSensor sensor = new EbpfSensor(new EbpfSensorConfig(Map.of(
          EbpfSensorConfig.IGNORE_OWN_PROCESS, "false",
          EbpfSensorConfig.STATS_MS, "200",
          EbpfSensorConfig.BPF_STATS, "true")), listener)) {
        sensor.start();
        assertThat(sensor.awaitStarted(Duration.ofSeconds(60))).isEqualTo(EbpfSensor.State.RUNNING);
        long loaderPid = sensor.loader().orElseThrow().loaderPid();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long readerThread = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("peregrine-ebpf-sensor")).findFirst().orElseThrow().getId();

        // A new client: the sensor sees connections made after it started (those made before are
        // left to the procfs scan), and the earlier clients' stay pooled.
        HttpClient observedClient = newClient();
        drive(observedClient, URI.create("http://127.0.0.1:" + port + "/warmup"), Duration.ofSeconds(1));
        clientWarmup = clientRecords.sum();
        serverWarmup = serverRecords.sum();
        long loaderCpu0 = cpuTicks(loaderPid);
        long readerCpu0 = threads.getThreadCpuTime(readerThread);
        Thread.sleep(400);
        SensorStats stats0 = sensor.lastStats().orElseThrow();
        observed = drive(observedClient, uri, PHASE);
        // The last records wait at most one poll period, plus the time to drain a backlog.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while ((clientRecords.sum() < observed.requests() || serverRecords.sum() < observed.requests())
            && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        loaderCpu = cpuTicks(loaderPid) - loaderCpu0;
        readerCpu = threads.getThreadCpuTime(readerThread) - readerCpu0;
        Thread.sleep(400); // one more STATS record after the last events
        stats = sensor.lastStats().orElseThrow();
        long runs = stats.programRuns() - stats0.programRuns();
        long runNanos = stats.programRunNanos() - stats0.programRunNanos();
        log.info("Kernel programs during the observed phase: {} runs, {} ns per run, {} us per request, {}% of a core",
            runs, runs == 0 ? 0 : runNanos / runs, observed.requests() == 0 ? 0 : runNanos / observed.requests() / 1_000,
            String.format("%.1f", 100.0 * runNanos / 1e9 / observed.seconds()));
        assertThat(sensor.badFrames()).isEmpty();
      }
      Phase after = drive(newClient(), uri, PHASE);

      double baselineRate = (before.rate() + after.rate()) / 2;
      double baselineCpu = (before.cpuMicrosPerRequest() + after.cpuMicrosPerRequest()) / 2;
      log.info("Throughput over {} s phases, {} in flight: without sensor {} and {} req/s, with sensor {} req/s "
              + "(ratio {}); JVM CPU per request (client + server + sensor reader) without {} us, with {} us "
              + "(ratio {}); L7 events {} /s; loader CPU {}% of a core, reader thread {}% of a core; ring drops {}",
          PHASE.toSeconds(), IN_FLIGHT, Math.round(before.rate()), Math.round(after.rate()), Math.round(observed.rate()),
          String.format("%.2f", observed.rate() / baselineRate), Math.round(baselineCpu),
          Math.round(observed.cpuMicrosPerRequest()), String.format("%.2f", observed.cpuMicrosPerRequest() / baselineCpu),
          Math.round(2.0 * observed.requests() / observed.seconds()),
          String.format("%.1f", 100.0 * loaderCpu / 100 / observed.seconds()),
          String.format("%.1f", 100.0 * readerCpu / 1e9 / observed.seconds()), stats.ringDrops());

      assertThat(clientWarmup + serverWarmup).isZero(); // /warmup requests are counted apart
      assertThat(observed.errors()).isZero();
      assertThat(stats.ringDrops()).isZero();
      assertThat(clientRecords.sum()).isEqualTo(observed.requests());
      assertThat(serverRecords.sum()).isEqualTo(observed.requests());
    } finally {
      server.stop(0);
      handlers.shutdownNow();
    }
  }

  private static HttpClient newClient() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  /** GETs with IN_FLIGHT outstanding for `length`; waits for the last ones. */
  private static Phase drive(HttpClient client, URI uri, Duration length) throws InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(uri).GET().build();
    Semaphore slots = new Semaphore(IN_FLIGHT);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime();
    long cpu0 = processCpuNanos();
    long end = start + length.toNanos();
    while (System.nanoTime() < end) {
      if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        continue;
      }
      client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
        if (e != null || r.statusCode() != 200) {
          errors.incrementAndGet();
        } else {
          done.incrementAndGet();
        }
        slots.release();
      });
    }
    assertThat(slots.tryAcquire(IN_FLIGHT, 30, TimeUnit.SECONDS)).as("outstanding requests finished").isTrue();
    return new Phase(done.get(), errors.get(), (System.nanoTime() - start) / 1e9, processCpuNanos() - cpu0);
  }

  /** utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of the line
  }
}
