package io.peregrine.agent.procfs;

import io.peregrine.agent.internal.AsciiCursor;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses /proc/diskstats (Documentation/admin-guide/iostats.rst) and keeps whole devices only, as
 * Coroot's node agent does: partitions would count the same I/O twice, and loop, ram and zram
 * devices are not disks. A line is {@code major minor name} followed by 11 counters (kernels before
 * 4.18), 15 (4.18, discards) or 17 (5.5, flushes); the first 10 are used.
 */
public final class DiskStatsParser {

  public static final String SOURCE = "/proc/diskstats";

  private static final int SECTOR_BYTES = 512;

  private DiskStatsParser() {
  }

  public static List<DiskStat> parse(byte[] buf, int length, ParseProblems problems) {
    List<DiskStat> disks = new ArrayList<>();
    if (length == 0) {
      problems.report(SOURCE, Cause.EMPTY);
      return disks;
    }
    AsciiCursor c = new AsciiCursor(buf, length);
    long[] v = new long[10];
    while (c.nextLine()) {
      if (c.lineIsBlank()) {
        continue;
      }
      long major = c.nextLong();
      long minor = c.nextLong();
      if (major < 0 || minor < 0 || !c.nextToken()) {
        problems.report(SOURCE, Cause.MALFORMED_LINE);
        continue;
      }
      String name = c.tokenAsString();
      if (!isWholeDevice(name)) {
        continue;
      }
      if (!CounterColumns.read(c, v, problems, SOURCE)) {
        continue;
      }
      disks.add(new DiskStat(name, (int) major, (int) minor,
          v[0], v[4], v[2] * SECTOR_BYTES, v[6] * SECTOR_BYTES, v[3], v[7], v[9]));
    }
    if (c.truncatedTail()) {
      problems.report(SOURCE, Cause.TRUNCATED);
    }
    return disks;
  }

  /**
   * Whole-device names, the allowlist of Coroot's node agent ({@code node/disk.go}):
   * {@code dm-N}, {@code sdX}, {@code hdX}, {@code vdX}, {@code xvdX} (X = letters, so
   * {@code sdaa} too), {@code mdN}, {@code mmcblkN}, {@code nvmeNnN}, {@code rbdN}. Everything
   * else — partitions ({@code sda1}, {@code nvme0n1p1}, {@code mmcblk0p2}), {@code loopN},
   * {@code ramN}, {@code zramN}, {@code srN} — is skipped.
   */
  public static boolean isWholeDevice(String name) {
    if (name.startsWith("dm-")) {
      return digitsFrom(name, 3) == name.length();
    }
    if (name.startsWith("md")) {
      return digitsFrom(name, 2) == name.length();
    }
    if (name.startsWith("mmcblk")) {
      return digitsFrom(name, 6) == name.length();
    }
    if (name.startsWith("rbd")) {
      return digitsFrom(name, 3) == name.length();
    }
    if (name.startsWith("nvme")) {
      int afterController = digitsFrom(name, 4);
      return afterController > 4 && afterController < name.length()
          && name.charAt(afterController) == 'n'
          && digitsFrom(name, afterController + 1) == name.length();
    }
    int letters;
    if (name.startsWith("xvd")) {
      letters = 3;
    } else if (name.startsWith("sd") || name.startsWith("hd") || name.startsWith("vd")) {
      letters = 2;
    } else {
      return false;
    }
    if (letters == name.length()) {
      return false;
    }
    for (int i = letters; i < name.length(); i++) {
      char ch = name.charAt(i);
      if (ch < 'a' || ch > 'z') {
        return false;
      }
    }
    return true;
  }

  /** Index of the first non-digit at or after {@code from}; -1 when there is no digit there. */
  private static int digitsFrom(String s, int from) {
    int i = from;
    while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
    }
    return i == from ? -1 : i;
  }
}
