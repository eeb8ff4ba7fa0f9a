package io.peregrine.agent.collect;

import io.peregrine.agent.internal.FileSlurper;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ReadFailures;
import io.peregrine.schema.FilesystemStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Space of the host's real filesystems: the mount table of the host's mount namespace
 * ({@code <proc-root>/1/mounts}, else the agent's own {@code <proc-root>/self/mounts}), without
 * pseudo, virtual and network filesystems, each device once at its first mount point, measured
 * with statvfs(2) through {@link FileStore} under the host root (so a containerised agent with the
 * host's / at /host measures the host's filesystems).
 *
 * <p>Network filesystems (NFS, CIFS, FUSE, Ceph...) are left out on purpose: statvfs on a hard
 * mount whose server is away blocks, and a blocked scan thread would stop every collector; they are
 * not the node's disks either.
 */
final class Filesystems {

  static final String SOURCE = "/proc/<pid>/mounts";

  /** Types that hold no disk space of the node (or cannot be queried without risk). */
  static final Set<String> SKIPPED_TYPES = Set.of(
      "proc", "sysfs", "cgroup", "cgroup2", "tmpfs", "devtmpfs", "devpts", "mqueue", "debugfs",
      "tracefs", "securityfs", "pstore", "bpf", "autofs", "hugetlbfs", "configfs", "fusectl",
      "binfmt_misc", "nsfs", "rpc_pipefs", "efivarfs", "selinuxfs", "ramfs", "overlay", "aufs",
      "squashfs", "iso9660", "nfs", "nfs4", "nfsd", "cifs", "smb3", "smbfs", "ceph", "glusterfs",
      "9p", "virtiofs", "afs", "lustre", "gpfs", "zfs_snapshot", "shiftfs", "rootfs", "none");

  /** One line of a mount table. */
  record Mount(String device, String mountPoint, String type) {
  }

  private final Path procRoot;
  private final Path hostRoot;
  private final ScanProblems problems;
  private final FileSlurper slurper = new FileSlurper(16 * 1024, 4 * 1024 * 1024);
  private final Map<String, FileStore> stores = new HashMap<>();

  Filesystems(Path procRoot, Path hostRoot, ScanProblems problems) {
    this.procRoot = procRoot;
    this.hostRoot = hostRoot;
    this.problems = problems;
  }

  List<FilesystemStats> sample() {
    List<Mount> mounts = mounts();
    List<FilesystemStats> out = new ArrayList<>();
    Set<String> devices = new HashSet<>();
    Set<String> mountPoints = new HashSet<>();
    for (Mount m : mounts) {
      mountPoints.add(m.mountPoint());
      if (!devices.add(m.device())) {
        continue;
      }
      FileStore store = stores.get(m.mountPoint());
      try {
        if (store == null) {
          Path at = m.mountPoint().equals("/") ? hostRoot
              : hostRoot.resolve(m.mountPoint().substring(1));
          store = Files.getFileStore(at);
          stores.put(m.mountPoint(), store);
        }
        long size = store.getTotalSpace();
        long free = store.getUnallocatedSpace();
        long available = store.getUsableSpace();
        out.add(FilesystemStats.newBuilder()
            .setMountPoint(m.mountPoint())
            .setDevice(m.device())
            .setFsType(m.type())
            .setSizeBytes(size)
            .setUsedBytes(Math.max(0, size - free))
            .setAvailableBytes(available)
            .build());
      } catch (IOException e) {
        stores.remove(m.mountPoint());
        problems.report("statvfs", e instanceof NoSuchFileException ? Cause.MISSING_FILE : ReadFailures.cause(e));
      }
    }
    stores.keySet().retainAll(mountPoints);
    return out;
  }

  private List<Mount> mounts() {
    for (String pid : new String[] {"1", "self"}) {
      try {
        slurper.read(procRoot.resolve(pid).resolve("mounts"));
        return parse(slurper.buffer(), slurper.length());
      } catch (IOException e) {
        if (pid.equals("self")) {
          problems.report(SOURCE, e instanceof NoSuchFileException ? Cause.MISSING_FILE : ReadFailures.cause(e));
        }
      }
    }
    return List.of();
  }

  /** The real filesystems of a mount table, in its order. */
  static List<Mount> parse(byte[] buf, int length) {
    List<Mount> mounts = new ArrayList<>();
    String text = new String(buf, 0, length, StandardCharsets.UTF_8);
    for (String line : text.split("\n")) {
      String[] f = line.split(" ");
      if (f.length < 3) {
        continue;
      }
      String type = f[2];
      if (SKIPPED_TYPES.contains(type) || type.startsWith("fuse") || type.startsWith("cgroup")) {
        continue;
      }
      String mountPoint = unescape(f[1]);
      if (!mountPoint.startsWith("/")) {
        continue;
      }
      mounts.add(new Mount(unescape(f[0]), mountPoint, type));
    }
    return mounts;
  }

  /** Undoes the octal escapes of getmntent(3): {@code \040} space, {@code \011} tab, ... */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '\\' && isOctal(s, i + 1)) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(ch);
      }
    }
    return sb.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char ch = s.charAt(i);
      if (ch < '0' || ch > '7') {
        return false;
      }
    }
    return true;
  }
}
