package io.peregrine.streams.servicemap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.kafka.junit.EmbeddedKafkaExtension;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.KafkaDetails;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Side;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.serde.WireFormat;
import io.peregrine.schema.topic.Topics;
import io.peregrine.streams.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The projected L7 decoder against the full Avro decoder it stands in for, on the real registry:
 * the same fields for random records, the same verdict (and reason) for garbage, truncated and
 * corrupted bytes, and the same resolution for writer schemas that differ from the reader's.
 */
class L7DecoderTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TOPIC = "peregrine.raw.l7";
    static Topics topics;
    static SchemaRegistryClient registry;

    L7Decoder decoder;
    Deserializer<L7Event> full;

    @BeforeAll
    static void registry() {
        topics = TestRegistry.topics(KAFKA);
        registry = TestRegistry.client(KAFKA);
    }

    @BeforeEach
    void decoder() {
        full = topics.rawL7().valueSerde().deserializer();
        decoder = new L7Decoder(registry, full);
    }

    static byte[] serialize(L7Event e) {
        return topics.rawL7().valueSerde().serializer().serialize(TOPIC, e);
    }

    /** What the full decoder makes of {@code data}: the fields, or the exception. */
    Object reference(byte[] data) {
        try {
            L7Fields f = new L7Fields();
            f.set(full.deserialize(TOPIC, data));
            return f;
        } catch (MalformedRecordException e) {
            return e.reason();
        }
    }

    Object fast(byte[] data) {
        try {
            L7Fields f = new L7Fields();
            decoder.decode(TOPIC, data, f);
            return f;
        } catch (MalformedRecordException e) {
            return e.reason();
        }
    }

    @Test
    void shouldReadTheSameFieldsAsTheFullDecoderOnRandomRecords() {
        assertThat(decoder.compile(L7Event.getClassSchema())).as("the current schema is planned, not delegated").isNotNull();
        Random r = new Random(42);
        L7Fields reused = new L7Fields();
        for (int i = 0; i < 3_000; i++) {
            byte[] data = serialize(randomEvent(r));
            L7Fields expected = new L7Fields();
            expected.set(full.deserialize(TOPIC, data));
            decoder.decode(TOPIC, data, reused); // reused, as the processor does: nothing may leak between records
            assertThat(reused).as("record %d", i).isEqualTo(expected);
        }
    }

    @Test
    void shouldInternRepeatedStringsAndRecords() {
        byte[] one = serialize(SampleRecords.l7Event());
        byte[] two = serialize(L7Event.newBuilder(SampleRecords.l7Event()).setSeq(1).build());
        L7Fields a = new L7Fields();
        L7Fields b = new L7Fields();
        decoder.decode(TOPIC, one, a);
        decoder.decode(TOPIC, two, b);
        assertThat(b.app).isSameAs(a.app);
        assertThat(b.nodeKey).isSameAs(a.nodeKey);
        assertThat(b.clientIp).isSameAs(a.clientIp);
        assertThat(b.agentRunId).isSameAs(a.agentRunId);
        assertThat(b.seq).isEqualTo(1);
    }

    @Test
    void shouldReadBoundaryValues() {
        long[] longs = {0, 1, -1, 63, 64, -64, -65, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};
        int[] ints = {0, 1, -1, 65535, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE};
        for (long v : longs) {
            for (int p : ints) {
                L7Event e = L7Event.newBuilder(SampleRecords.l7Event()).setSeq(v).setLatencyNs(v).setRequestBytes(v)
                        .setResponseBytes(-v).setClientPort(p).setServerPort(-p).setActualServerPort(p)
                        .setActualServerIp("").setServerName("").setAgentRunId("")
                        .setTimestamp(Instant.ofEpochMilli(v % 1_000_000_000_000_000L)).build();
                byte[] data = serialize(e);
                assertThat(fast(data)).as("%d / %d", v, p).isEqualTo(reference(data));
                L7Fields f = (L7Fields) fast(data);
                assertThat(f.seq).isEqualTo(v);
                assertThat(f.clientPort).isEqualTo(p);
                assertThat(f.actualServerPort).isEqualTo(p);
                assertThat(f.actualServerIp).isEmpty();
            }
        }
    }

    @Test
    void shouldRejectEveryTruncationWithTheFullDecodersReason() {
        Random r = new Random(7);
        for (int i = 0; i < 40; i++) {
            byte[] data = serialize(randomEvent(r));
            for (int len = 0; len < data.length; len++) {
                byte[] cut = Arrays.copyOf(data, len);
                Object fast = fast(cut);
                assertThat(fast).as("prefix of %d bytes", len).isInstanceOf(MalformedRecordException.Reason.class)
                        .isEqualTo(reference(cut));
            }
        }
    }

    @Test
    void shouldAgreeWithTheFullDecoderOnCorruptedAndGarbageBytes() {
        Random r = new Random(11);
        int rejected = 0;
        for (int i = 0; i < 8_000; i++) {
            byte[] data = serialize(randomEvent(r));
            if (i % 4 == 0) {
                // garbage after a valid header
                byte[] g = new byte[WireFormat.HEADER_SIZE + r.nextInt(120)];
                System.arraycopy(data, 0, g, 0, WireFormat.HEADER_SIZE);
                for (int j = WireFormat.HEADER_SIZE; j < g.length; j++) {
                    g[j] = (byte) (r.nextInt(4) == 0 ? 0x80 | r.nextInt(128) : r.nextInt(256));
                }
                data = g;
            } else {
                int flips = 1 + r.nextInt(3);
                for (int j = 0; j < flips; j++) {
                    int at = WireFormat.HEADER_SIZE + r.nextInt(data.length - WireFormat.HEADER_SIZE);
                    data[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : data[at] ^ (1 << r.nextInt(8)));
                }
                if (r.nextInt(10) == 0) {
                    data = Arrays.copyOf(data, data.length + 1 + r.nextInt(3)); // trailing bytes
                }
            }
            Object expected = reference(data);
            assertThat(fast(data)).as("input %d: %s", i, Arrays.toString(data)).isEqualTo(expected);
            rejected += expected instanceof MalformedRecordException.Reason ? 1 : 0;
        }
        assertThat(rejected).as("the corruption must hit both outcomes").isBetween(400, 7_600);
    }

    @Test
    void shouldRejectBadFramingAndUnknownSchemaIdsAsTheFullDecoderDoes() {
        byte[] good = serialize(SampleRecords.l7Event());
        assertThat(fast(new byte[0])).isEqualTo(MalformedRecordException.Reason.TRUNCATED_HEADER);
        assertThat(fast(new byte[] {0, 0, 0})).isEqualTo(MalformedRecordException.Reason.TRUNCATED_HEADER);
        byte[] magic = good.clone();
        magic[0] = 1;
        assertThat(fast(magic)).isEqualTo(MalformedRecordException.Reason.BAD_MAGIC_BYTE);
        byte[] unknown = WireFormat.frame(987_654, Arrays.copyOfRange(good, 5, good.length));
        assertThat(fast(unknown)).isEqualTo(MalformedRecordException.Reason.UNKNOWN_SCHEMA_ID);
        // another record type's schema id on the topic
        byte[] node = topics.rawNodeMetrics().valueSerde().serializer().serialize("peregrine.raw.node-metrics",
                SampleRecords.nodeSample());
        assertThat(fast(node)).isEqualTo(reference(node)).isInstanceOf(MalformedRecordException.Reason.class);
        assertThat(fast(good)).isEqualTo(reference(good)).isInstanceOf(L7Fields.class);
    }

    // ------------------------------------------------------------------ writer schemas other than the reader's

    @Test
    void shouldResolveAWriterWithReorderedAndExtraFieldsByName() throws IOException {
        Schema writer = variant(fields -> {
            List<Schema.Field> out = new ArrayList<>();
            out.add(new Schema.Field("added_first", Schema.createArray(Schema.create(Schema.Type.STRING)), "new", null));
            List<Schema.Field> rest = new ArrayList<>(fields);
            java.util.Collections.reverse(rest);
            out.addAll(rest);
            return out;
        });
        assertResolvesLikeTheFullDecoder(writer, (w, e) -> w.put("added_first", List.of("a", "b", "")));
    }

    @Test
    void shouldPromoteIntWritersOfLongFields() throws IOException {
        Schema writer = variant(fields -> fields.stream().map(f -> f.name().equals("seq") || f.name().equals("latency_ns")
                ? new Schema.Field(f.name(), Schema.create(Schema.Type.INT), f.doc(), null) : copy(f)).toList());
        assertResolvesLikeTheFullDecoder(writer, (w, e) -> {
            w.put("seq", (int) e.getSeq());
            w.put("latency_ns", (int) e.getLatencyNs());
        });
    }

    @Test
    void shouldMapEnumSymbolsThisVersionDoesNotKnowToUnknown() throws IOException {
        Schema side = Schema.createEnum("Side", "doc", "io.peregrine.schema", List.of("BOTH", "SERVER", "CLIENT", "UNKNOWN"),
                "UNKNOWN");
        Schema writer = variant(fields -> fields.stream().map(f -> f.name().equals("side")
                ? new Schema.Field("side", side, f.doc(), null) : copy(f)).toList());
        byte[] both = frame(writer, w -> w.put("side", new GenericData.EnumSymbol(side, "BOTH")));
        byte[] client = frame(writer, w -> w.put("side", new GenericData.EnumSymbol(side, "CLIENT")));
        assertThat(((L7Fields) fast(both)).side).isEqualTo(Side.UNKNOWN);
        assertThat(((L7Fields) fast(client)).side).isEqualTo(Side.CLIENT);
        assertThat(fast(both)).isEqualTo(reference(both));
        assertThat(fast(client)).isEqualTo(reference(client));
    }

    @Test
    void shouldFallBackToTheFullDecoderForAWriterWithoutAWantedField() throws IOException {
        Schema writer = variant(fields -> fields.stream().filter(f -> !f.name().equals("actual_server_port"))
                .map(L7DecoderTest::copy).toList());
        assertThat(decoder.compile(writer)).isNull();
        assertResolvesLikeTheFullDecoder(writer, (w, e) -> { });
    }

    @Test
    void shouldRejectAWriterOfAnotherShapeAsTheFullDecoderDoes() throws IOException {
        Schema writer = variant(fields -> fields.stream().map(f -> f.name().equals("server_port")
                ? new Schema.Field("server_port", Schema.create(Schema.Type.STRING), f.doc(), null) : copy(f)).toList());
        byte[] data = frame(writer, w -> w.put("server_port", "8080"));
        assertThat(fast(data)).isEqualTo(reference(data)).isInstanceOf(MalformedRecordException.Reason.class);
    }

    interface Fill {
        void fill(GenericData.Record writerRecord, L7Event event);
    }

    void assertResolvesLikeTheFullDecoder(Schema writer, Fill fill) throws IOException {
        Random r = new Random(3);
        for (int i = 0; i < 300; i++) {
            L7Event e = randomEvent(r);
            byte[] data = frame(writer, e, fill);
            Object expected = reference(data);
            assertThat(expected).isInstanceOf(L7Fields.class);
            assertThat(fast(data)).as("record %d", i).isEqualTo(expected);
        }
    }

    byte[] frame(Schema writer, java.util.function.Consumer<GenericData.Record> fill) throws IOException {
        return frame(writer, SampleRecords.l7Event(), (w, e) -> fill.accept(w));
    }

    /** {@code e} written with {@code writer} (fields by name, then {@code fill}), framed with its registered id. */
    static byte[] frame(Schema writer, L7Event e, Fill fill) throws IOException {
        GenericData.Record w = new GenericData.Record(writer);
        for (Schema.Field f : writer.getFields()) {
            Schema.Field rf = L7Event.getClassSchema().getField(f.name());
            if (rf != null) {
                Object v = e.get(rf.pos());
                w.put(f.name(), v instanceof Instant t ? t.toEpochMilli() : v);
            }
        }
        fill.fill(w, e);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<Object>(writer, GenericData.get()).write(w, enc);
        enc.flush();
        int id = IDS.computeIfAbsent(writer, w2 -> registry.register("l7-decoder-test-" + UUID.randomUUID(), w2));
        return WireFormat.frame(id, out.toByteArray());
    }

    static final java.util.Map<Schema, Integer> IDS = new java.util.concurrent.ConcurrentHashMap<>();

    static Schema variant(UnaryOperator<List<Schema.Field>> change) {
        Schema reader = L7Event.getClassSchema();
        List<Schema.Field> fields = reader.getFields().stream().map(L7DecoderTest::copy).toList();
        return Schema.createRecord(reader.getName(), reader.getDoc(), reader.getNamespace(), false,
                change.apply(new ArrayList<>(fields)));
    }

    static Schema.Field copy(Schema.Field f) {
        return new Schema.Field(f, f.schema());
    }

    // ------------------------------------------------------------------ random events

    static final String[] POOL = {"10.0.0.1", "web-1", "k8s/shop/checkout", "", "checkout", "ünïcödé-✓", "::1"};

    static String str(Random r) {
        if (r.nextBoolean()) {
            return POOL[r.nextInt(POOL.length)];
        }
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(r.nextInt(10) == 0 ? 300 : 24);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(10);
            sb.appendCodePoint(kind < 7 ? 'a' + r.nextInt(26) : kind < 9 ? 0x80 + r.nextInt(0x700) : 0x1F600 + r.nextInt(50));
        }
        return sb.toString();
    }

    static String maybe(Random r) {
        return r.nextInt(3) == 0 ? null : str(r);
    }

    static long anyLong(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> r.nextLong();
            case 1 -> r.nextInt(1000) - 500;
            case 2 -> (r.nextBoolean() ? 1L : -1L) << r.nextInt(63);
            default -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, Integer.MAX_VALUE, Integer.MIN_VALUE}[r.nextInt(5)];
        };
    }

    static int anyInt(Random r) {
        return r.nextInt(3) == 0 ? r.nextInt() : r.nextInt(70_000);
    }

    static <E> E pick(Random r, E[] values) {
        return values[r.nextInt(values.length)];
    }

    static L7Event randomEvent(Random r) {
        AppId app = AppId.newBuilder().setKind(pick(r, AppKind.values())).setId(str(r)).setName(str(r))
                .setNamespace(maybe(r)).setWorkload(maybe(r)).setContainer(maybe(r)).build();
        List<String> answers = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            answers.add(str(r));
        }
        return L7Event.newBuilder()
                .setNode(NodeId.newBuilder().setHostname(str(r)).setMachineId(str(r)).build())
                .setAgentRunId(str(r))
                .setSeq(anyLong(r))
                .setTimestamp(Instant.ofEpochMilli(r.nextLong() % 4_000_000_000_000L))
                .setSide(pick(r, Side.values()))
                .setProtocol(pick(r, Protocol.values()))
                .setInstance(AppInstance.newBuilder().setApp(app).setInstanceId(str(r)).build())
                .setPid(anyInt(r))
                .setMethod(maybe(r))
                .setResource(maybe(r))
                .setServerName(maybe(r))
                .setStatus(str(r))
                .setStatusCode(r.nextBoolean() ? null : anyInt(r))
                .setError(r.nextBoolean())
                .setLatencyNs(anyLong(r))
                .setRequestBytes(anyLong(r))
                .setResponseBytes(anyLong(r))
                .setClientIp(str(r))
                .setClientPort(anyInt(r))
                .setServerIp(str(r))
                .setServerPort(anyInt(r))
                .setActualServerIp(maybe(r))
                .setActualServerPort(r.nextBoolean() ? null : anyInt(r))
                .setTls(r.nextBoolean())
                .setTraceparent(maybe(r))
                .setDns(r.nextInt(3) != 0 ? null : DnsDetails.newBuilder().setQuestionName(str(r)).setQuestionType(str(r))
                        .setRcode(r.nextBoolean() ? "NOERROR" : str(r)).setAnswerIps(answers)
                        .setAnswerTtlSeconds(r.nextBoolean() ? null : anyInt(r)).build())
                .setKafka(r.nextInt(3) != 0 ? null : KafkaDetails.newBuilder().setApiKey(anyInt(r))
                        .setApiVersion(anyInt(r)).setClientId(maybe(r)).build())
                .build();
    }

    @Test
    void shouldThrowOnlyMalformedRecordExceptionsForGarbage() {
        Random r = new Random(5);
        byte[] header = Arrays.copyOf(serialize(SampleRecords.l7Event()), WireFormat.HEADER_SIZE);
        for (int i = 0; i < 2_000; i++) {
            byte[] g = new byte[WireFormat.HEADER_SIZE + r.nextInt(64)];
            r.nextBytes(g);
            System.arraycopy(header, 0, g, 0, WireFormat.HEADER_SIZE);
            L7Fields out = new L7Fields();
            try {
                decoder.decode(TOPIC, g, out);
            } catch (MalformedRecordException e) {
                assertThat(e.getMessage()).contains(TOPIC);
            }
        }
        assertThatThrownBy(() -> decoder.decode(TOPIC, new byte[] {0, 0, 0, 0}, new L7Fields()))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("TRUNCATED_HEADER");
    }
}
