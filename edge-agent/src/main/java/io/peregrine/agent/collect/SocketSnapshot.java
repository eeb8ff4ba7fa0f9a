package io.peregrine.agent.collect;

import io.peregrine.agent.procfs.TcpSocket;

/**
 * A listening or established TCP socket of one scan, with its network namespace and owner.
 *
 * @param netns {@link HostScan#ROOT_NETNS} or the inode of the namespace whose table listed it
 * @param ownerPid lowest pid holding a descriptor of the socket, -1 when none was found (a
 *     connection still in an accept queue, or a process the agent may not inspect)
 */
public record SocketSnapshot(TcpSocket socket, long netns, int ownerPid) {

  public boolean owned() {
    return ownerPid > 0;
  }
}
