package io.peregrine.agent.publish;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import java.io.IOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;

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

    private L7EventEncoder() {
    }

    /** Whether {@link #write} can encode {@code e}. */
    static boolean handles(L7Event e) {
        return SUPPORTED && e.getDns() == null && e.getKafka() == null;
    }

    static void write(L7Event e, BinaryEncoder out) throws IOException {
        NodeId node = e.getNode();
        out.writeString(node.getHostname());
        out.writeString(node.getMachineId());
        out.writeString(e.getAgentRunId());
        out.writeLong(e.getSeq());
        out.writeLong(e.getTimestamp().toEpochMilli());
        out.writeEnum(e.getSide().ordinal());
        out.writeEnum(e.getProtocol().ordinal());
        AppInstance instance = e.getInstance();
        AppId app = instance.getApp();
        out.writeEnum(app.getKind().ordinal());
        out.writeString(app.getId());
        out.writeString(app.getName());
        nullable(out, app.getNamespace());
        nullable(out, app.getWorkload());
        nullable(out, app.getContainer());
        out.writeString(instance.getInstanceId());
        out.writeInt(e.getPid());
        nullable(out, e.getMethod());
        nullable(out, e.getResource());
        nullable(out, e.getServerName());
        out.writeString(e.getStatus());
        nullable(out, e.getStatusCode());
        out.writeBoolean(e.getError());
        out.writeLong(e.getLatencyNs());
        out.writeLong(e.getRequestBytes());
        out.writeLong(e.getResponseBytes());
        out.writeString(e.getClientIp());
        out.writeInt(e.getClientPort());
        out.writeString(e.getServerIp());
        out.writeInt(e.getServerPort());
        nullable(out, e.getActualServerIp());
        nullable(out, e.getActualServerPort());
        out.writeBoolean(e.getTls());
        nullable(out, e.getTraceparent());
        out.writeIndex(0);  // dns: null (handles() leaves events with details to the generic writer)
        out.writeIndex(0);  // kafka: null
    }

    private static void nullable(BinaryEncoder out, String s) throws IOException {
        if (s == null) {
            out.writeIndex(0);
        } else {
            out.writeIndex(1);
            out.writeString(s);
        }
    }

    private static void nullable(BinaryEncoder out, Integer i) throws IOException {
        if (i == null) {
            out.writeIndex(0);
        } else {
            out.writeIndex(1);
            out.writeInt(i);
        }
    }

    private static List<String> names(Schema record) {
        return record.getFields().stream().map(Schema.Field::name).toList();
    }
}
