package io.peregrine.agent.ebpf;

import java.util.Map;

/** Linux errno names for the socket errors a connect can end with (generic numbering: x86, arm64). */
public final class Errno {

  private Errno() {}

  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(1, "EPERM"),
      Map.entry(4, "EINTR"),
      Map.entry(11, "EAGAIN"),
      Map.entry(12, "ENOMEM"),
      Map.entry(13, "EACCES"),
      Map.entry(22, "EINVAL"),
      Map.entry(24, "EMFILE"),
      Map.entry(32, "EPIPE"),
      Map.entry(71, "EPROTO"),
      Map.entry(90, "EMSGSIZE"),
      Map.entry(92, "ENOPROTOOPT"),
      Map.entry(97, "EAFNOSUPPORT"),
      Map.entry(98, "EADDRINUSE"),
      Map.entry(99, "EADDRNOTAVAIL"),
      Map.entry(100, "ENETDOWN"),
      Map.entry(101, "ENETUNREACH"),
      Map.entry(102, "ENETRESET"),
      Map.entry(103, "ECONNABORTED"),
      Map.entry(104, "ECONNRESET"),
      Map.entry(105, "ENOBUFS"),
      Map.entry(107, "ENOTCONN"),
      Map.entry(110, "ETIMEDOUT"),
      Map.entry(111, "ECONNREFUSED"),
      Map.entry(112, "EHOSTDOWN"),
      Map.entry(113, "EHOSTUNREACH"),
      Map.entry(114, "EALREADY"),
      Map.entry(115, "EINPROGRESS"));

  /**
   * The name of {@code errno}. 0 on a failed connect means the socket was closed before any answer
   * (typically the application's own connect timeout), reported as {@code ECONNABORTED}; an
   * unknown number as {@code E<number>}.
   */
  public static String name(int errno) {
    if (errno == 0) {
      return "ECONNABORTED";
    }
    String name = NAMES.get(errno);
    return name != null ? name : "E" + errno;
  }
}
