package io.peregrine.agent.ebpf;

/**
 * Byte offsets and constants of the sensor's records, mirrored from {@code src/main/bpf/records.h},
 * which is the one definition. {@code RecordLayoutTest} compares every value here with what
 * {@code peregrine-loader --layout} prints (the C compiler's {@code offsetof}), so the two cannot
 * drift apart unnoticed. Offsets are from the start of a record (its {@code pg_hdr}); all values
 * are little-endian.
 */
public final class RecordLayout {

  private RecordLayout() {}

  // ---- wire constants
  public static final int MAGIC = 0x4750;
  public static final int VERSION = 1;
  public static final int MAX_CAPTURE = 1024;
  /** Largest payload of an HTTP/2 chunk. */
  public static final int H2_MAX_CAPTURE = 8192;
  /** Bytes of the length prefix of a frame. */
  public static final int FRAME_PREFIX = 4;
  /** Largest frame accepted: far above any record (an L7 record is at most 112 + 2 KiB, an HTTP/2
   * chunk 104 + 8 KiB). */
  public static final int MAX_FRAME = 64 * 1024;

  public static final int REC_CONN = 1;
  public static final int REC_L7 = 2;
  public static final int REC_PROC = 3;
  public static final int REC_H2 = 4;
  public static final int REC_HELLO = 100;
  public static final int REC_STATS = 101;

  public static final int CONN_OPEN = 1;
  public static final int CONN_CLOSE = 2;
  public static final int CONN_FAILED = 3;
  public static final int CONN_RETRANSMIT = 4;
  public static final int CONN_ADOPTED = 5;
  public static final int CONN_F_ADOPTED = 0x01;

  public static final int DIR_OUTBOUND = 1;
  public static final int DIR_INBOUND = 2;

  public static final int PROTO_UNKNOWN = 0;
  public static final int PROTO_HTTP = 1;

  public static final int SIDE_CLIENT = 1;
  public static final int SIDE_SERVER = 2;

  /** enum pg_http_method, in order from 1: GET .. TRACE. */
  public static final int HTTP_GET = 1;
  public static final int HTTP_TRACE = 9;

  public static final int L7_F_REQ_TRUNCATED = 0x01;
  public static final int L7_F_RESP_TRUNCATED = 0x02;
  public static final int L7_F_NO_RESPONSE = 0x04;
  public static final int L7_F_CAPTURE_FAULT = 0x08;
  public static final int L7_F_TLS = 0x10;

  public static final int PROC_EXEC = 1;
  public static final int PROC_EXIT = 2;
  public static final int PROC_OOM_KILL = 3;

  /** enum pg_counter indexes. */
  public static final int CNT_RB_DROP_CONN = 0;
  public static final int CNT_RB_DROP_L7 = 1;
  public static final int CNT_RB_DROP_PROC = 2;
  public static final int CNT_CONN_EMITTED = 3;
  public static final int CNT_L7_EMITTED = 4;
  public static final int CNT_PROC_EMITTED = 5;
  public static final int CNT_TRACK_FAILED = 6;
  public static final int CNT_INFLIGHT_FAILED = 7;
  public static final int CNT_REQ_REPLACED = 8;
  public static final int CNT_CAPTURE_FAULT = 9;
  public static final int CNT_TLS_SKIPPED = 10;
  public static final int CNT_HTTP2_CONNS = 11;
  public static final int CNT_PROG_MISSES = 12;
  public static final int CNT_PROG_RUN_NS = 13;
  public static final int CNT_PROG_RUNS = 14;
  public static final int CNT_ADOPTED = 15;
  public static final int CNT_MAX = 16;

  /** enum pg_loader_exit. */
  public static final int EXIT_OK = 0;
  public static final int EXIT_RUNTIME = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_OUTPUT = 3;
  public static final int EXIT_NO_PRIV = 10;
  public static final int EXIT_NO_BTF = 11;
  public static final int EXIT_VERIFIER = 12;
  public static final int EXIT_ATTACH = 13;
  public static final int EXIT_KERNEL = 14;

