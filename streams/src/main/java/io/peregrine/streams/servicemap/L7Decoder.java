package io.peregrine.streams.servicemap;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.serde.WireFormat;
import io.peregrine.streams.endpoints.NodeKeys;
import io.peregrine.streams.internal.AvroCursor;
import io.peregrine.streams.internal.InternTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Decodes raw L7 records (Confluent-framed Avro) into {@link L7Fields}, reading only the fields the
 * pipeline uses and skipping the rest in place.
 *
 * <p>The writer schema named by the record's schema id, fetched from the registry, stays the
 * source of truth: for each id the decoder compiles a plan that walks the writer's fields in the
 * writer's order, reading the wanted ones with the same type resolution Avro applies against
 * {@link L7Event}'s schema (int to long promotion, enum symbols by name with the reader's default
 * for unknown ones, {@code ["null", T]} unions in either order) and skipping every other value by
 * its writer type. A writer schema it cannot plan that way (a wanted field missing, another
 * union shape, an incompatible schema) is decoded by the full Avro deserializer instead, as is a
 * record whose schema the registry cannot be asked about right now, so the errors and the DLQ
 * reasons stay those of the full decoder.
 *
 * <p>Strings and the nested node and application records are interned by their encoded bytes
 * ({@link InternTable}): a repeated host name, app id or address costs a hash and a comparison,
 * not a new object. Nested records are decoded (with Avro, against the generated class's schema)
 * only the first time their bytes are seen.
 *
 * <p>The plan accepts the same bytes as the full decoder: truncated values, bad varints, union
 * indexes and enum indexes out of range and bytes left over after the datum are errors, raised as
 * {@link MalformedRecordException} with the reasons the full decoder uses. Not thread-safe: one
 * per task.
 */
final class L7Decoder {

    private static final int STRINGS = 1 << 15;
    private static final int NODES = 1 << 12;
    private static final int APPS = 1 << 13;

    private final SchemaRegistryClient registry;
    private final Deserializer<L7Event> full;
    private final Map<Integer, Plan> plans = new HashMap<>();
    private final AvroCursor cursor = new AvroCursor();
    private final InternTable<String> strings = new InternTable<>(STRINGS);
    private final InternTable<NodeRef> nodes = new InternTable<>(NODES);
    private final InternTable<AppId> apps = new InternTable<>(APPS);
    private BinaryDecoder spanDecoder;
    private int lastId = -1;
    private Plan lastPlan;

    /** A node's internal key, and whether its host name is blank (an invariant the validator checks). */
    private record NodeRef(String key, boolean hostnameBlank) {
    }

    /**
     * @param registry where writer schemas are looked up by id
     * @param full the full decoder, used for writer schemas the plan does not cover
     */
    L7Decoder(SchemaRegistryClient registry, Deserializer<L7Event> full) {
        this.registry = registry;
        this.full = full;
    }

    /** Fills {@code out} from one record's value, or throws {@link MalformedRecordException}. */
    void decode(String topic, byte[] data, L7Fields out) {
        if (data.length < WireFormat.HEADER_SIZE || data[0] != WireFormat.MAGIC_BYTE) {
            out.set(full.deserialize(topic, data)); // throws the framing error
            return;
        }
        int id = WireFormat.schemaId(data);
        Plan plan = id == lastId ? lastPlan : plan(id);
        if (plan == null) {
            out.set(full.deserialize(topic, data));
            return;
        }
        AvroCursor c = cursor.reset(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE);
        try {
            plan.read(c, out);
        } catch (AvroCursor.CorruptException e) {
            throw new MalformedRecordException(MalformedRecordException.Reason.CORRUPT_BODY, topic, id,
                    "Avro body does not decode: " + e.getMessage(), e);
        }
        if (c.remaining() != 0) {
            throw new MalformedRecordException(MalformedRecordException.Reason.TRAILING_BYTES, topic, id,
                    "bytes remain after the datum: it was not written with schema " + id, null);
        }
    }

    /** The plan for schema {@code id}; null when the full decoder must handle it. */
    private Plan plan(int id) {
        Plan plan;
        if (plans.containsKey(id)) {
            plan = plans.get(id);
        } else {
            Schema writer;
            try {
                writer = registry.schemaById(id);
            } catch (RuntimeException e) {
                // Unknown id or registry unreachable: the full decoder raises the right error
                // (a DLQ reason, or a retriable failure). Not remembered: the registry may answer later.
                return null;
            }
            plan = compile(writer);
            plans.put(id, plan);
        }
        lastId = id;
        lastPlan = plan;
        return plan;
    }

    // ------------------------------------------------------------------ plans

    private static final int SKIP = 0;
    private static final int LONG = 1;
    private static final int INT_AS_LONG = 2;
    private static final int INT = 3;
    private static final int BOOLEAN = 4;
    private static final int STRING = 5;
    private static final int OPT_STRING = 6;
    private static final int OPT_INT = 7;
    private static final int ENUM = 8;
    private static final int RECORD = 9;
    private static final int OPT_RECORD = 10;

    /** What the pipeline reads; the order of the fields in the writer schema does not matter. */
    private enum Target {
        NODE("node"), AGENT_RUN_ID("agent_run_id"), SEQ("seq"), TIMESTAMP("timestamp"), SIDE("side"),
        PROTOCOL("protocol"), INSTANCE("instance"), SERVER_NAME("server_name"), ERROR("error"),
        LATENCY_NS("latency_ns"), REQUEST_BYTES("request_bytes"), RESPONSE_BYTES("response_bytes"),
        CLIENT_IP("client_ip"), CLIENT_PORT("client_port"), SERVER_IP("server_ip"), SERVER_PORT("server_port"),
        ACTUAL_SERVER_IP("actual_server_ip"), ACTUAL_SERVER_PORT("actual_server_port"), DNS("dns"),
        /** Inside {@code instance}: the application record. */
        APP("app");

        final String field;

        Target(String field) {
            this.field = field;
        }
    }

    /**
     * One writer field: how to read it and where it goes.
     *
     * @param nullBranch for unions, the index of the null branch
     * @param symbols for enums, the reader constant of each writer symbol
     * @param reader for nested records, the Avro reader used the first time their bytes are seen
     * @param sub for the instance record, the plan of its fields
     */
    private record Op(Target target, int kind, Schema schema, int nullBranch, Enum<?>[] symbols,
                      DatumReader<?> reader, Op[] sub) {
    }

    private final class Plan {
        private final Op[] ops;

        Plan(Op[] ops) {
            this.ops = ops;
        }

        void read(AvroCursor c, L7Fields out) {
            out.dns = null;
            readOps(ops, c, out);
        }

        private void readOps(Op[] ops, AvroCursor c, L7Fields out) {
            for (Op op : ops) {
                switch (op.kind) {
                    case SKIP -> c.skip(op.schema);
                    case LONG -> setLong(op.target, c.readLong(), out);
                    case INT_AS_LONG -> setLong(op.target, c.readInt(), out);
                    case INT -> setInt(op.target, c.readInt(), out);
                    case BOOLEAN -> out.error = c.readBoolean();
                    case STRING -> setString(op.target, string(c), out);
                    case OPT_STRING -> setString(op.target, c.readIndex(2) == op.nullBranch ? null : string(c), out);
                    case OPT_INT -> out.actualServerPort = c.readIndex(2) == op.nullBranch ? null : c.readInt();
                    case ENUM -> {
                        int i = c.readInt();
                        if (i < 0 || i >= op.symbols.length) {
                            throw new AvroCursor.CorruptException("enum index " + i + " of " + op.symbols.length
                                    + " symbols in " + op.target.field);
                        }
                        if (op.target == Target.SIDE) {
                            out.side = (Side) op.symbols[i];
                        } else {
                            out.protocol = (Protocol) op.symbols[i];
                        }
                    }
                    case RECORD -> record(op, c, out);
                    case OPT_RECORD -> {
                        if (c.readIndex(2) != op.nullBranch) {
                            record(op, c, out);
                        }
                    }
                    default -> throw new IllegalStateException("op " + op.kind);
                }
            }
        }

        private void record(Op op, AvroCursor c, L7Fields out) {
            switch (op.target) {
                case INSTANCE -> readOps(op.sub, c, out);
                case NODE -> {
                    int start = c.position();
                    c.skip(op.schema);
                    int len = c.position() - start;
                    byte[] b = c.buffer();
                    int h = InternTable.hash(b, start, len);
                    NodeRef n = nodes.get(b, start, len, h);
                    if (n == null) {
                        NodeId node = (NodeId) span(op.reader, b, start, len);
                        n = new NodeRef(NodeKeys.of(node), node.getHostname().isBlank());
                        nodes.put(b, start, len, h, n);
                    }
                    out.nodeKey = n.key;
                    out.hostnameBlank = n.hostnameBlank;
                }
                case APP -> {
                    int start = c.position();
                    c.skip(op.schema);
                    int len = c.position() - start;
                    byte[] b = c.buffer();
                    int h = InternTable.hash(b, start, len);
                    AppId app = apps.get(b, start, len, h);
                    if (app == null) {
                        app = (AppId) span(op.reader, b, start, len);
                        apps.put(b, start, len, h, app);
                    }
                    out.app = app;
                }
                case DNS -> {
                    int start = c.position();
                    c.skip(op.schema);
                    out.dns = (DnsDetails) span(op.reader, c.buffer(), start, c.position() - start);
                }
                default -> throw new IllegalStateException("record target " + op.target);
            }
        }
    }

    private static void setLong(Target t, long v, L7Fields out) {
        switch (t) {
            case SEQ -> out.seq = v;
            case TIMESTAMP -> out.timestampMs = v;
            case LATENCY_NS -> out.latencyNs = v;
            case REQUEST_BYTES -> out.requestBytes = v;
            case RESPONSE_BYTES -> out.responseBytes = v;
            default -> throw new IllegalStateException("long target " + t);
        }
    }

    private static void setInt(Target t, int v, L7Fields out) {
        switch (t) {
            case CLIENT_PORT -> out.clientPort = v;
            case SERVER_PORT -> out.serverPort = v;
            case ACTUAL_SERVER_PORT -> out.actualServerPort = v;
            default -> throw new IllegalStateException("int target " + t);
        }
    }

    private static void setString(Target t, String v, L7Fields out) {
        switch (t) {
            case AGENT_RUN_ID -> out.agentRunId = v;
            case SERVER_NAME -> out.serverName = v;
            case CLIENT_IP -> out.clientIp = v;
            case SERVER_IP -> out.serverIp = v;
            case ACTUAL_SERVER_IP -> out.actualServerIp = v;
            default -> throw new IllegalStateException("string target " + t);
        }
    }

    private String string(AvroCursor c) {
        int len = c.readLength();
        int off = c.position();
        byte[] b = c.buffer();
        int h = InternTable.hash(b, off, len);
        String s = strings.get(b, off, len, h);
        if (s == null) {
            s = new String(b, off, len, StandardCharsets.UTF_8);
            strings.put(b, off, len, h, s);
        }
        c.skip(len);
        return s;
    }

    /** A nested record, decoded by Avro from exactly the bytes the skip walked over. */
    private Object span(DatumReader<?> reader, byte[] data, int off, int len) {
        BinaryDecoder d = DecoderFactory.get().binaryDecoder(data, off, len, spanDecoder);
        spanDecoder = d;
        try {
            return reader.read(null, d);
        } catch (IOException | RuntimeException e) {
            throw new AvroCursor.CorruptException("nested record does not decode: " + e);
        }
    }

    // ------------------------------------------------------------------ compiling

    /** The plan for {@code writer}, or null when only the full decoder can read it. */
    Plan compile(Schema writer) {
        Schema reader = L7Event.getClassSchema();
        if (writer.getType() != Schema.Type.RECORD || !writer.getFullName().equals(reader.getFullName())
                || SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType()
                != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            return null;
        }
        List<Target> top = List.of(Target.NODE, Target.AGENT_RUN_ID, Target.SEQ, Target.TIMESTAMP, Target.SIDE,
                Target.PROTOCOL, Target.INSTANCE, Target.SERVER_NAME, Target.ERROR, Target.LATENCY_NS,
                Target.REQUEST_BYTES, Target.RESPONSE_BYTES, Target.CLIENT_IP, Target.CLIENT_PORT, Target.SERVER_IP,
                Target.SERVER_PORT, Target.ACTUAL_SERVER_IP, Target.ACTUAL_SERVER_PORT, Target.DNS);
        Op[] ops = ops(writer, reader, top);
        return ops == null ? null : new Plan(ops);
    }

    /** An op per writer field; null when a wanted field is missing or of a shape not planned. */
    private Op[] ops(Schema writer, Schema reader, List<Target> wanted) {
        Op[] ops = new Op[writer.getFields().size()];
        int found = 0;
        for (Schema.Field wf : writer.getFields()) {
            Target target = null;
            for (Target t : wanted) {
                Schema.Field rf = reader.getField(t.field);
                if (rf != null && (wf.name().equals(rf.name()) || rf.aliases().contains(wf.name()))) {
                    target = t;
                }
            }
            Op op = target == null ? new Op(null, SKIP, wf.schema(), -1, null, null, null)
                    : op(target, wf.schema(), reader.getField(target.field).schema());
            if (op == null) {
                return null;
            }
            found += target == null ? 0 : 1;
            ops[wf.pos()] = op;
        }
        return found == wanted.size() ? ops : null;
    }

    private Op op(Target t, Schema w, Schema r) {
        return switch (t) {
            case SEQ, TIMESTAMP, LATENCY_NS, REQUEST_BYTES, RESPONSE_BYTES -> w.getType() == Schema.Type.LONG
                    ? new Op(t, LONG, w, -1, null, null, null)
                    : w.getType() == Schema.Type.INT ? new Op(t, INT_AS_LONG, w, -1, null, null, null) : null;
            case CLIENT_PORT, SERVER_PORT -> w.getType() == Schema.Type.INT ? new Op(t, INT, w, -1, null, null, null) : null;
            case ERROR -> w.getType() == Schema.Type.BOOLEAN ? new Op(t, BOOLEAN, w, -1, null, null, null) : null;
            case AGENT_RUN_ID, CLIENT_IP, SERVER_IP -> w.getType() == Schema.Type.STRING
                    ? new Op(t, STRING, w, -1, null, null, null) : null;
            case SERVER_NAME, ACTUAL_SERVER_IP -> optional(t, w, Schema.Type.STRING, STRING, OPT_STRING);
            case ACTUAL_SERVER_PORT -> optional(t, w, Schema.Type.INT, INT, OPT_INT);
            case SIDE, PROTOCOL -> enumOp(t, w, r);
            case NODE -> w.getType() == Schema.Type.RECORD
                    ? new Op(t, RECORD, w, -1, null, new SpecificDatumReader<>(w, NodeId.getClassSchema()), null) : null;
            case APP -> w.getType() == Schema.Type.RECORD
                    ? new Op(t, RECORD, w, -1, null, new SpecificDatumReader<>(w, AppId.getClassSchema()), null) : null;
            case INSTANCE -> {
                if (w.getType() != Schema.Type.RECORD) {
                    yield null;
                }
                Op[] sub = ops(w, AppInstance.getClassSchema(), List.of(Target.APP));
                yield sub == null ? null : new Op(t, RECORD, w, -1, null, null, sub);
            }
            case DNS -> {
                Schema record = w;
                int nullBranch = -1;
                if (w.getType() == Schema.Type.UNION) {
                    nullBranch = nullBranch(w);
                    if (nullBranch < 0 || w.getTypes().get(1 - nullBranch).getType() != Schema.Type.RECORD) {
                        yield null;
                    }
                    record = w.getTypes().get(1 - nullBranch);
                } else if (w.getType() != Schema.Type.RECORD) {
                    yield null;
                }
                yield new Op(t, nullBranch < 0 ? RECORD : OPT_RECORD, record, nullBranch, null,
                        new SpecificDatumReader<>(record, DnsDetails.getClassSchema()), null);
            }
        };
    }

    /** A nullable target: the plain type, or a two-branch union of null and it. */
    private static Op optional(Target t, Schema w, Schema.Type type, int plainKind, int unionKind) {
        if (w.getType() == type) {
            return new Op(t, plainKind, w, -1, null, null, null);
        }
        if (w.getType() != Schema.Type.UNION) {
            return null;
        }
        int nullBranch = nullBranch(w);
        return nullBranch >= 0 && w.getTypes().get(1 - nullBranch).getType() == type
                ? new Op(t, unionKind, w, nullBranch, null, null, null) : null;
    }

    /** Index of the null branch of a two-branch union, else -1. */
    private static int nullBranch(Schema union) {
        List<Schema> types = union.getTypes();
        if (types.size() != 2) {
            return -1;
        }
        return types.get(0).getType() == Schema.Type.NULL ? 0 : types.get(1).getType() == Schema.Type.NULL ? 1 : -1;
    }

    /** Writer symbols to reader constants by name; unknown ones to the reader's default, as Avro resolves them. */
    private static Op enumOp(Target t, Schema w, Schema r) {
        if (w.getType() != Schema.Type.ENUM) {
            return null;
        }
        Enum<?>[] constants = t == Target.SIDE ? Side.values() : Protocol.values();
        Enum<?>[] mapped = new Enum<?>[w.getEnumSymbols().size()];
        for (int i = 0; i < mapped.length; i++) {
            String symbol = w.getEnumSymbols().get(i);
            String name = r.hasEnumSymbol(symbol) ? symbol : r.getEnumDefault();
            if (name == null) {
                return null;
            }
            for (Enum<?> c : constants) {
                if (c.name().equals(name)) {
                    mapped[i] = c;
                }
            }
        }
        return new Op(t, ENUM, w, -1, mapped, null, null);
    }
}
