package io.peregrine.agent.procfs;

/** TCP socket states as numbered in include/net/tcp_states.h, printed in hex in /proc/net/tcp. */
public enum TcpState {
  ESTABLISHED(0x01),
  SYN_SENT(0x02),
  SYN_RECV(0x03),
  FIN_WAIT1(0x04),
  FIN_WAIT2(0x05),
  TIME_WAIT(0x06),
  CLOSE(0x07),
  CLOSE_WAIT(0x08),
  LAST_ACK(0x09),
  LISTEN(0x0A),
  CLOSING(0x0B),
  NEW_SYN_RECV(0x0C);

  private static final TcpState[] BY_CODE = new TcpState[16];

  static {
    for (TcpState s : values()) {
      BY_CODE[s.code] = s;
    }
  }

  private final int code;

  TcpState(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** Bit of this state in a mask passed to {@link TcpTableParser}. */
  public int bit() {
    return 1 << code;
  }

  /** The mask of the given states. */
  public static int mask(TcpState... states) {
    int mask = 0;
    for (TcpState s : states) {
      mask |= s.bit();
    }
    return mask;
  }

  /** Every state. */
  public static final int ALL = 0xFFFF;

  /** The state with this kernel code, or null for a code this enum does not know. */
  public static TcpState of(long code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[(int) code] : null;
  }
}
