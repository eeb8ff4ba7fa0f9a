package io.peregrine.agent.ebpf;

import io.peregrine.agent.ebpf.MalformedRecordException.Reason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eBPF sensor as the agent sees it: runs {@code peregrine-loader} (from the agent jar's
 * {@code /native/}, extracted to a private temporary directory) as a child process, decodes its
 * frames and hands connection, L7 and process records to a {@link SensorListener}. Independent of
 * Kafka: mapping to the Avro events is the listener's job.
 *
 * <ul>
 *   <li>A loader that dies is restarted with exponential backoff ({@link #restarts()} counts them;
 *       the backoff resets after a run as long as the longest backoff).
 *   <li>When the host cannot run the sensor at all (no privileges, no BTF, verifier rejection,
 *       attach failure, old kernel, or a jar built without the toolchain) it becomes
 *       {@link State#UNAVAILABLE} with ONE warning, and the agent goes on with procfs only.
 *   <li>The loader stops when its stdin closes, so it never outlives this JVM, even a killed one.
 * </ul>
 */
public final class EbpfSensor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EbpfSensor.class);

  static final String LOADER_RESOURCE = "/native/peregrine-loader";
  private static final int STDERR_KEEP = 40;
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);

  public enum State { NEW, STARTING, RUNNING, RESTARTING, UNAVAILABLE, STOPPED }

  /** Why the sensor cannot run on this host. */
  public enum Unavailability {
    DISABLED,
    NOT_BUILT,
    NO_PRIVILEGES,
    NO_BTF,
    VERIFIER_REJECTED,
    ATTACH_FAILED,
    UNSUPPORTED_KERNEL,
    BAD_CONFIGURATION,
    CANNOT_START
  }

  private final EbpfSensorConfig config;
  private final SensorListener listener;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final Object stateLock = new Object();
  private final AtomicLong restarts = new AtomicLong();
  private final Map<Reason, Long> pastProblems = new EnumMap<>(Reason.class);

  private volatile State state = State.NEW;
  private volatile Unavailability unavailability;
  private volatile String unavailabilityDetail;
  private volatile SensorStats lastStats;
  private volatile LoaderHello hello;
  private volatile FrameDecoder decoder;
  private volatile Process process;
  private volatile boolean dropWarningLogged;
  private Thread supervisor;
  private Path extractedDir;

  public EbpfSensor(EbpfSensorConfig config, SensorListener listener) {
    this.config = config;
    this.listener = listener;
  }

  /** Starts the sensor in the background; see {@link #awaitStarted}. Calling it again does nothing. */
  public void start() {
    synchronized (stateLock) {
      if (state != State.NEW) {
        return;
      }
      if (!config.enabled()) {
        becomeUnavailable(Unavailability.DISABLED, EbpfSensorConfig.ENABLED + "=false", List.of(), false);
        return;
      }
      setState(State.STARTING);
      supervisor = new Thread(this::supervise, "peregrine-ebpf-sensor");
      supervisor.setDaemon(true);
      supervisor.start();
    }
  }

  /**
   * Waits until the sensor runs (every probe attached), becomes unavailable or stops, or the
   * timeout passes.
   *
   * @return the state then
   */
  public State awaitStarted(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (stateLock) {
      while (state == State.NEW || state == State.STARTING || state == State.RESTARTING) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(stateLock, left);
      }
      return state;
    }
  }

  public State state() {
    return state;
  }

  public Optional<Unavailability> unavailability() {
    return Optional.ofNullable(unavailability);
  }

  /** The loader's one-line explanation when unavailable. */
  public Optional<String> unavailabilityDetail() {
    return Optional.ofNullable(unavailabilityDetail);
  }

  /** Times the loader died and was started again. */
  public long restarts() {
    return restarts.get();
  }

  /** What the running (or last) loader reported when it attached: its pid, ring size, CPUs. */
  public Optional<LoaderHello> loader() {
    return Optional.ofNullable(hello);
  }

  /** The loader's latest counters (cumulative within one loader process). */
  public Optional<SensorStats> lastStats() {
    return Optional.ofNullable(lastStats);
  }

  /** Frames skipped as unreadable, by reason, over every loader run. */
  public Map<Reason, Long> badFrames() {
    // Under the lock that runOnce() takes to fold a finished run's counts in, so that no run is
    // counted twice or missed.
    synchronized (pastProblems) {
      Map<Reason, Long> total = new EnumMap<>(pastProblems);
      FrameDecoder d = decoder;
      if (d != null) {
        d.problemCounts().forEach((r, n) -> total.merge(r, n, Long::sum));
      }
      return total;
    }
  }

  /** Stops the loader (it drains the ring buffer first) and waits for it, bounded. */
  @Override
  public void close() {
    Thread t;
    synchronized (stateLock) {
      if (state == State.NEW) {
        setState(State.STOPPED);
        return;
      }
      t = supervisor;
    }
    stopRequested.countDown();
    Process p = process;
    if (p != null) {
      closeQuietly(p.getOutputStream()); // EOF on the loader's stdin: it drains and exits 0
    }
    if (t != null) {
      try {
        t.join(STOP_GRACE.toMillis());
        if (t.isAlive() && (p = process) != null) {
          p.destroy(); // SIGTERM
          t.join(STOP_GRACE.toMillis());
        }
        if (t.isAlive() && (p = process) != null) {
          p.destroyForcibly();
          t.join(STOP_GRACE.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if ((p = process) != null) {
          p.destroyForcibly();
        }
      }
    }
    deleteExtracted();
    synchronized (stateLock) {
      if (state != State.UNAVAILABLE) {
        setState(State.STOPPED);
      }
    }
  }

  // ---- supervision

  private void supervise() {
    Path loader;
    try {
      loader = locateLoader();
    } catch (IOException | UncheckedIOException e) {
      becomeUnavailable(Unavailability.CANNOT_START, "cannot extract the loader: " + e.getMessage(),
          List.of(), true);
      return;
    }
    if (loader == null) {
      becomeUnavailable(Unavailability.NOT_BUILT,
          "this agent was built without the eBPF toolchain (clang, libbpf-dev, bpftool)", List.of(), true);
      return;
    }
    Duration backoff = config.restartBackoffMin();
    Map<LoaderExit, Boolean> warnedExits = new EnumMap<>(LoaderExit.class);
    while (stopRequested.getCount() > 0) {
      long startedAt = System.nanoTime();
      Run run = runOnce(loader);
      if (stopRequested.getCount() == 0) {
        break;
      }
      if (run.startFailure != null) {
        becomeUnavailable(Unavailability.CANNOT_START, run.startFailure, List.of(), true);
        return;
      }
      LoaderExit exit = LoaderExit.of(run.status);
      Optional<Unavailability> permanent = exit.permanent();
      if (permanent.isPresent()) {
        becomeUnavailable(permanent.get(), lastLine(run.stderr), run.stderr, true);
        return;
      }
      Duration ran = Duration.ofNanos(System.nanoTime() - startedAt);
      if (ran.compareTo(config.restartBackoffMax()) >= 0) {
        backoff = config.restartBackoffMin();
      }
      restarts.incrementAndGet();
      if (warnedExits.put(exit, Boolean.TRUE) == null) {
        log.warn("eBPF loader exited with status {} ({}) after {} s: {}; restarting in {} ms "
                + "(later restarts for this cause are only counted)",
            run.status, exit, ran.toSeconds(), lastLine(run.stderr), backoff.toMillis());
      } else {
        log.debug("eBPF loader exited with status {}; restart #{} in {} ms", run.status, restarts.get(),
            backoff.toMillis());
      }
      setState(State.RESTARTING);
      try {
        if (stopRequested.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      Duration doubled = backoff.multipliedBy(2);
      backoff = doubled.compareTo(config.restartBackoffMax()) > 0 ? config.restartBackoffMax() : doubled;
    }
    synchronized (stateLock) {
      if (state != State.UNAVAILABLE) {
        setState(State.STOPPED);
      }
    }
  }

  /** The outcome of one loader process. */
  private record Run(int status, List<String> stderr, String startFailure) {}

  private Run runOnce(Path loader) {
    List<String> command = new ArrayList<>();
    command.add(loader.toString());
    command.addAll(config.loaderArguments());
    if (config.ignoreOwnProcess()) {
      command.add("--ignore-pid=" + ProcessHandle.current().pid());
    }
    Process p;
    try {
      p = new ProcessBuilder(command).start();
    } catch (IOException e) {
      return new Run(-1, List.of(), "cannot run " + loader + ": " + e.getMessage());
    }
    process = p;
    if (stopRequested.getCount() == 0) {
      closeQuietly(p.getOutputStream()); // close() raced with the start
    }
    Deque<String> stderr = new ArrayDeque<>();
    Thread stderrReader = new Thread(() -> drainStderr(p.getErrorStream(), stderr),
        "peregrine-ebpf-loader-stderr");
    stderrReader.setDaemon(true);
    stderrReader.start();

    FrameDecoder d = new FrameDecoder(this::dispatch, KernelClock.ofThisJvm());
    decoder = d;
    try (InputStream in = p.getInputStream()) {
      while (d.readFrom(in) >= 0) {
        // every complete frame was dispatched
      }
    } catch (IOException e) {
      log.debug("eBPF loader output ended: {}", e.getMessage());
    }
    d.endOfStream();
    int status = waitForExit(p);
    try {
      stderrReader.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (pastProblems) {
      d.problemCounts().forEach((r, n) -> pastProblems.merge(r, n, Long::sum));
      decoder = null;
    }
    process = null;
    List<String> lines;
    synchronized (stderr) {
      lines = List.copyOf(stderr);
    }
    return new Run(status, lines, null);
  }

  private static int waitForExit(Process p) {
    try {
      if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroy();
        if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
        }
      }
      return p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      return -1;
    }
  }

  private static void drainStderr(InputStream err, Deque<String> keep) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        log.debug("loader: {}", line);
        synchronized (keep) {
          if (keep.size() == STDERR_KEEP) {
            keep.removeFirst();
          }
          keep.addLast(line);
        }
      }
    } catch (IOException e) {
      log.debug("eBPF loader stderr ended: {}", e.getMessage());
    }
  }

  private void dispatch(SensorRecord record) {
    if (record instanceof L7Record r) {
      listener.onL7(r);
    } else if (record instanceof Http2Chunk r) {
      listener.onHttp2(r);
    } else if (record instanceof ConnectionRecord r) {
      listener.onConnection(r);
    } else if (record instanceof ProcessRecord r) {
      listener.onProcess(r);
    } else if (record instanceof SensorStats s) {
      lastStats = s;
      if (s.ringDrops() > 0 && !dropWarningLogged) {
        dropWarningLogged = true;
        log.warn("eBPF ring buffer overflowed: {} records dropped in the kernel so far (raise {}; "
            + "further drops are only counted)", s.ringDrops(), EbpfSensorConfig.RING_BYTES);
      }
      listener.onStats(s);
    } else if (record instanceof LoaderHello h) {
      hello = h;
      if (restarts.get() == 0) {
        log.info("eBPF sensor running: loader pid {}, {} CPUs, {} KiB ring buffer, {} B capture",
            h.loaderPid(), h.cpus(), h.ringBytes() / 1024, h.captureBytes());
      } else {
        log.info("eBPF sensor running again after {} restart(s)", restarts.get());
      }
      setState(State.RUNNING);
    }
  }

  // ---- state

  private void setState(State s) {
    synchronized (stateLock) {
      if (state == s) {
        return;
      }
      state = s;
      stateLock.notifyAll();
    }
    try {
      listener.onStateChange(s);
    } catch (RuntimeException e) {
      log.warn("A sensor listener threw on a state change to {}", s, e);
    }
  }

  private void becomeUnavailable(Unavailability why, String detail, List<String> stderr, boolean warn) {
    unavailability = why;
    unavailabilityDetail = detail;
    if (warn) {
      // The one warning of this cause. A verifier rejection carries the log tail the loader printed.
      if (why == Unavailability.VERIFIER_REJECTED && stderr.size() > 1) {
        log.warn("eBPF sensor unavailable ({}): {}; the agent continues with procfs only. Loader output:\n{}",
            why, detail, String.join("\n", stderr));
      } else {
        log.warn("eBPF sensor unavailable ({}): {}; the agent continues with procfs only", why, detail);
      }
    } else {
      log.info("eBPF sensor off ({}): {}", why, detail);
    }
    setState(State.UNAVAILABLE);
  }

  private static String lastLine(List<String> lines) {
    return lines.isEmpty() ? "no message" : lines.get(lines.size() - 1);
  }

  // ---- the loader binary

  private Path locateLoader() throws IOException {
    Optional<Path> configured = config.loaderPath();
    if (configured.isPresent()) {
      return configured.get();
    }
    try (InputStream in = EbpfSensor.class.getResourceAsStream(LOADER_RESOURCE)) {
      if (in == null) {
        return null;
      }
      // A private directory (rwx------): the agent runs as root, so nobody else may swap the binary
      // between extraction and exec.
      Path dir = Files.createTempDirectory("peregrine-ebpf-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      extractedDir = dir;
      Path loader = dir.resolve("peregrine-loader");
      Files.copy(in, loader, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(loader, PosixFilePermissions.fromString("r-x------"));
      return loader;
    }
  }

  private void deleteExtracted() {
    Path dir = extractedDir;
    if (dir == null) {
      return;
    }
    try {
      Files.deleteIfExists(dir.resolve("peregrine-loader"));
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      log.debug("Could not delete {}: {}", dir, e.getMessage());
    }
  }

  private static void closeQuietly(OutputStream out) {
    try {
      out.close();
    } catch (IOException e) {
      // the loader is gone already
    }
  }
}
