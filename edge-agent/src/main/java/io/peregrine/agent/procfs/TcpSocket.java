package io.peregrine.agent.procfs;

/**
 * One line of /proc/net/tcp or /proc/net/tcp6. {@code inode} links the socket to its owner: the
 * process holding a descriptor whose /proc/&lt;pid&gt;/fd link reads {@code socket:[inode]}. It is
 * 0 for sockets no descriptor holds any more (TIME_WAIT, orphaned FIN_WAIT).
 *
 * @param ipv6Table true when the line came from tcp6, whatever family its addresses normalise to
 */
public record TcpSocket(
    TcpState state,
    IpAddress localAddress,
    int localPort,
    IpAddress remoteAddress,
    int remotePort,
    int uid,
    long inode,
    boolean ipv6Table) {
}
