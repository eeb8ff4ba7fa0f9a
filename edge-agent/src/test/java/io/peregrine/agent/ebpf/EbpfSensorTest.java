package io.peregrine.agent.ebpf;

import static io.peregrine.agent.ebpf.RecordLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Supervision against stand-in loaders (shell scripts speaking the loader's protocol: frames on
 * stdout, one-line errors on stderr, exit statuses of records.h): running, the permanent failures
 * that make the sensor unavailable, and restarts of a loader that dies.
 */
class EbpfSensorTest {

  @TempDir
  Path dir;

  private final List<SensorRecord> received = new CopyOnWriteArrayList<>();
  private final List<EbpfSensor.State> states = new CopyOnWriteArrayList<>();

  private final SensorListener listener = new SensorListener() {
    @Override
    public void onConnection(ConnectionRecord record) {
      received.add(record);
    }

    @Override
    public void onL7(L7Record record) {
      received.add(record);
    }

    @Override
    public void onProcess(ProcessRecord record) {
      received.add(record);
    }

    @Override
    public void onStats(SensorStats stats) {
      received.add(stats);
    }

    @Override
    public void onStateChange(EbpfSensor.State state) {
      states.add(state);
    }
  };

  private Path script(String name, String body) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return p;
  }

  private Path frames(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private EbpfSensor sensor(Path loader) {
    return new EbpfSensor(new EbpfSensorConfig(Map.of(
        EbpfSensorConfig.LOADER_PATH, loader.toString(),
        EbpfSensorConfig.RESTART_BACKOFF_MIN_MS, "10",
        EbpfSensorConfig.RESTART_BACKOFF_MAX_MS, "40")), listener);
  }

  private static void await(Duration bound, BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void shouldRunDeliverRecordsAndStopWhenClosed() throws Exception {
    Path out = frames("run.bin", Records.frames(
        Records.hello(1_000, 2_000),
        Records.connection(CONN_OPEN, DIR_OUTBOUND, 10, 3, 1_100),
        Records.l7("GET / HTTP/1.1\r\n".getBytes(), "HTTP/1.1 200 OK\r\n".getBytes(), 200, 1_200)));
    // Like the loader: frames, then run until stdin closes.
    Path loader = script("loader", "cat '" + out + "'\ncat > /dev/null\nexit 0");

    try (EbpfSensor sensor = sensor(loader)) {
      sensor.start();
      assertThat(sensor.awaitStarted(Duration.ofSeconds(10))).isEqualTo(EbpfSensor.State.RUNNING);
      await(Duration.ofSeconds(10), () -> received.size() == 2, "two records");
      sensor.close();
      assertThat(sensor.state()).isEqualTo(EbpfSensor.State.STOPPED);
      assertThat(sensor.restarts()).isZero();
      assertThat(sensor.badFrames()).isEmpty();
    }
    assertThat(received.get(0)).isInstanceOf(ConnectionRecord.class);
    assertThat(received.get(1)).isInstanceOf(L7Record.class);
    assertThat(states).containsExactly(EbpfSensor.State.STARTING, EbpfSensor.State.RUNNING, EbpfSensor.State.STOPPED);
  }

  @Test
  void shouldBecomeUnavailableWithoutRestartingWhenPrivilegesAreMissing() throws Exception {
    Path loader = script("loader",
        "echo 'peregrine-loader: no privileges: need CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON' >&2\nexit "
            + EXIT_NO_PRIV);

    try (EbpfSensor sensor = sensor(loader)) {
      sensor.start();
      assertThat(sensor.awaitStarted(Duration.ofSeconds(10))).isEqualTo(EbpfSensor.State.UNAVAILABLE);
      assertThat(sensor.unavailability()).contains(EbpfSensor.Unavailability.NO_PRIVILEGES);
      assertThat(sensor.unavailabilityDetail()).hasValueSatisfying(d -> assertThat(d).contains("no privileges"));
      assertThat(sensor.restarts()).isZero();
    }
  }

  @Test
  void shouldClassifyEveryPermanentLoaderFailure() throws Exception {
    Map<Integer, EbpfSensor.Unavailability> expected = Map.of(
        EXIT_USAGE, EbpfSensor.Unavailability.BAD_CONFIGURATION,
        EXIT_NO_BTF, EbpfSensor.Unavailability.NO_BTF,
        EXIT_VERIFIER, EbpfSensor.Unavailability.VERIFIER_REJECTED,
        EXIT_ATTACH, EbpfSensor.Unavailability.ATTACH_FAILED,
        EXIT_KERNEL, EbpfSensor.Unavailability.UNSUPPORTED_KERNEL);
    for (var e : expected.entrySet()) {
      Path loader = script("loader-" + e.getKey(),
          "echo 'verifier log:' >&2\necho '13: invalid access' >&2\necho 'peregrine-loader: failure' >&2\nexit "
              + e.getKey());
      try (EbpfSensor sensor = sensor(loader)) {
        sensor.start();
        assertThat(sensor.awaitStarted(Duration.ofSeconds(10))).isEqualTo(EbpfSensor.State.UNAVAILABLE);
        assertThat(sensor.unavailability()).as("exit %d", e.getKey()).contains(e.getValue());
        assertThat(sensor.unavailabilityDetail()).contains("peregrine-loader: failure");
        assertThat(sensor.restarts()).isZero();
      }
    }
  }

  @Test
  void shouldRestartACrashedLoaderWithBackoffAndCountIt() throws Exception {
    Path hello = frames("hello.bin", Records.frames(Records.hello(1, 2)));
    Path runs = dir.resolve("runs");
    // First two runs crash after attaching (one by exit status, one killed by a signal); the third
    // stays up.
    Path loader = script("loader", String.join("\n",
        "echo x >> '" + runs + "'",
        "n=$(wc -l < '" + runs + "')",
        "cat '" + hello + "'",
        "[ \"$n\" -eq 1 ] && exit 1",
        "[ \"$n\" -eq 2 ] && kill -9 $$",
        "cat > /dev/null"));

    try (EbpfSensor sensor = sensor(loader)) {
      sensor.start();
      // The listener hears of a state just after state() returns it: wait for what it heard.
      await(Duration.ofSeconds(20), () -> sensor.restarts() == 2 && sensor.state() == EbpfSensor.State.RUNNING
          && states.get(states.size() - 1) == EbpfSensor.State.RUNNING && states.size() >= 5,
          "two restarts, then running");
      assertThat(states).containsSubsequence(
          EbpfSensor.State.RUNNING, EbpfSensor.State.RESTARTING, EbpfSensor.State.RUNNING,
          EbpfSensor.State.RESTARTING, EbpfSensor.State.RUNNING);
      sensor.close();
      assertThat(sensor.state()).isEqualTo(EbpfSensor.State.STOPPED);
    }
    assertThat(Files.readAllLines(runs)).hasSize(3);
  }

  @Test
  void shouldBecomeUnavailableWhenTheLoaderCannotBeExecuted() throws Exception {
    Path notExecutable = dir.resolve("loader");
    Files.writeString(notExecutable, "not a program");

    try (EbpfSensor sensor = sensor(notExecutable)) {
      sensor.start();
      assertThat(sensor.awaitStarted(Duration.ofSeconds(10))).isEqualTo(EbpfSensor.State.UNAVAILABLE);
      assertThat(sensor.unavailability()).contains(EbpfSensor.Unavailability.CANNOT_START);
    }
  }

  @Test
  void shouldNotStartWhenDisabled() throws Exception {
    try (EbpfSensor sensor = new EbpfSensor(new EbpfSensorConfig(Map.of(EbpfSensorConfig.ENABLED, "false")), listener)) {
      sensor.start();
      assertThat(sensor.state()).isEqualTo(EbpfSensor.State.UNAVAILABLE);
      assertThat(sensor.unavailability()).contains(EbpfSensor.Unavailability.DISABLED);
    }
  }

  @Test
  void shouldCountBadFramesFromTheLoader() throws Exception {
    byte[] good = Records.frames(Records.hello(1, 2));
    byte[] garbage = "garbage on stdout".getBytes();
    byte[] stream = new byte[good.length + garbage.length];
    System.arraycopy(good, 0, stream, 0, good.length);
    System.arraycopy(garbage, 0, stream, good.length, garbage.length);
    Path out = frames("bad.bin", stream);
    Path loader = script("loader", "cat '" + out + "'\ncat > /dev/null");

    try (EbpfSensor sensor = sensor(loader)) {
      sensor.start();
      assertThat(sensor.awaitStarted(Duration.ofSeconds(10))).isEqualTo(EbpfSensor.State.RUNNING);
      await(Duration.ofSeconds(10), () -> !sensor.badFrames().isEmpty(), "a bad frame counted");
      sensor.close();
      // Still counted once the run is over (carried over from the run's decoder).
      assertThat(sensor.badFrames().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1);
    }
  }
}