  // ---- struct pg_hdr
  public static final int HDR_SIZE = 16;
  public static final int HDR_MAGIC = 0;
  public static final int HDR_VERSION = 2;
  public static final int HDR_TYPE = 3;
  public static final int HDR_RECORD_SIZE = 4;
  public static final int HDR_TS_NS = 8;

  // ---- struct pg_addr (relative to the start of the embedded struct)
  public static final int ADDR_SIZE = 40;
  public static final int ADDR_LOCAL = 0;
  public static final int ADDR_REMOTE = 16;
  public static final int ADDR_LOCAL_PORT = 32;
  public static final int ADDR_REMOTE_PORT = 34;
  public static final int ADDR_FAMILY = 36;

  // ---- struct pg_conn_rec
  public static final int CONN_SIZE = 112;
  public static final int CONN_CONN_ID = 16;
  public static final int CONN_PID = 24;
  public static final int CONN_FD = 28;
  public static final int CONN_KIND = 32;
  public static final int CONN_DIRECTION = 33;
  public static final int CONN_TCP_STATE = 34;
  public static final int CONN_FLAGS = 35;
  public static final int CONN_ERROR = 36;
  public static final int CONN_ADDR = 40;
  public static final int CONN_BYTES_SENT = 80;
  public static final int CONN_BYTES_RECEIVED = 88;
  public static final int CONN_CONNECT_NS = 96;
  public static final int CONN_RETRANSMITS = 104;
  public static final int CONN_SRTT_US = 108;

  // ---- struct pg_l7_rec (followed by req_len request bytes, then resp_len response bytes)
  public static final int L7_SIZE = 112;
  public static final int L7_CONN_ID = 16;
  public static final int L7_PID = 24;
  public static final int L7_FD = 28;
  public static final int L7_PROTOCOL = 32;
  public static final int L7_SIDE = 33;
  public static final int L7_METHOD = 34;
  public static final int L7_FLAGS = 35;
  public static final int L7_STATUS = 36;
  public static final int L7_REQ_LEN = 38;
  public static final int L7_RESP_LEN = 40;
  public static final int L7_ADDR = 48;
  public static final int L7_LATENCY_NS = 88;
  public static final int L7_REQUEST_BYTES = 96;
  public static final int L7_RESPONSE_BYTES = 104;

  // ---- struct pg_h2_rec (followed by len payload bytes)
  public static final int H2_SIZE = 104;
  public static final int H2_CONN_ID = 16;
  public static final int H2_PID = 24;
  public static final int H2_FD = 28;
  public static final int H2_SEQ = 32;
  public static final int H2_LEN = 36;
  public static final int H2_SIDE = 38;
  public static final int H2_IS_WRITE = 39;
  public static final int H2_FLAGS = 40;
  public static final int H2_TOTAL = 48;
  public static final int H2_END_NS = 56;
  public static final int H2_ADDR = 64;

  // ---- struct pg_proc_rec
  public static final int PROC_SIZE = 320;
  public static final int PROC_PID = 16;
  public static final int PROC_PPID = 20;
  public static final int PROC_KIND = 24;
  public static final int PROC_EXIT_CODE = 28;
  public static final int PROC_START_NS = 32;
  public static final int PROC_COMM = 40;
  public static final int PROC_COMM_LEN = 16;
  public static final int PROC_FILENAME_LEN = 56;
  public static final int PROC_FILENAME = 64;
  public static final int PROC_FILENAME_CAP = 256;

  // ---- struct pg_hello_rec
  public static final int HELLO_SIZE = 48;
  public static final int HELLO_LOADER_PID = 16;
  public static final int HELLO_CAPTURE_BYTES = 20;
  public static final int HELLO_MONO_NS = 24;
  public static final int HELLO_REALTIME_NS = 32;
  public static final int HELLO_RING_BYTES = 40;
  public static final int HELLO_NCPUS = 44;

  // ---- struct pg_stats_rec
  public static final int STATS_SIZE = 32 + 8 * CNT_MAX;
  public static final int STATS_NCOUNTERS = 16;
  public static final int STATS_FRAMES_WRITTEN = 24;
  public static final int STATS_COUNTERS = 32;
}
