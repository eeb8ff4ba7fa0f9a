package io.peregrine.schema.serde;

import io.peregrine.kafka.EmbeddedKafka;
import io.peregrine.registry.RegistryConfig;
import io.peregrine.registry.SchemaRegistryServer;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.registry.SchemaRegistryClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Serialize and deserialize of {@link L7Event} through our serde with warm caches (a real registry
 * behind them, asked once), against plain Avro binary with a reused encoder and decoder as the
 * baseline measured in the same run. The difference is the cost of the framing and the lookups.
 *
 * <p>Run: {@code mvn -B -q install -DskipTests && mvn -B -q -pl schemas -Pbench test-compile exec:exec}
 * (JMH arguments in {@code -Djmh.args="..."}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class SerdeBenchmark {

    private static final String TOPIC = "peregrine.raw.l7";

    private Path dir;
    private EmbeddedKafka kafka;
    private SchemaRegistryServer registry;

    private L7Event event;
    private AvroSerializer<L7Event> serializer;
    private AvroDeserializer<L7Event> deserializer;
    private byte[] framed;

    private SpecificDatumWriter<L7Event> plainWriter;
    private SpecificDatumReader<L7Event> plainReader;
    private final AvroSerializer.FramedOutput plainOut = new AvroSerializer.FramedOutput();
    private BinaryEncoder plainEncoder;
    private BinaryDecoder plainDecoder;
    private byte[] plain;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("peregrine-bench-");
        kafka = EmbeddedKafka.builder().dataDir(dir).port(0).controllerPort(0).start();
        registry = SchemaRegistryServer.start(RegistryConfig.builder()
                .bootstrapServers(kafka.bootstrapServers()).host("127.0.0.1").port(0).build());
        SchemaRegistryClient client = SchemaRegistryClient.create(Map.of("schema.registry.url", registry.url()));
        event = SampleRecords.l7Event();
        serializer = new AvroSerializer<>(client, SerdeConfig.from(Map.of()), false);
        deserializer = AvroDeserializer.specific(client, L7Event.class);
        framed = serializer.serialize(TOPIC, event);
        deserializer.deserialize(TOPIC, framed);

        plainWriter = new SpecificDatumWriter<>(L7Event.class);
        plainReader = new SpecificDatumReader<>(L7Event.class);
        plain = plainSerialize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        registry.close();
        kafka.close();
    }

    @Benchmark
    public byte[] serialize() {
        return serializer.serialize(TOPIC, event);
    }

    @Benchmark
    public L7Event deserialize() {
        return deserializer.deserialize(TOPIC, framed);
    }

    @Benchmark
    public byte[] plainAvroSerialize() throws IOException {
        return plainSerialize();
    }

    @Benchmark
    public L7Event plainAvroDeserialize() throws IOException {
        plainDecoder = DecoderFactory.get().binaryDecoder(plain, plainDecoder);
        return plainReader.read(null, plainDecoder);
    }

    private byte[] plainSerialize() throws IOException {
        plainOut.reset();
        plainEncoder = EncoderFactory.get().binaryEncoder(plainOut, plainEncoder);
        plainWriter.write(event, plainEncoder);
        plainEncoder.flush();
        return plainOut.toByteArray();
    }
}
