package io.peregrine.agent.procfs;

/**
 * Where parsers and readers report what they skipped. Parsers never throw for bad content: they
 * keep what is good, and tell this sink why the rest was dropped, so that the agent can count every
 * cause and log it once rather than once per process or per line.
 *
 * <p>{@code source} names the kind of file, never a particular one: {@code /proc/stat},
 * {@code /proc/<pid>/stat}, {@code cgroup v2 memory.stat}. Pids, paths and values stay out of it
 * so that the number of distinct (source, cause) pairs is small and fixed.
 */
@FunctionalInterface
public interface ParseProblems {

  /** Why content was skipped. Branch on this, never on a message. */
  enum Cause {
    /** A line without the fields its format requires, or with fields in the wrong place. */
    MALFORMED_LINE(false),
    /** A field that must be a number is not one (or overflows). */
    BAD_NUMBER(false),
    /** A key or line the file should hold is absent, e.g. no {@code cpu} line in /proc/stat. */
    MISSING_FIELD(false),
    /** The content ends in the middle of a line: a short read, or not the expected file. */
    TRUNCATED(false),
    /** The file is empty where the kernel always writes something. */
    EMPTY(false),
    /**
     * A host-wide file that should exist does not: a wrong --proc-root or --sys-root, or a kernel
     * built without the feature. (Optional files, such as PSI on kernels without it, are not
     * reported.)
     */
    MISSING_FILE(false),
    /** The process exited between listing /proc and reading its files (ENOENT, ESRCH). */
    VANISHED(true),
    /** The agent may not read the file (EACCES, EPERM), e.g. /proc/&lt;pid&gt;/io without root. */
    PERMISSION_DENIED(false),
    /** Any other I/O failure. */
    IO_ERROR(false),
    /** A cgroup path that matches no known container, systemd or host layout. */
    UNKNOWN_CGROUP_LAYOUT(false);

    private final boolean expected;

    Cause(boolean expected) {
      this.expected = expected;
    }

    /** True for causes that happen on every healthy host and deserve no warning. */
    public boolean expected() {
      return expected;
    }
  }

  void report(String source, Cause cause);

  /** A sink that drops every report, for callers that do not care (and for benchmarks). */
  static ParseProblems ignoring() {
    return (source, cause) -> { };
  }
}
