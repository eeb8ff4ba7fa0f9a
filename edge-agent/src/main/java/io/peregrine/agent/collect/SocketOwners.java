package io.peregrine.agent.collect;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProcLinks;
import io.peregrine.agent.procfs.ReadFailures;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds which process holds each socket, by the {@code socket:[inode]} targets of
 * /proc/&lt;pid&gt;/fd links, without reading every link at every scan.
 *
 * <p>A readlink costs microseconds; a host with 1,000 processes and 10,000 sockets has tens of
 * thousands of descriptors, and their targets rarely change. So each process's descriptors are
 * remembered by number: a scan lists the fd directories (which also counts them) and reads only
 * the links of numbers it has not seen. A number closed and reused between two scans keeps its old
 * target in memory; that shows as a socket of the tables without an owner, and is resolved in
 * widening passes, each only if sockets are still unowned:
 * <ol>
 *   <li>the descriptors whose remembered socket left the tables since the previous scan — a
 *       server that closes a connection and accepts another gets the same number back;
 *   <li>every descriptor of the processes that hold TCP sockets;
 *   <li>every descriptor of every process.
 * </ol>
 * Where procfs reports the number of descriptors as the fd directory's size (Linux 6.2+), a scan
 * does not even list: one stat(2) per process gives the count, and only a process whose count
 * changed is listed; the passes above then list the directories they read. The fd directory is
 * kept open for that stat (an fstat(2) spares the path walk; at most {@code maxDirHandles} of
 * them): it fails once its process is gone, a reused pid's new process included, and the
 * directory is then listed by path.
 *
 * <p>Sockets still unowned after that (a connection waiting in an accept queue, a process the agent
 * may not inspect) start no new pass before {@code retryScans} scans. Independently, each
 * process's links are all read again every {@code refreshScans} scans (staggered by pid), which
 * bounds how long a socket handed to another process keeps its former owner.
 *
 * <p>Not thread-safe; used by the scan thread only.
 */
final class SocketOwners {

  static final String FD_SOURCE = "/proc/<pid>/fd";

  private static final int[] NO_FDS = new int[0];
  private static final long[] NO_TARGETS = new long[0];
  /** Target of a descriptor that is not a socket. */
  private static final long NOT_A_SOCKET = -1;

  /** The remembered descriptors of one process, sorted by number. */
  private static final class FdTable {
    int[] fds = NO_FDS;
    long[] targets = NO_TARGETS;
    long refreshedScan = -1;
    boolean hasSockets;
    boolean hasTcp;
    /** The fd directory, kept open to count its entries by fstat(2); null when not open. */
    FileChannel dir;
  }

  private final Path procRoot;
  private final String procRootText;
  private final boolean countsByStat;
  private final ScanProblems problems;
  private final int retryScans;
  private final int refreshScans;
  private final Map<Integer, FdTable> tables = new HashMap<>();
  private LongIntMap previousWanted = new LongIntMap(16);
  private final Map<Long, Long> givenUpSince = new HashMap<>();
  private final int maxDirHandles;
  private int dirHandles;
  private int[] scratch = new int[1024];
  private long readlinks;
  private long fullPasses;

  /**
   * @param countsByStat count descriptors by the size of the fd directories, and list them only
   *     when that count changed, a refresh is due, or sockets are still unowned; only where
   *     {@link #procfsCountsDescriptors} holds
   */
  SocketOwners(Path procRoot, ScanProblems problems, int retryScans, int refreshScans, boolean countsByStat) {
    this(procRoot, problems, retryScans, refreshScans, countsByStat, 0);
  }

  /** @param maxDirHandles how many fd directories to keep open when counting by stat */
  SocketOwners(Path procRoot, ScanProblems problems, int retryScans, int refreshScans, boolean countsByStat,
      int maxDirHandles) {
    this.maxDirHandles = maxDirHandles;
    this.procRoot = procRoot;
    this.procRootText = procRoot.toString();
    this.countsByStat = countsByStat;
    this.problems = problems;
    this.retryScans = Math.max(1, retryScans);
    this.refreshScans = Math.max(1, refreshScans);
  }

