package io.peregrine.agent.publish;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.serde.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Avro binary of an {@link L7Event}, written field by field: the same bytes as
 * {@code SpecificDatumWriter}, at a fraction of its cost (which resolves every nullable union and
 * logical type by schema lookups), because L7 events are the agent's volume: one per request on
 * each observed side. Events with DNS or Kafka details, and any L7Event whose schema is not the one
 * this class was written for ({@link #SUPPORTED}), are left to the generic writer.
 */
final class L7EventEncoder {

    /** The fields this encoder writes, in schema order; checked against the generated class. */
    static final List<String> FIELDS = List.of("node", "agent_run_id", "seq", "timestamp", "side", "protocol",
            "instance", "pid", "method", "resource", "server_name", "status", "status_code", "error", "latency_ns",
            "request_bytes", "response_bytes", "client_ip", "client_port", "server_ip", "server_port",
            "actual_server_ip", "actual_server_port", "tls", "traceparent", "dns", "kafka");
    private static final List<String> NODE_FIELDS = List.of("hostname", "machine_id");
    private static final List<String> INSTANCE_FIELDS = List.of("app", "instance_id");
    private static final List<String> APP_FIELDS = List.of("kind", "id", "name", "namespace", "workload", "container");

    /** Whether the generated L7Event is the layout written here (else the generic writer is used). */
    static final boolean SUPPORTED = names(L7Event.getClassSchema()).equals(FIELDS)
            && names(NodeId.getClassSchema()).equals(NODE_FIELDS)
            && names(AppInstance.getClassSchema()).equals(INSTANCE_FIELDS)
            && names(AppId.getClassSchema()).equals(APP_FIELDS);

    L7EventEncoder() {
    }

    /** Direct-mapped cache of UTF-8 bytes of the strings seen lately: most repeat in every event. */
    private static final int CACHE_SLOTS = 512;

    private final String[] cachedStrings = new String[CACHE_SLOTS];
    private final byte[][] cachedBytes = new byte[CACHE_SLOTS][];
    private byte[] buf = new byte[512];
    private int pos;

    /** Whether {@link #encode} can encode {@code e}. */
    static boolean handles(L7Event e) {
        return SUPPORTED && e.getDns() == null && e.getKafka() == null;
    }

    /**
     * {@link WireFormat#HEADER_SIZE} zero bytes (room for the wire-format header), then the Avro
     * binary of {@code e}, written straight into this encoder's reused buffer (no
     * {@code BinaryEncoder}: its per-character string encoding was the largest cost of an event).
     * Not thread-safe: one encoder per thread.
     */
    byte[] encode(L7Event e) {
        pos = WireFormat.HEADER_SIZE;  // the buffer's first bytes are never written: zero
        NodeId node = e.getNode();
        writeString(node.getHostname());
        writeString(node.getMachineId());
        writeString(e.getAgentRunId());
        writeLong(e.getSeq());
        writeLong(e.getTimestamp().toEpochMilli());
        writeLong(e.getSide().ordinal());
        writeLong(e.getProtocol().ordinal());
        AppInstance instance = e.getInstance();
        AppId app = instance.getApp();
        writeLong(app.getKind().ordinal());
        writeString(app.getId());
        writeString(app.getName());
        nullable(app.getNamespace());
        nullable(app.getWorkload());
        nullable(app.getContainer());
        writeString(instance.getInstanceId());
        writeLong(e.getPid());
        nullable(e.getMethod());
        nullable(e.getResource());
        nullable(e.getServerName());
        writeString(e.getStatus());
        nullable(e.getStatusCode());
        writeBoolean(e.getError());
        writeLong(e.getLatencyNs());
        writeLong(e.getRequestBytes());
        writeLong(e.getResponseBytes());
        writeString(e.getClientIp());
        writeLong(e.getClientPort());
        writeString(e.getServerIp());
        writeLong(e.getServerPort());
        nullable(e.getActualServerIp());
        nullable(e.getActualServerPort());
        writeBoolean(e.getTls());
        nullable(e.getTraceparent());
        writeLong(0);  // dns: null (handles() leaves events with details to the generic writer)
        writeLong(0);  // kafka: null
        return Arrays.copyOf(buf, pos);
    }

    private void nullable(String s) {
        if (s == null) {
            writeLong(0);
        } else {
            writeLong(1);
            writeString(s);
        }
    }

    private void nullable(Integer i) {
        if (i == null) {
            writeLong(0);
        } else {
            writeLong(1);
            writeLong(i);
        }
    }

    private void writeBoolean(boolean b) {
        ensure(1);
        buf[pos++] = (byte) (b ? 1 : 0);
    }

    /** Avro int and long (and union index, enum ordinal): zig-zag varint; an int is a long in range. */
    private void writeLong(long v) {
        ensure(10);
        long n = (v << 1) ^ (v >> 63);
        while ((n & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((n & 0x7F) | 0x80);
            n >>>= 7;
        }
        buf[pos++] = (byte) n;
    }

    /** Avro string: length, then UTF-8 bytes (cached by string: hostnames, ids, addresses repeat). */
    private void writeString(String s) {
        int slot = s.hashCode() & (CACHE_SLOTS - 1);
        byte[] bytes;
        String cached = cachedStrings[slot];
        if (cached == s || cached != null && cached.equals(s)) {
            bytes = cachedBytes[slot];
        } else {
            bytes = s.getBytes(StandardCharsets.UTF_8);
            cachedStrings[slot] = s;
            cachedBytes[slot] = bytes;
        }
        writeLong(bytes.length);
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, pos, bytes.length);
        pos += bytes.length;
    }

    private void ensure(int n) {
        if (buf.length - pos < n) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    private static List<String> names(Schema record) {
        return record.getFields().stream().map(Schema.Field::name).toList();
    }
}
