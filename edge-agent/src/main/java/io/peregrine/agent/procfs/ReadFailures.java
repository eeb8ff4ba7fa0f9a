package io.peregrine.agent.procfs;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** Classifies an I/O failure on a procfs or cgroupfs file into a {@link Cause}. */
public final class ReadFailures {

  private ReadFailures() {
  }

  /**
   * Failures of open(2) arrive as typed exceptions. Failures of read(2) do not: the JDK throws a
   * plain IOException carrying only strerror's text, so ESRCH (the task exited between open and
   * read, which /proc/&lt;pid&gt; files return) and EACCES are recognised by that text as a last
   * resort; the strings are glibc's and do not depend on the locale the JDK runs under.
   */
  public static Cause cause(IOException e) {
    if (e instanceof NoSuchFileException) {
      return Cause.VANISHED;
    }
    if (e instanceof AccessDeniedException) {
      return Cause.PERMISSION_DENIED;
    }
    String reason = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
    if (reason != null) {
      if (reason.contains("No such process") || reason.contains("No such file")) {
        return Cause.VANISHED;
      }
      if (reason.contains("Permission denied") || reason.contains("Operation not permitted")) {
        return Cause.PERMISSION_DENIED;
      }
    }
    return Cause.IO_ERROR;
  }
}
