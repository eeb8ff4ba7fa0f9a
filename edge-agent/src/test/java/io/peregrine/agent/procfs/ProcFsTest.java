package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.procfs.IpAddressTest.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The reader over fixture trees used as --proc-root and --host-root. */
class ProcFsTest {

  private final ProblemCounters problems = new ProblemCounters();
  private final Path host = Fixtures.root("host-debian12-vm");
  private final ProcFs procFs =
      new ProcFs(host.resolve("proc"), host, 100, ByteOrder.LITTLE_ENDIAN, problems);

  @Test
  void shouldReadEveryNodeFileUnderTheConfiguredRoots() {
    assertThat(procFs.kernelStat()).hasValueSatisfying(s -> assertThat(s.onlineCpus()).isEqualTo(2));
    assertThat(procFs.loadAvg()).hasValueSatisfying(l -> assertThat(l.load1()).isEqualTo(2.41));
    assertThat(procFs.memInfo())
        .hasValueSatisfying(m -> assertThat(m.totalBytes()).isEqualTo(24684084L * 1024));
    assertThat(procFs.diskStats()).extracting(DiskStat::device).containsExactly("vda");
    assertThat(procFs.netDev()).extracting(NetDevStat::name)
        .containsExactly("lo", "ifb0", "ifb1", "eth0");
    assertThat(procFs.tcpCounters())
        .hasValueSatisfying(t -> assertThat(t.listenOverflows()).isEqualTo(13));
    assertThat(procFs.pressure("cpu"))
        .hasValueSatisfying(p -> assertThat(p.someTotalMicros()).isEqualTo(106991932));
    assertThat(procFs.bootId()).hasValue("d1052078-83bb-4404-b565-78d3052f72be");
    assertThat(procFs.machineId()).hasValue("3d1219c7c4c5404aaa1f6d2a48adfda4");
    assertThat(procFs.kernelRelease()).hasValue("6.18.44-fc-v669");
    assertThat(procFs.uptimeSeconds()).hasValue(2097.70);
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldTreatMissingPsiAsAbsentNotAsAProblem() {
    assertThat(procFs.pressure("irq")).isEmpty();
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldListPidsAndReadTheirFiles() {
    assertThat(procFs.pids()).containsExactly(2, 16207, 16208);
    assertThat(procFs.pidStat(16207)).hasValueSatisfying(s -> assertThat(s.comm()).isEqualTo("x) (y z"));
    assertThat(procFs.pidStatus(16208)).hasValueSatisfying(s -> assertThat(s.threads()).isEqualTo(1));
    assertThat(procFs.pidIo(16208)).hasValueSatisfying(io -> assertThat(io.readBytes()).isEqualTo(4096));
    assertThat(procFs.cmdline(16207, 1024)).hasValue(new Cmdline("/tmp/x) (y z 300", false));
    assertThat(procFs.cmdline(2, 1024)).isEmpty();
    assertThat(problems.total()).isZero();
  }

  @Test
  void shouldReportAProcessThatVanishedMidScan() {
    assertThat(procFs.pidStat(99999)).isEmpty();
    assertThat(procFs.pidIo(99999)).isEmpty();
    assertThat(reported(problems)).containsExactlyInAnyOrder(
        "/proc/<pid>/stat VANISHED", "/proc/<pid>/io VANISHED");
  }

  @Test
  void shouldReadBothSocketTablesIntoOneList() {
    List<TcpSocket> listens = procFs.tcpSockets(TcpState.LISTEN.bit());
    assertThat(listens).extracting(s -> s.localAddress().ipv4()
            ? s.localAddress() + ":" + s.localPort() : "[" + s.localAddress() + "]:" + s.localPort())
        .containsExactly("0.0.0.0:2024", "127.0.0.1:48090", "[::]:48092", "[::1]:48091");
    assertThat(listens.get(2).localAddress()).isEqualTo(ip("::"));
  }

  @Test
  void shouldReportMissingNodeFilesOfAWrongRoot(@TempDir Path empty) {
    ProcFs wrong = new ProcFs(empty, empty, 100, problems);
    assertThat(wrong.kernelStat()).isEmpty();
    assertThat(wrong.tcpCounters()).isEmpty();
    assertThat(wrong.machineId()).isEmpty();
    assertThat(wrong.pids()).isEmpty();
    assertThat(reported(problems)).containsExactlyInAnyOrder(
        "/proc/stat MISSING_FILE", "/proc/net/netstat MISSING_FILE",
        "/proc/net/snmp MISSING_FILE");
  }

  @Test
  void shouldFallBackToTheDbusMachineId(@TempDir Path root) throws IOException {
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/machine-id"), "\n");  // as container images ship it
    Files.createDirectories(root.resolve("var/lib/dbus"));
    Files.writeString(root.resolve("var/lib/dbus/machine-id"), "0123456789abcdef0123456789abcdef\n");
    ProcFs procFs = new ProcFs(root, root, 100, problems);
    assertThat(procFs.machineId()).hasValue("0123456789abcdef0123456789abcdef");
    assertThat(reported(problems)).isEqualTo(problems("/etc/machine-id", Cause.EMPTY));
  }

  @Test
  void shouldCountDescriptorsAndMapSocketsToTheirOwner(@TempDir Path proc) throws IOException {
    // fd/ and exe are symbolic links, which a resource tree cannot hold: built here, with the
    // targets recorded in host-debian12-vm/proc/16208/fd.txt.
    Path fd = Files.createDirectories(proc.resolve("16208/fd"));
    Files.createSymbolicLink(fd.resolve("0"), Path.of("pipe:[27633]"));
    Files.createSymbolicLink(fd.resolve("3"), Path.of("socket:[28682]"));
    Files.createSymbolicLink(fd.resolve("6"), Path.of("socket:[28685]"));
    Files.createSymbolicLink(fd.resolve("10"), Path.of("/dev/null"));
    Files.createSymbolicLink(proc.resolve("16208/exe"), Path.of("/root/.pyenv/versions/3.11.7/bin/python3.11"));
    Path child = Files.createDirectories(proc.resolve("16300/fd"));
    Files.createSymbolicLink(child.resolve("3"), Path.of("socket:[28682]"));  // inherited by fork
    ProcFs procFs = new ProcFs(proc, proc, 100, problems);

    List<Long> inodes = new ArrayList<>();
    assertThat(procFs.scanFds(16208, inodes::add)).isEqualTo(4);
    assertThat(inodes).containsExactlyInAnyOrder(28682L, 28685L);
    assertThat(procFs.socketOwners()).isEqualTo(Map.of(28682L, 16208, 28685L, 16208));
    assertThat(procFs.exe(16208)).hasValue("/root/.pyenv/versions/3.11.7/bin/python3.11");
    assertThat(procFs.scanFds(99999, null)).isEqualTo(-1);
    assertThat(reported(problems)).isEqualTo(problems("/proc/<pid>/fd", Cause.VANISHED));
  }

  record Failure(IOException exception, Cause cause) {
    @Override
    public String toString() {
      return exception + " -> " + cause;
    }
  }

  static Stream<Failure> failures() {
    return Stream.of(
        new Failure(new NoSuchFileException("/proc/42/stat"), Cause.VANISHED),
        new Failure(new AccessDeniedException("/proc/42/io"), Cause.PERMISSION_DENIED),
        // read(2) failures: the JDK gives strerror's text only.
        new Failure(new IOException("No such process"), Cause.VANISHED),
        new Failure(new FileSystemException("/proc/42/fd", null, "Permission denied"),
            Cause.PERMISSION_DENIED),
        new Failure(new IOException("Input/output error"), Cause.IO_ERROR),
        new Failure(new IOException((String) null), Cause.IO_ERROR));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void shouldClassifyReadFailuresByCause(Failure f) {
    assertThat(ReadFailures.cause(f.exception())).isEqualTo(f.cause());
  }
}
