package io.peregrine.agent.procfs;

/** Interprets the targets of /proc/&lt;pid&gt;/fd/* and /proc/&lt;pid&gt;/exe symbolic links. */
public final class ProcLinks {

  private static final String SOCKET_PREFIX = "socket:[";
  private static final String DELETED_SUFFIX = " (deleted)";

  private ProcLinks() {
  }

  /** The inode of a {@code socket:[12345]} fd link target, or -1 for any other target. */
  public static long socketInode(CharSequence target) {
    int n = target.length();
    if (n <= SOCKET_PREFIX.length() + 1 || target.charAt(n - 1) != ']') {
      return -1;
    }
    for (int i = 0; i < SOCKET_PREFIX.length(); i++) {
      if (target.charAt(i) != SOCKET_PREFIX.charAt(i)) {
        return -1;
      }
    }
    long inode = 0;
    for (int i = SOCKET_PREFIX.length(); i < n - 1; i++) {
      char ch = target.charAt(i);
      if (ch < '0' || ch > '9' || inode > (Long.MAX_VALUE - 9) / 10) {
        return -1;
      }
      inode = inode * 10 + (ch - '0');
    }
    return inode;
  }

  /**
   * The file name of an executable path, as application identity uses it: {@code /usr/bin/java}
   * gives {@code java}. The {@code " (deleted)"} the kernel appends when the binary was replaced on
   * disk (every package upgrade of a running daemon) is dropped, so an upgrade does not rename the
   * application.
   */
  public static String executableName(String exePath) {
    String p = exePath.endsWith(DELETED_SUFFIX)
        ? exePath.substring(0, exePath.length() - DELETED_SUFFIX.length())
        : exePath;
    int slash = p.lastIndexOf('/');
    return slash >= 0 ? p.substring(slash + 1) : p;
  }
}
