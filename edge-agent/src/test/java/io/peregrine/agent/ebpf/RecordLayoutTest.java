package io.peregrine.agent.ebpf;

import static io.peregrine.agent.ebpf.RecordLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java reader's offsets and constants against records.h, as the C compiler lays it out:
 * {@code peregrine-loader --layout} prints every offsetof/sizeof and wire constant. Both directions
 * are checked, so a field added on one side only fails here.
 */
class RecordLayoutTest {

  private static Map<String, String> printed;

  @BeforeAll
  static void runLoaderLayout() throws IOException, InterruptedException {
    Path loader = EbpfTestSupport.requireLoader();
    Process p = new ProcessBuilder(loader.toString(), "--layout").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    printed = new TreeMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.trim().split(" ");
      switch (f[0]) {
        case "const", "struct" -> printed.put(f[0] + " " + f[1], f[2]);
        case "field" -> printed.put("field " + f[1], f[2] + " " + f[3]);
        default -> throw new AssertionError("unexpected --layout line: " + line);
      }
    }
  }

  private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

  private static void c(String name, int value) {
    EXPECTED.put("const " + name, Integer.toString(value));
  }

  private static void s(String struct, int size) {
    EXPECTED.put("struct " + struct, Integer.toString(size));
  }

  private static void f(String field, int offset, int size) {
    EXPECTED.put("field " + field, offset + " " + size);
  }

  static {
    c("PG_MAGIC", MAGIC);
    c("PG_VERSION", VERSION);
    c("PG_MAX_CAPTURE", MAX_CAPTURE);
    c("PG_H2_MAX_CAPTURE", H2_MAX_CAPTURE);
    c("PG_REC_CONN", REC_CONN);
    c("PG_REC_L7", REC_L7);
    c("PG_REC_PROC", REC_PROC);
    c("PG_REC_H2", REC_H2);
    c("PG_REC_HELLO", REC_HELLO);
    c("PG_REC_STATS", REC_STATS);
    c("PG_CONN_OPEN", CONN_OPEN);
    c("PG_CONN_CLOSE", CONN_CLOSE);
    c("PG_CONN_FAILED", CONN_FAILED);
    c("PG_CONN_RETRANSMIT", CONN_RETRANSMIT);
    c("PG_CONN_ADOPTED", CONN_ADOPTED);
    c("PG_CONN_F_ADOPTED", CONN_F_ADOPTED);
    c("PG_DIR_OUTBOUND", DIR_OUTBOUND);
    c("PG_DIR_INBOUND", DIR_INBOUND);
    c("PG_PROTO_UNKNOWN", PROTO_UNKNOWN);
    c("PG_PROTO_HTTP", PROTO_HTTP);
    c("PG_SIDE_CLIENT", SIDE_CLIENT);
    c("PG_SIDE_SERVER", SIDE_SERVER);
    c("PG_HTTP_GET", HTTP_GET);
    c("PG_HTTP_TRACE", HTTP_TRACE);
    c("PG_L7_F_REQ_TRUNCATED", L7_F_REQ_TRUNCATED);
    c("PG_L7_F_RESP_TRUNCATED", L7_F_RESP_TRUNCATED);
    c("PG_L7_F_NO_RESPONSE", L7_F_NO_RESPONSE);
    c("PG_L7_F_CAPTURE_FAULT", L7_F_CAPTURE_FAULT);
    c("PG_L7_F_TLS", L7_F_TLS);
    c("PG_PROC_EXEC", PROC_EXEC);
    c("PG_PROC_EXIT", PROC_EXIT);
    c("PG_PROC_OOM_KILL", PROC_OOM_KILL);
    c("PG_CNT_RB_DROP_CONN", CNT_RB_DROP_CONN);
    c("PG_CNT_RB_DROP_L7", CNT_RB_DROP_L7);
    c("PG_CNT_RB_DROP_PROC", CNT_RB_DROP_PROC);
    c("PG_CNT_CONN_EMITTED", CNT_CONN_EMITTED);
    c("PG_CNT_L7_EMITTED", CNT_L7_EMITTED);
    c("PG_CNT_PROC_EMITTED", CNT_PROC_EMITTED);
    c("PG_CNT_TRACK_FAILED", CNT_TRACK_FAILED);
    c("PG_CNT_INFLIGHT_FAILED", CNT_INFLIGHT_FAILED);
    c("PG_CNT_REQ_REPLACED", CNT_REQ_REPLACED);
    c("PG_CNT_CAPTURE_FAULT", CNT_CAPTURE_FAULT);
    c("PG_CNT_TLS_SKIPPED", CNT_TLS_SKIPPED);
    c("PG_CNT_HTTP2_CONNS", CNT_HTTP2_CONNS);
    c("PG_CNT_PROG_MISSES", CNT_PROG_MISSES);
    c("PG_CNT_PROG_RUN_NS", CNT_PROG_RUN_NS);
    c("PG_CNT_PROG_RUNS", CNT_PROG_RUNS);
    c("PG_CNT_ADOPTED", CNT_ADOPTED);
    c("PG_CNT_MAX", CNT_MAX);
    c("PG_EXIT_OK", EXIT_OK);
    c("PG_EXIT_RUNTIME", EXIT_RUNTIME);
    c("PG_EXIT_USAGE", EXIT_USAGE);
    c("PG_EXIT_OUTPUT", EXIT_OUTPUT);
    c("PG_EXIT_NO_PRIV", EXIT_NO_PRIV);
    c("PG_EXIT_NO_BTF", EXIT_NO_BTF);
    c("PG_EXIT_VERIFIER", EXIT_VERIFIER);
    c("PG_EXIT_ATTACH", EXIT_ATTACH);
    c("PG_EXIT_KERNEL", EXIT_KERNEL);

    s("pg_hdr", HDR_SIZE);
    f("pg_hdr.magic", HDR_MAGIC, 2);
    f("pg_hdr.version", HDR_VERSION, 1);
    f("pg_hdr.type", HDR_TYPE, 1);
    f("pg_hdr.size", HDR_RECORD_SIZE, 4);
    f("pg_hdr.ts_ns", HDR_TS_NS, 8);

    s("pg_addr", ADDR_SIZE);
    f("pg_addr.local", ADDR_LOCAL, 16);
    f("pg_addr.remote", ADDR_REMOTE, 16);
    f("pg_addr.local_port", ADDR_LOCAL_PORT, 2);
    f("pg_addr.remote_port", ADDR_REMOTE_PORT, 2);
    f("pg_addr.family", ADDR_FAMILY, 2);

    s("pg_conn_rec", CONN_SIZE);
    f("pg_conn_rec.conn_id", CONN_CONN_ID, 8);
    f("pg_conn_rec.pid", CONN_PID, 4);
    f("pg_conn_rec.fd", CONN_FD, 4);
    f("pg_conn_rec.kind", CONN_KIND, 1);
    f("pg_conn_rec.direction", CONN_DIRECTION, 1);
    f("pg_conn_rec.tcp_state", CONN_TCP_STATE, 1);
    f("pg_conn_rec.flags", CONN_FLAGS, 1);
    f("pg_conn_rec.error", CONN_ERROR, 4);
    f("pg_conn_rec.addr", CONN_ADDR, ADDR_SIZE);
    f("pg_conn_rec.bytes_sent", CONN_BYTES_SENT, 8);
    f("pg_conn_rec.bytes_received", CONN_BYTES_RECEIVED, 8);
    f("pg_conn_rec.connect_ns", CONN_CONNECT_NS, 8);
    f("pg_conn_rec.retransmits", CONN_RETRANSMITS, 4);
    f("pg_conn_rec.srtt_us", CONN_SRTT_US, 4);

    s("pg_l7_rec", L7_SIZE);
    f("pg_l7_rec.conn_id", L7_CONN_ID, 8);
    f("pg_l7_rec.pid", L7_PID, 4);
    f("pg_l7_rec.fd", L7_FD, 4);
    f("pg_l7_rec.protocol", L7_PROTOCOL, 1);
    f("pg_l7_rec.side", L7_SIDE, 1);
    f("pg_l7_rec.method", L7_METHOD, 1);
    f("pg_l7_rec.flags", L7_FLAGS, 1);
    f("pg_l7_rec.status", L7_STATUS, 2);
    f("pg_l7_rec.req_len", L7_REQ_LEN, 2);
    f("pg_l7_rec.resp_len", L7_RESP_LEN, 2);
    f("pg_l7_rec.addr", L7_ADDR, ADDR_SIZE);
    f("pg_l7_rec.latency_ns", L7_LATENCY_NS, 8);
    f("pg_l7_rec.request_bytes", L7_REQUEST_BYTES, 8);
    f("pg_l7_rec.response_bytes", L7_RESPONSE_BYTES, 8);
    s("pg_h2_rec", H2_SIZE);
    f("pg_h2_rec.conn_id", H2_CONN_ID, 8);
    f("pg_h2_rec.pid", H2_PID, 4);
    f("pg_h2_rec.fd", H2_FD, 4);
    f("pg_h2_rec.seq", H2_SEQ, 4);
    f("pg_h2_rec.len", H2_LEN, 2);
    f("pg_h2_rec.side", H2_SIDE, 1);
    f("pg_h2_rec.is_write", H2_IS_WRITE, 1);
    f("pg_h2_rec.flags", H2_FLAGS, 1);
    f("pg_h2_rec.total", H2_TOTAL, 8);
    f("pg_h2_rec.end_ns", H2_END_NS, 8);
    f("pg_h2_rec.addr", H2_ADDR, ADDR_SIZE);

    s("pg_proc_rec", PROC_SIZE);
    f("pg_proc_rec.pid", PROC_PID, 4);
    f("pg_proc_rec.ppid", PROC_PPID, 4);
    f("pg_proc_rec.kind", PROC_KIND, 1);
    f("pg_proc_rec.exit_code", PROC_EXIT_CODE, 4);
    f("pg_proc_rec.start_ns", PROC_START_NS, 8);
    f("pg_proc_rec.comm", PROC_COMM, PROC_COMM_LEN);
    f("pg_proc_rec.filename_len", PROC_FILENAME_LEN, 2);
    f("pg_proc_rec.filename", PROC_FILENAME, PROC_FILENAME_CAP);

    s("pg_hello_rec", HELLO_SIZE);
    f("pg_hello_rec.loader_pid", HELLO_LOADER_PID, 4);
    f("pg_hello_rec.capture_bytes", HELLO_CAPTURE_BYTES, 4);
    f("pg_hello_rec.mono_ns", HELLO_MONO_NS, 8);
    f("pg_hello_rec.realtime_ns", HELLO_REALTIME_NS, 8);
    f("pg_hello_rec.ring_bytes", HELLO_RING_BYTES, 4);
    f("pg_hello_rec.ncpus", HELLO_NCPUS, 4);

    s("pg_stats_rec", STATS_SIZE);
    f("pg_stats_rec.ncounters", STATS_NCOUNTERS, 4);
    f("pg_stats_rec.frames_written", STATS_FRAMES_WRITTEN, 8);
    f("pg_stats_rec.counters", STATS_COUNTERS, 8 * CNT_MAX);
  }

  @Test
  void shouldMatchEveryOffsetSizeAndConstantOfRecordsH() {
    assertThat(printed).containsExactlyInAnyOrderEntriesOf(EXPECTED);
  }

  @Test
  void shouldKeepRecordsWithinOneFrame() {
    assertThat(L7_SIZE + 2 * MAX_CAPTURE).isLessThan(MAX_FRAME);
    assertThat(H2_SIZE + H2_MAX_CAPTURE).isLessThan(MAX_FRAME);
    assertThat(List.of(CONN_SIZE, L7_SIZE, H2_SIZE, PROC_SIZE, HELLO_SIZE, STATS_SIZE))
        .allSatisfy(size -> assertThat(size % 8).as("8-byte multiple").isZero());
  }
}
