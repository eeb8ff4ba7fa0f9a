package io.peregrine.agent.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Preconditions of the sensor tests. On a developer machine a missing precondition skips the test;
 * in CI ({@code CI=true}) it fails it, because there the toolchain is installed and the tests run
 * as root, so a skip would hide a broken sensor.
 */
public final class EbpfTestSupport {

  private EbpfTestSupport() {}

  public static boolean inCi() {
    return "true".equals(System.getenv("CI"));
  }

  /** Skips (developer machine) or fails (CI) with {@code why} unless {@code ok}. */
  public static void require(boolean ok, String why) {
    if (ok) {
      return;
    }
    if (inCi()) {
      fail(why + " (CI=true: tests that need eBPF must run here, not skip)");
    }
    assumeTrue(false, why);
  }

  /** A sensor with {@code settings} (EbpfSensorConfig's) telling {@code listener}, started and running. */
  public static EbpfSensor startedSensor(Map<?, ?> settings, SensorListener listener) throws InterruptedException {
    EbpfSensor sensor = new EbpfSensor(new EbpfSensorConfig(settings), listener);
    sensor.start();
    assertThat(sensor.awaitStarted(Duration.ofSeconds(60))).as("sensor state (%s)",
        sensor.unavailabilityDetail().orElse("")).isEqualTo(EbpfSensor.State.RUNNING);
    return sensor;
  }

  /** A listener of the L7 records alone, handed to {@code l7}. */
  public static SensorListener l7Listener(Consumer<L7Record> l7) {
    return new SensorListener() {
      @Override
      public void onConnection(ConnectionRecord r) {}

      @Override
      public void onL7(L7Record r) {
        l7.accept(r);
      }

      @Override
      public void onProcess(ProcessRecord r) {}
    };
  }

  private static Path extracted;

  /**
   * The loader the build put on the test classpath (target/classes/native for surefire, inside the
   * module's jar for failsafe), copied to an executable temporary file; null when not built.
   */
  public static synchronized Path builtLoader() {
    if (extracted != null) {
      return extracted;
    }
    try (InputStream in = EbpfSensor.class.getResourceAsStream(EbpfSensor.LOADER_RESOURCE)) {
      if (in == null) {
        return null;
      }
      Path file = Files.createTempFile("peregrine-loader-test-", "");
      Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      file.toFile().deleteOnExit();
      extracted = file;
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Path requireLoader() {
    Path loader = builtLoader();
    require(loader != null,
        "peregrine-loader not built (run src/main/native/build.sh target/classes/native; needs clang, "
            + "libbpf-dev, bpftool)");
    return loader;
  }

  /** Root (or the capabilities root has) and a kernel with BTF. */
  public static void requireEbpfHost() {
    require(isRoot(), "the eBPF sensor needs root (CAP_BPF, CAP_PERFMON)");
    require(Files.isReadable(Path.of("/sys/kernel/btf/vmlinux")), "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
  }

  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0"); // effective uid
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  static byte[] resource(String name) {
    try (InputStream in = EbpfTestSupport.class.getResourceAsStream("/ebpf/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource /ebpf/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * An nginx configuration for a test server: one worker in the foreground, its pid, logs and
   * temporary files under {@code dir}, no access log, and the given {@code server} blocks.
   */
  public static String nginxConf(Path dir, String... servers) {
    String temp = dir.toString();
    return String.join("\n",
        "worker_processes 1;",
        "daemon off;",
        "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("error.log") + ";",
        "events { worker_connections 64; }",
        "http {",
        "  access_log off;",
        "  client_body_temp_path " + temp + "; proxy_temp_path " + temp + "; fastcgi_temp_path " + temp + ";",
        "  uwsgi_temp_path " + temp + "; scgi_temp_path " + temp + ";",
        String.join("\n", servers),
        "}", "");
  }
}
