package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.agent.procfs.ProcLinks;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Descriptor counting on this machine's procfs: by the fd directory's size where the kernel
 * reports it (Linux 6.2+), and the socket owners still found when a descriptor number is reused
 * without the count changing.
 */
class SocketOwnersLiveTest {

  private static final Path PROC = Path.of("/proc");
  private final ScanProblems problems = new ScanProblems(new ProblemCounters(), null);

  @Test
  void shouldUseTheDirectorySizeOnlyWhereProcfsReportsTheCount() throws IOException {
    String[] release = Files.readString(PROC.resolve("sys/kernel/osrelease")).trim().split("[.-]");
    int major = Integer.parseInt(release[0]);
    int minor = Integer.parseInt(release[1]);
    boolean expected = major > 6 || (major == 6 && minor >= 2);
    assertThat(SocketOwners.procfsCountsDescriptors(PROC)).as("kernel " + major + "." + minor).isEqualTo(expected);
    assertThat(SocketOwners.procfsCountsDescriptors(Fixtures.root("host-debian12-vm").resolve("proc"))).isFalse();
  }

  @Test
  void shouldFindTheOwnerOfASocketOnAReusedDescriptorNumber() throws IOException {
    int pid = (int) ProcessHandle.current().pid();
    boolean byStat = SocketOwners.procfsCountsDescriptors(PROC);
    SocketOwners owners = new SocketOwners(PROC, problems, 1, 1_000, byStat);
    Set<Long> base = sockets();
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      long inodeA = added(base);
      int count = owners.list(pid, true, 0);
      assertThat(count).isPositive();
      LongIntMap wanted = new LongIntMap(4);
      wanted.putIfAbsent(inodeA, 0);
      assertThat(owners.owners(new int[] {pid}, 1, wanted, 0).get(inodeA)).isEqualTo(pid);

      a.close();
      // The lowest free number: normally A's, so the count does not change.
      try (ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        long inodeB = added(base);
        assertThat(owners.list(pid, false, 1)).isPositive();
        LongIntMap wantedB = new LongIntMap(4);
        wantedB.putIfAbsent(inodeB, 0);
        assertThat(owners.owners(new int[] {pid}, 1, wantedB, 1).get(inodeB)).isEqualTo(pid);
      }
    }
    assertThat(problems.reports()).isZero();
  }

  /**
   * Where the fd directory's size counts descriptors, it is kept open and counted by fstat(2):
   * the count follows the process's opens and closes, and once the process is gone (its pid
   * free for another) the handle is dropped and the process reported gone, not counted.
   */
  @Test
  void shouldCountThroughAKeptFdDirectoryUntilItsProcessIsGone() throws Exception {
    boolean byStat = SocketOwners.procfsCountsDescriptors(PROC);
    SocketOwners owners = new SocketOwners(PROC, problems, 1, 1_000, byStat, 8);
    // Its stdin, stdout, stderr: pipes. Counted only once it says it runs: until the exec, the pid
    // is the JDK's spawn helper, which holds one more descriptor.
    Process child = new ProcessBuilder("perl", "-e", "$|=1; print \"k\\n\"; sleep 60").start();
    try {
      assertThat(lines(child).readLine()).isEqualTo("k");
      int pid = (int) child.pid();
      int first = owners.list(pid, true, 1);
      assertThat(owners.list(pid, false, 2)).isEqualTo(first);
      assertThat(owners.dirHandles()).isEqualTo(byStat ? 1 : 0);

      // A quiet process that opens and closes one file on command (this JVM's own count moves with
      // its other threads).
      Process opener = new ProcessBuilder("perl", "-e", "$|=1; print \"k\\n\"; my @f; while (<STDIN>) { if (/^o/) { "
          + "open(my $h, '<', '/dev/null') or die; push @f, $h } else { pop @f } print \"k\\n\" }").start();
      int scan = 2;
      try {
        int other = (int) opener.pid();
        BufferedReader replies = lines(opener);
        assertThat(replies.readLine()).isEqualTo("k");
        Writer commands = new OutputStreamWriter(opener.getOutputStream(), StandardCharsets.US_ASCII);
        owners.list(other, true, 1);
        int before = owners.list(other, false, scan++);
        commands.write("o\n");
        commands.flush();
        assertThat(replies.readLine()).isEqualTo("k");
        assertThat(owners.list(other, false, scan++)).isEqualTo(before + 1);
        commands.write("c\n");
        commands.flush();
        assertThat(replies.readLine()).isEqualTo("k");
        assertThat(owners.list(other, false, scan++)).isEqualTo(before);
        assertThat(owners.dirHandles()).isEqualTo(byStat ? 2 : 0);
        opener.getOutputStream().close();
        assertThat(opener.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(owners.list(other, false, scan++)).isEqualTo(-1);
      } finally {
        opener.destroyForcibly();
      }

      child.destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(owners.list(pid, false, scan)).isEqualTo(-1);
      assertThat(owners.remembered()).isEmpty();
      assertThat(owners.dirHandles()).isZero();
      owners.close();
      assertThat(owners.dirHandles()).isZero();
    } finally {
      child.destroyForcibly();
    }
  }

  private static BufferedReader lines(Process process) {
    return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
  }

  /** Socket inodes of this process's descriptors. */
  private static Set<Long> sockets() throws IOException {
    Set<Long> out = new HashSet<>();
    try (var fds = Files.newDirectoryStream(PROC.resolve("self/fd"))) {
      for (Path fd : fds) {
        try {
          long inode = ProcLinks.socketInode(Files.readSymbolicLink(fd).toString());
          if (inode >= 0) {
            out.add(inode);
          }
        } catch (IOException e) {
          // closed meanwhile (the directory stream's own descriptor)
        }
      }
    }
    return out;
  }

  /** The one socket this process holds now and did not hold in {@code base}. */
  private static long added(Set<Long> base) throws IOException {
    Set<Long> now = sockets();
    now.removeAll(base);
    assertThat(now).hasSize(1);
    return now.iterator().next();
  }
}
