package io.peregrine.agent.ebpf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Settings of the eBPF sensor (Kafka's ConfigDef), all prefixed {@code ebpf.} so the agent's
 * configuration can include them as they are. Cross-field rules are checked in the constructor.
 */
public final class EbpfSensorConfig extends AbstractConfig {

  public static final String ENABLED = "ebpf.enabled";
  public static final String CAPTURE_BYTES = "ebpf.capture.bytes";
  public static final String CAPTURE_UNKNOWN = "ebpf.capture.unknown";
  public static final String RING_BYTES = "ebpf.ring.bytes";
  public static final String WAKEUP_BYTES = "ebpf.wakeup.bytes";
  public static final String POLL_MS = "ebpf.poll.ms";
  public static final String STATS_MS = "ebpf.stats.ms";
  public static final String MAX_CONNECTIONS = "ebpf.max.connections";
  public static final String MAX_INFLIGHT = "ebpf.max.inflight";
  public static final String IGNORE_OWN_PROCESS = "ebpf.ignore.own.process";
  public static final String LOADER_PATH = "ebpf.loader.path";
  public static final String BPF_STATS = "ebpf.bpf.stats";
  public static final String TLS_ENABLED = "ebpf.tls.enabled";
  public static final String TLS_LIBSSL = "ebpf.tls.libssl";
  public static final String ADOPT_EXISTING = "ebpf.adopt.existing";
  public static final String RESTART_BACKOFF_MIN_MS = "ebpf.restart.backoff.min.ms";
  public static final String RESTART_BACKOFF_MAX_MS = "ebpf.restart.backoff.max.ms";

  private static final ConfigDef.Validator POWER_OF_TWO = (name, value) -> {
    int v = (Integer) value;
    if (v < 64 * 1024 || Integer.bitCount(v) != 1) {
      throw new ConfigException(name, value, "must be a power of two of at least 65536");
    }
  };

  public static final ConfigDef CONFIG = new ConfigDef()
      .define(ENABLED, Type.BOOLEAN, true, Importance.HIGH,
          "Run the eBPF sensor (connections, L7 requests, process lifecycle); without it, or when "
              + "the kernel or privileges do not allow it, the agent works from procfs only.")
      .define(CAPTURE_BYTES, Type.INT, RecordLayout.MAX_CAPTURE, Range.between(1, RecordLayout.MAX_CAPTURE),
          Importance.MEDIUM,
          "Bytes of each request and response copied in the kernel for protocol decoding.")
      .define(CAPTURE_UNKNOWN, Type.BOOLEAN, true, Importance.LOW,
          "Also pair and ship exchanges of protocols the kernel does not recognise (decoded in user "
              + "space); false ships HTTP/1.x only.")
      .define(RING_BYTES, Type.INT, 16 << 20, POWER_OF_TWO, Importance.MEDIUM,
          "Size of the kernel-to-loader ring buffer; records are dropped (and counted) when it is full. "
              + "The default holds about half a second of records at 50k requests/s.")
      .define(WAKEUP_BYTES, Type.INT, 0, Range.atLeast(0), Importance.LOW,
          "Pending ring-buffer bytes at which the kernel wakes the loader; 0 means ring size / 16. "
              + "Below it the loader picks records up every ebpf.poll.ms.")
      .define(POLL_MS, Type.INT, 100, Range.between(1, 10_000), Importance.LOW,
          "Longest time a record waits in the ring buffer at low rates.")
      .define(STATS_MS, Type.INT, 1_000, Range.between(10, 3_600_000), Importance.LOW,
          "How often the loader reports its counters (drops, records).")
      .define(MAX_CONNECTIONS, Type.INT, 65_536, Range.between(64, 1 << 24), Importance.LOW,
          "Connections tracked at once in the kernel (LRU beyond).")
      .define(MAX_INFLIGHT, Type.INT, 4_096, Range.between(64, 1 << 22), Importance.LOW,
          "Requests waiting for their response at once in the kernel (LRU beyond); each holds a "
              + "capture-sized buffer.")
      .define(IGNORE_OWN_PROCESS, Type.BOOLEAN, true, Importance.LOW,
          "Do not observe the agent's own sockets (its Kafka traffic would feed back into itself).")
      .define(BPF_STATS, Type.BOOLEAN, false, Importance.LOW,
          "Measure the time the kernel spends in the sensor's programs (kernel.bpf_stats_enabled, "
              + "about 20 ns per program run); reported with the loader's counters.")
      .define(TLS_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM,
          "Capture TLS plaintext with uprobes on OpenSSL's SSL_read/SSL_write (libssl.so.3, for every "
              + "process using the host's library); without it TLS connections are seen but not their requests.")
      .define(TLS_LIBSSL, Type.STRING, "", Importance.LOW,
          "OpenSSL library to probe; empty looks in the distributions' usual places.")
      .define(ADOPT_EXISTING, Type.BOOLEAN, true, Importance.LOW,
          "Follow the TCP connections already established when the sensor starts (a BPF iterator over every "
              + "process's open files, Linux 5.11+); without it their requests are seen only once they reconnect.")
      .define(LOADER_PATH, Type.STRING, "", Importance.LOW,
          "Path of a peregrine-loader binary to run instead of the one built into the agent jar.")
      .define(RESTART_BACKOFF_MIN_MS, Type.LONG, 1_000L, Range.between(10L, 3_600_000L), Importance.LOW,
          "First delay before restarting a loader that died; doubled at each failure in a row.")
      .define(RESTART_BACKOFF_MAX_MS, Type.LONG, 60_000L, Range.between(10L, 3_600_000L), Importance.LOW,
          "Longest delay between loader restarts.");

  public EbpfSensorConfig(Map<?, ?> originals) {
    super(CONFIG, originals, false);
    int ring = getInt(RING_BYTES);
    int wakeup = getInt(WAKEUP_BYTES);
    if (wakeup >= ring) {
      throw new ConfigException(WAKEUP_BYTES, wakeup, "must be below " + RING_BYTES + " (" + ring + ")");
    }
    if (getLong(RESTART_BACKOFF_MIN_MS) > getLong(RESTART_BACKOFF_MAX_MS)) {
      throw new ConfigException(RESTART_BACKOFF_MIN_MS, getLong(RESTART_BACKOFF_MIN_MS),
          "must not exceed " + RESTART_BACKOFF_MAX_MS);
    }
  }

  public static EbpfSensorConfig defaults() {
    return new EbpfSensorConfig(Map.of());
  }

  public boolean enabled() {
    return getBoolean(ENABLED);
  }

  public boolean ignoreOwnProcess() {
    return getBoolean(IGNORE_OWN_PROCESS);
  }

  public Optional<Path> loaderPath() {
    String p = getString(LOADER_PATH);
    return p.isBlank() ? Optional.empty() : Optional.of(Path.of(p));
  }

  public Duration restartBackoffMin() {
    return Duration.ofMillis(getLong(RESTART_BACKOFF_MIN_MS));
  }

  public Duration restartBackoffMax() {
    return Duration.ofMillis(getLong(RESTART_BACKOFF_MAX_MS));
  }

  /** The loader's command-line options for these settings (the loader path and pids excluded). */
  public List<String> loaderArguments() {
    List<String> args = new ArrayList<>();
    args.add("--capture-bytes=" + getInt(CAPTURE_BYTES));
    args.add("--ring-bytes=" + getInt(RING_BYTES));
    if (getInt(WAKEUP_BYTES) > 0) {
      args.add("--wakeup-bytes=" + getInt(WAKEUP_BYTES));
    }
    args.add("--poll-ms=" + getInt(POLL_MS));
    args.add("--stats-ms=" + getInt(STATS_MS));
    args.add("--max-connections=" + getInt(MAX_CONNECTIONS));
    args.add("--max-inflight=" + getInt(MAX_INFLIGHT));
    if (!getBoolean(CAPTURE_UNKNOWN)) {
      args.add("--no-capture-unknown");
    }
    if (getBoolean(BPF_STATS)) {
      args.add("--bpf-stats");
    }
    if (!getBoolean(ADOPT_EXISTING)) {
      args.add("--no-adopt");
    }
    if (!getBoolean(TLS_ENABLED)) {
      args.add("--no-tls");
    } else if (!getString(TLS_LIBSSL).isBlank()) {
      args.add("--libssl=" + getString(TLS_LIBSSL));
    }
    return args;
  }
}