  /**
   * Lists the descriptors of {@code pid} and reads the links of those not seen before (of all of
   * them when {@code fresh}, a process not seen before, or when its periodic refresh is due).
   *
   * @return the number of open descriptors, or -1 when the directory cannot be read (reported)
   */
  int list(int pid, boolean fresh, long scan) {
    if (fresh) {
      forget(pid);
    }
    FdTable table = fresh ? null : tables.get(pid);
    boolean refresh = table == null || table.refreshedScan < 0 || (scan + pid) % refreshScans == 0;
    String dir = fdDir(pid);
    if (countsByStat && !refresh) {
      // procfs (Linux 6.2+) reports the number of open descriptors as the directory's size: when
      // it is the number remembered, the numbers are taken to be the same ones. A number closed
      // and reused meanwhile is caught by owners(), whose passes list the directories again.
      long count = countByStat(table, dir);
      if (count > 0 && count == table.fds.length) {
        return (int) count;
      }
    }
    int n = listNumbers(pid, dir);
    if (n < 0) {
      return -1;
    }
    if (table == null) {
      table = new FdTable();
      tables.put(pid, table);
    }
    merge(pid, Path.of(dir), table, scratch, n, refresh, scan);
    return n;
  }

  /**
   * Lists {@code dir} into {@code scratch}, sorted; the count, or -1 (reported, and the process
   * forgotten) when the directory cannot be read.
   */
  private int listNumbers(int pid, String dir) {
    // java.io.File.list reads the names in one native call; a DirectoryStream makes a Path per
    // entry, which is a tenth of the cost of a scan of a host with tens of thousands of descriptors.
    String[] names = new File(dir).list();
    if (names == null) {
      // File.list says nothing of why: ask again through NIO for the cause.
      try (DirectoryStream<Path> ignored = Files.newDirectoryStream(Path.of(dir))) {
        problems.report(FD_SOURCE, Cause.VANISHED);  // listed now: it was gone or not a directory
      } catch (IOException e) {
        problems.report(FD_SOURCE, e instanceof NoSuchFileException ? Cause.VANISHED : ReadFailures.cause(e));
      }
      forget(pid);
      return -1;
    }
    if (scratch.length < names.length) {
      scratch = new int[Math.max(names.length, scratch.length * 2)];
    }
    int n = 0;
    for (String name : names) {
      int fd = parseFd(name);
      if (fd >= 0) {
        scratch[n++] = fd;
      }
    }
    Arrays.sort(scratch, 0, n);
    return n;
  }

