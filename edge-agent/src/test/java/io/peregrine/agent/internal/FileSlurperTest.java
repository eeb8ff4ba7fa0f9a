package io.peregrine.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files kept open between reads: what a kept handle reads must be what opening the path would
 * read, on this machine's procfs (a living process, a dead one) as on a plain directory.
 */
class FileSlurperTest {

  @TempDir
  Path dir;

  private static String text(FileSlurper s) {
    return new String(s.buffer(), 0, s.length(), StandardCharsets.US_ASCII);
  }

  @Test
  void shouldReadAKeptFileAgainFromItsStartAndSeeItsNewContent() throws IOException {
    Path f = Files.writeString(dir.resolve("stat"), "first version, longer than the second\n");
    FileSlurper s = new FileSlurper(8, 1 << 20);
    s.keepOpen(4);
    s.readKept(f);
    assertThat(text(s)).isEqualTo("first version, longer than the second\n");
    Files.writeString(f, "second\n");  // in place, as procfs renders a file afresh
    s.readKept(f);
    assertThat(text(s)).isEqualTo("second\n");
    assertThat(s.keptFiles()).isEqualTo(1);
  }

  @Test
  void shouldCloseFilesNotReadSinceThePreviousSweepAndKeepNoMoreThanAllowed() throws IOException {
    FileSlurper s = new FileSlurper(64, 1 << 20);
    s.keepOpen(2);
    Path a = Files.writeString(dir.resolve("a"), "a");
    Path b = Files.writeString(dir.resolve("b"), "b");
    Path c = Files.writeString(dir.resolve("c"), "c");
    s.readKept(a);
    s.readKept(b);
    s.readKept(c);  // over the limit: read, not kept
    assertThat(text(s)).isEqualTo("c");
    assertThat(s.keptFiles()).isEqualTo(2);
    s.sweep();
    s.readKept(a);
    s.sweep();  // b was not read since the previous sweep
    assertThat(s.keptFiles()).isEqualTo(1);
    s.sweep();
    assertThat(s.keptFiles()).isZero();
    s.readKept(b);
    assertThat(text(s)).isEqualTo("b");
    s.keepOpen(0);
    assertThat(s.keptFiles()).isZero();
    s.readKept(c);
    assertThat(s.keptFiles()).isZero();
  }

  @Test
  void shouldCapAKeptReadLikeAnOpenedOne() throws IOException {
    Path f = Files.writeString(dir.resolve("big"), "0123456789abcdef0123");
    FileSlurper s = new FileSlurper(4, 16);
    s.keepOpen(1);
    assertThat(s.readKept(f)).isEqualTo(16);
    assertThat(s.capped()).isTrue();
    assertThat(s.readKept(f)).isEqualTo(16);
    assertThat(s.capped()).isTrue();
    Files.writeString(f, "short");
    assertThat(s.readKept(f)).isEqualTo(5);
    assertThat(s.capped()).isFalse();
  }

  @Test
  void shouldReportAMissingFileAsOpeningItWould() {
    FileSlurper s = new FileSlurper(64, 1 << 20);
    s.keepOpen(4);
    assertThatThrownBy(() -> s.readKept(dir.resolve("none"))).isInstanceOf(NoSuchFileException.class);
    assertThat(s.keptFiles()).isZero();
  }

  /** procfs renders /proc/&lt;pid&gt;/stat afresh at each read from offset 0 of the same handle. */
  @Test
  void shouldSeeFreshProcfsContentThroughAKeptHandle() throws IOException {
    Path stat = Path.of("/proc/thread-self/stat");
    FileSlurper s = new FileSlurper(64, 1 << 20);
    s.keepOpen(4);
    s.readKept(stat);
    long before = cpuTicks(text(s));
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    long sink = 0;
    while (System.nanoTime() < until) {
      sink += Long.numberOfTrailingZeros(sink + System.nanoTime());  // burn CPU
    }
    s.readKept(stat);
    assertThat(s.keptFiles()).as("the same handle, sink " + sink).isEqualTo(1);
    assertThat(cpuTicks(text(s))).isGreaterThan(before);
  }

  /**
   * A process that exited: its kept handle fails (ESRCH) and the path is gone, so the read says
   * the process vanished rather than repeating its last content; a new process behind the same
   * pid would be opened afresh the same way.
   */
  @Test
  void shouldNotReadADeadProcessThroughItsKeptHandle() throws Exception {
    Process p = new ProcessBuilder("sleep", "30").start();
    try {
      Path stat = Path.of("/proc/" + p.pid() + "/stat");
      FileSlurper s = new FileSlurper(64, 1 << 20);
      s.keepOpen(4);
      s.readKept(stat);
      assertThat(text(s)).startsWith(p.pid() + " (sleep) ");
      p.destroyForcibly();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();  // reaped: the pid is free
      assertThatThrownBy(() -> s.readKept(stat)).isInstanceOf(NoSuchFileException.class);
      assertThat(s.keptFiles()).isZero();
    } finally {
      p.destroyForcibly();
    }
  }

  /** utime + stime of a stat line (fields 14 and 15, after the parenthesised name). */
  private static long cpuTicks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
