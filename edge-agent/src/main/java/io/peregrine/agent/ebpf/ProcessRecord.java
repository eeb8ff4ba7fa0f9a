package io.peregrine.agent.ebpf;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A process lifecycle event from the kernel.
 *
 * @param pid thread group id
 * @param ppid real parent's thread group id, 0 when unknown (OOM_KILL)
 * @param startedAt when the process was forked, null when unknown (OOM_KILL)
 * @param comm kernel task name (at most 15 characters); may be empty for OOM_KILL on old kernels
 * @param filename for EXEC, the path given to execve; null otherwise
 * @param rawStatus for EXIT, the wait status ((code & 0xff) << 8 | signal); 9 for OOM_KILL
 */
public record ProcessRecord(
    Kind kind,
    Instant timestamp,
    long monotonicNanos,
    int pid,
    int ppid,
    Instant startedAt,
    String comm,
    String filename,
    int rawStatus)
    implements SensorRecord {

  public enum Kind { EXEC, EXIT, OOM_KILL }

  /** For EXIT by exit(2): the exit code 0-255. */
  public OptionalInt exitCode() {
    return kind == Kind.EXIT && (rawStatus & 0x7f) == 0
        ? OptionalInt.of((rawStatus >> 8) & 0xff)
        : OptionalInt.empty();
  }

  /** For EXIT by a signal, and for OOM_KILL: the signal number. */
  public OptionalInt signal() {
    if (kind == Kind.OOM_KILL) {
      return OptionalInt.of(9);
    }
    return kind == Kind.EXIT && (rawStatus & 0x7f) != 0
        ? OptionalInt.of(rawStatus & 0x7f)
        : OptionalInt.empty();
  }

  public Optional<Instant> started() {
    return Optional.ofNullable(startedAt);
  }
}
