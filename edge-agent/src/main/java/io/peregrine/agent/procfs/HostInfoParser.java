package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.Ascii;
import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Single-value host files: boot id, machine id, kernel release and uptime. Each is validated
 * against its documented shape, so that a file holding something else (a mount gone wrong, an
 * empty placeholder in a container image) is reported instead of becoming a node identity.
 */
public final class HostInfoParser {

  public static final String BOOT_ID_SOURCE = "/proc/sys/kernel/random/boot_id";
  public static final String MACHINE_ID_SOURCE = "/etc/machine-id";
  public static final String OS_RELEASE_SOURCE = "/proc/sys/kernel/osrelease";
  public static final String UPTIME_SOURCE = "/proc/uptime";

  private HostInfoParser() {
  }

  /**
   * The boot id, a random UUID the kernel generates at boot ({@code random(4)}), in its canonical
   * lower-case 8-4-4-4-12 form.
   */
  public static Optional<String> bootId(byte[] buf, int length, ParseProblems problems) {
    String s = singleLine(buf, length, BOOT_ID_SOURCE, problems);
    if (s == null) {
      return Optional.empty();
    }
    s = s.toLowerCase(Locale.ROOT);
    if (!isUuid(s)) {
      problems.report(BOOT_ID_SOURCE, Cause.MALFORMED_LINE);
      return Optional.empty();
    }
    return Optional.of(s);
  }

  /**
   * The machine id ({@code machine-id(5)}): 32 lower-case hex digits. A UUID with dashes, as some
   * images write it, is accepted and normalised; {@code uninitialized} (systemd's first-boot
   * marker) and anything else are rejected.
   */
  public static Optional<String> machineId(byte[] buf, int length, ParseProblems problems) {
    String s = singleLine(buf, length, MACHINE_ID_SOURCE, problems);
    if (s == null) {
      return Optional.empty();
    }
    s = s.toLowerCase(Locale.ROOT);
    if (isUuid(s)) {
      s = s.replace("-", "");
    }
    if (s.length() != 32 || !isHex(s)) {
      problems.report(MACHINE_ID_SOURCE, Cause.MALFORMED_LINE);
      return Optional.empty();
    }
    return Optional.of(s);
  }

  /** The kernel release as {@code uname -r} prints it, e.g. {@code 6.8.0-45-generic}. */
  public static Optional<String> kernelRelease(byte[] buf, int length, ParseProblems problems) {
    String s = singleLine(buf, length, OS_RELEASE_SOURCE, problems);
    if (s == null) {
      return Optional.empty();
    }
    if (s.indexOf(' ') >= 0 || s.indexOf('\t') >= 0 || s.charAt(0) < '0' || s.charAt(0) > '9') {
      problems.report(OS_RELEASE_SOURCE, Cause.MALFORMED_LINE);
      return Optional.empty();
    }
    return Optional.of(s);
  }

  /** Seconds since boot, the first number of /proc/uptime ({@code 2097.70 3678.87}). */
  public static OptionalDouble uptimeSeconds(byte[] buf, int length, ParseProblems problems) {
    if (length == 0) {
      problems.report(UPTIME_SOURCE, Cause.EMPTY);
      return OptionalDouble.empty();
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    if (!c.nextLine()) {
      problems.report(UPTIME_SOURCE, Cause.TRUNCATED);
      return OptionalDouble.empty();
    }
    double uptime = c.nextToken() ? c.tokenAsDouble() : Double.NaN;
    if (!(uptime >= 0)) {
      problems.report(UPTIME_SOURCE, Cause.BAD_NUMBER);
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(uptime);
  }

  /**
   * The file's only line without surrounding whitespace; null (reported) when empty or when more
   * than one non-blank line is present. A missing final newline is tolerated: these files are
   * written whole, by the kernel or by an installer.
   */
  private static String singleLine(byte[] buf, int length, String source, ParseProblems problems) {
    int s = Ascii.trimStart(buf, 0, length);
    int e = Ascii.trimEnd(buf, s, length);
    if (s == e) {
      problems.report(source, Cause.EMPTY);
      return null;
    }
    if (Ascii.indexOf(buf, s, e, (byte) '\n') >= 0) {
      problems.report(source, Cause.MALFORMED_LINE);
      return null;
    }
    return Ascii.string(buf, s, e);
  }

  private static boolean isUuid(String s) {
    if (s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char ch = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? ch != '-' : !isHexChar(ch)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (!isHexChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** Lower-case hex digit (callers lower-case first). */
  private static boolean isHexChar(char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
  }
}