  /**
   * Whether {@code <procRoot>/self/fd} reports its number of entries as its size, as procfs does
   * since Linux 6.2 ("proc: report open files as size in stat() for /proc/pid/fd"); a fixture tree
   * or an older kernel does not. Listing the directory opens one more descriptor, so the listing
   * may hold one entry more than the size said.
   */
  static boolean procfsCountsDescriptors(Path procRoot) {
    File self = procRoot.resolve("self").resolve("fd").toFile();
    for (int attempt = 0; attempt < 3; attempt++) {  // other threads may open files meanwhile
      long size = self.length();
      String[] names = self.list();
      if (names != null && size > 0 && (names.length == size || names.length == size + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Forgets a process that is gone (or whose pid now names another process). */
  void forget(int pid) {
    FdTable t = tables.remove(pid);
    if (t != null) {
      closeDir(t);
    }
  }

  /** Forgets every process not in {@code alive}. */
  void retain(Set<Integer> alive) {
    for (Iterator<Map.Entry<Integer, FdTable>> it = tables.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Integer, FdTable> e = it.next();
      if (!alive.contains(e.getKey())) {
        closeDir(e.getValue());
        it.remove();
      }
    }
  }

  /** Closes the fd directories kept open; they are opened again as needed. */
  void close() {
    tables.values().forEach(this::closeDir);
  }

  /** fd directories kept open now. */
  int dirHandles() {
    return dirHandles;
  }

  /**
   * The size of the fd directory, through the handle kept open (opened now if there is room);
   * -1 when it cannot be had (the process is gone: the listing that follows tells).
   */
  private long countByStat(FdTable table, String dir) {
    if (table.dir == null && dirHandles < maxDirHandles) {
      try {
        table.dir = FileChannel.open(Path.of(dir));
        dirHandles++;
      } catch (IOException | UnsupportedOperationException e) {
        return -1;
      }
    }
    if (table.dir == null) {
      return new File(dir).length();
    }
    try {
      return table.dir.size();
    } catch (IOException e) {
      closeDir(table);  // its process is gone: the pid may name a new one by now
      return -1;
    }
  }

  private void closeDir(FdTable table) {
    if (table.dir != null) {
      try {
        table.dir.close();
      } catch (IOException e) {
        // released whatever close reports
      }
      table.dir = null;
      dirHandles--;
    }
  }

  /**
   * The owner of each inode of {@code wanted} (its keys): the lowest pid (of {@code pids},
   * ascending) holding it. Inodes no process holds are left out.
   */
  LongIntMap owners(int[] pids, int pidCount, LongIntMap wanted, long scan) {
    List<long[]> stale = new ArrayList<>();
    LongIntMap found = assign(pids, pidCount, wanted, stale);
    if (hasMissing(wanted, found, scan)) {
      // Only the links read again change: their new targets are added to the owners found (the
      // old ones were not wanted) rather than every table assigned again.
      for (long[] ref : stale) {
        int pid = (int) ref[0];
        FdTable t = tables.get(pid);
        if (t != null && t.refreshedScan != scan) {
          long target = reread(pid, t, (int) ref[1]);
          if (target >= 0 && wanted.containsKey(target)) {
            int owner = found.get(target);
            if (owner == LongIntMap.MISSING || pid < owner) {
              found.put(target, pid);
            }
          }
          t.hasTcp = holdsTcp(t, wanted);
        }
      }
      if (hasMissing(wanted, found, scan)) {
        for (int i = 0; i < pidCount; i++) {
          FdTable t = tables.get(pids[i]);
          if (t != null && t.hasTcp && t.refreshedScan != scan) {
            reread(pids[i], t, scan);
          }
        }
        found = assign(pids, pidCount, wanted, null);
      }
      if (hasMissing(wanted, found, scan)) {
        fullPasses++;
        for (int i = 0; i < pidCount; i++) {
          FdTable t = tables.get(pids[i]);
          if (t != null && t.refreshedScan != scan) {
            reread(pids[i], t, scan);
          }
        }
        found = assign(pids, pidCount, wanted, null);
      }
      LongIntMap owners = found;
      wanted.forEachKey(inode -> {
        if (!owners.containsKey(inode)) {
          givenUpSince.putIfAbsent(inode, scan);
        }
      });
    }
    givenUpSince.keySet().removeIf(inode -> !wanted.containsKey(inode));
    previousWanted = wanted;
    return found;
  }

  /** True when descriptors are counted by the fd directories' size rather than listed. */
  boolean countsByStat() {
    return countsByStat;
  }

  /** Links read so far (a cost figure for benchmarks and tests). */
  long readlinks() {
    return readlinks;
  }

  /** Scans in which every process's links had to be read again. */
  long fullPasses() {
    return fullPasses;
  }

  // -------------------------------------------------------------------------------- plumbing

  private boolean hasMissing(LongIntMap wanted, LongIntMap owners, long scan) {
    if (owners.size() == wanted.size()) {
      return false;
    }
    boolean[] missing = {false};
    wanted.forEachKey(inode -> {
      if (!missing[0] && !owners.containsKey(inode)) {
        Long since = givenUpSince.get(inode);
        if (since == null || scan - since >= retryScans) {
          if (since != null) {
            givenUpSince.remove(inode);
          }
          missing[0] = true;
        }
      }
    });
    return missing[0];
  }

  /**
   * Owners from the remembered targets. With {@code stale}, also collects (pid, fd) of the
   * descriptors whose remembered socket was in the previous scan's tables and is not any more.
   */
  private LongIntMap assign(int[] pids, int pidCount, LongIntMap wanted, List<long[]> stale) {
    LongIntMap owners = new LongIntMap(wanted.size());
    for (int i = 0; i < pidCount; i++) {
      FdTable t = tables.get(pids[i]);
      if (t == null || !t.hasSockets) {
        continue;
      }
      int pid = pids[i];
      boolean tcp = false;
      long[] targets = t.targets;
      for (int j = 0; j < targets.length; j++) {
        long target = targets[j];
        if (target < 0) {
          continue;
        }
        if (wanted.containsKey(target)) {
          owners.putIfAbsent(target, pid);
          tcp = true;
        } else if (previousWanted.containsKey(target)) {
          tcp = true;
          if (stale != null) {
            stale.add(new long[] {pids[i], t.fds[j]});
          }
        }
      }
      t.hasTcp = tcp;
    }
    return owners;
  }

  /** Merges the listed numbers into the table, reading the links of new numbers. */
  private void merge(int pid, Path dir, FdTable table, int[] listed, int n, boolean all, long scan) {
    if (!all && table.fds.length == n && Arrays.equals(table.fds, 0, n, listed, 0, n)) {
      return;  // the same numbers as last time: nothing to read
    }
    int[] fds = new int[n];
    long[] targets = new long[n];
    int kept = 0;
    int j = 0;
    boolean sockets = false;
    for (int i = 0; i < n; i++) {
      int fd = listed[i];
      while (j < table.fds.length && table.fds[j] < fd) {
        j++;
      }
      long target;
      if (!all && j < table.fds.length && table.fds[j] == fd) {
        target = table.targets[j];
      } else {
        target = readTarget(dir, fd);
        if (target == Long.MIN_VALUE) {
          continue;  // closed since the directory was listed
        }
      }
      fds[kept] = fd;
      targets[kept] = target;
      sockets |= target >= 0;
      kept++;
    }
    table.fds = kept == n ? fds : Arrays.copyOf(fds, kept);
    table.targets = kept == n ? targets : Arrays.copyOf(targets, kept);
    table.hasSockets = sockets;
    if (all) {
      table.refreshedScan = scan;
    }
  }

  /** Reads one remembered descriptor's link again. */
  /** @return the new target, or {@link #NOT_A_SOCKET} */
  private long reread(int pid, FdTable table, int fd) {
    int j = Arrays.binarySearch(table.fds, fd);
    if (j < 0) {
      return NOT_A_SOCKET;
    }
    long target = readTarget(procRoot.resolve(Integer.toString(pid)).resolve("fd"), fd);
    if (target == Long.MIN_VALUE) {
      target = NOT_A_SOCKET;  // closed since listed; the next listing drops it
    }
    table.targets[j] = target;
    table.hasSockets |= target >= 0;
    return target;
  }

  /** What {@link #assign} would make of {@link FdTable#hasTcp}. */
  private boolean holdsTcp(FdTable t, LongIntMap wanted) {
    for (long target : t.targets) {
      if (target >= 0 && (wanted.containsKey(target) || previousWanted.containsKey(target))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads every link of a process again: the remembered numbers, which the scan's listing brought
   * up to date; or, when counts came from the directory's size, the numbers listed now.
   */
  private void reread(int pid, FdTable table, long scan) {
    String dir = fdDir(pid);
    if (countsByStat) {
      int n = listNumbers(pid, dir);
      if (n >= 0) {
        merge(pid, Path.of(dir), table, scratch, n, true, scan);
      }
      return;
    }
    int[] fds = table.fds;
    merge(pid, Path.of(dir), table, fds, fds.length, true, scan);
  }

  private String fdDir(int pid) {
    return procRootText + '/' + pid + "/fd";
  }

  /** The socket inode, {@link #NOT_A_SOCKET}, or Long.MIN_VALUE when the link is gone. */
  private long readTarget(Path dir, int fd) {
    readlinks++;
    try {
      long inode = ProcLinks.socketInode(Files.readSymbolicLink(dir.resolve(Integer.toString(fd))).toString());
      return inode >= 0 ? inode : NOT_A_SOCKET;
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  static int parseFd(String name) {
    int n = name.length();
    if (n == 0 || n > 9) {
      return -1;
    }
    int fd = 0;
    for (int i = 0; i < n; i++) {
      char ch = name.charAt(i);
      if (ch < '0' || ch > '9') {
        return -1;
      }
      fd = fd * 10 + (ch - '0');
    }
    return fd;
  }

  /** For tests: the pids with remembered descriptors. */
  Set<Integer> remembered() {
    return tables.keySet();
  }
}
