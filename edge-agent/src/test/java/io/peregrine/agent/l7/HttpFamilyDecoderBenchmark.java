package io.peregrine.agent.l7;

import static io.peregrine.agent.l7.http2.Http2Frames.*;

import io.peregrine.agent.l7.CapturedFixtures.Captured;
import io.peregrine.agent.l7.dns.DnsDecoder;
import io.peregrine.agent.l7.http.Http1Decoder;
import io.peregrine.agent.l7.http2.Http2Connection;
import io.peregrine.agent.l7.http2.Http2Connections;
import io.peregrine.agent.l7.http2.Http2Decoder;
import io.peregrine.agent.l7.kafka.KafkaDecoder;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.ToIntFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Messages per second one thread decodes with the HTTP/1.x, HTTP/2 (and gRPC), Kafka and DNS
 * decoders, cycling over the captured fixtures of each protocol (src/test/resources/l7), and with
 * {@link Decoders#all()} choosing the decoder from the request bytes first, as the agent does for a
 * connection of unknown protocol. {@link #http2ConnectionGrpcCall} is the per-connection HTTP/2
 * path the sensor's chunks take ({@link Http2Connections}): one operation is one unary gRPC call
 * on a long-lived connection, its request chunk and its response chunk (headers, message,
 * trailers), header fields indexed in the connection's HPACK tables as grpc-java sends them. One
 * operation is one request/response exchange. The baseline,
 * measured in the same run, only hashes the request and response bytes: the cost of touching
 * them once.
 *
 * <p>Run: {@code mvn -B -q -o -pl edge-agent -Pbench test-compile exec:exec}
 * (JMH arguments in {@code -Dbench.args="HttpFamilyDecoderBenchmark -f 1 ..."}).
 *
 * <p>JMH measures wall-clock time, which a machine shared by many busy processes turns into a
 * fraction of a core. {@link #main} measures the same operations per second of the measuring
 * thread's own CPU time ({@link ThreadMXBean#getCurrentThreadCpuTime()}), the "per core" figure:
 * <pre>
 * cd edge-agent
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/test.cp) \
 *     io.peregrine.agent.l7.HttpFamilyDecoderBenchmark [cpu-seconds per benchmark, default 3]
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public class HttpFamilyDecoderBenchmark {

    private final Http1Decoder http1 = new Http1Decoder();
    private final Http2Decoder http2 = new Http2Decoder();
    private final KafkaDecoder kafka = new KafkaDecoder();
    private final DnsDecoder dns = new DnsDecoder();
    private final Decoders decoders = Decoders.all();

    private Captured[] http1Fixtures;
    private Captured[] http2Fixtures;
    private Captured[] kafkaFixtures;
    private Captured[] dnsFixtures;
    private Captured[] mixed;
    private int next;

    /** Calls per simulated connection; then it closes and the next one starts with the preface. */
    static final int H2_CALLS = 4096;
    final Http2Connections<Object> h2 = new Http2Connections<>(16);
    private byte[][] h2Requests;
    private byte[][] h2Responses;
    private long h2Connection = 1;
    private int h2Call;
    private int h2Streams;
    private final BiConsumer<Object, Http2Connection.Stream> h2Sink = (c, s) -> h2Streams++;

    @Setup
    public void load() {
        http1Fixtures = CapturedFixtures.all("http").toArray(Captured[]::new);
        List<Captured> h2 = new ArrayList<>(CapturedFixtures.all("http2"));
        h2.addAll(CapturedFixtures.all("grpc"));
        http2Fixtures = h2.toArray(Captured[]::new);
        kafkaFixtures = CapturedFixtures.all("kafka").toArray(Captured[]::new);
        dnsFixtures = CapturedFixtures.all("dns").toArray(Captured[]::new);
        List<Captured> all = new ArrayList<>();
        for (Captured[] group : List.of(http1Fixtures, http2Fixtures, kafkaFixtures, dnsFixtures)) {
            all.addAll(Arrays.asList(group));
        }
        mixed = all.toArray(Captured[]::new);
        grpcConnection();
    }

    /**
     * The chunks of {@link #H2_CALLS} sequential unary calls on one gRPC connection: the first call
     * adds :authority, content-type, te and :path to the client's table and content-type and
     * grpc-status to the server's; the later ones index them (traceparent differs per call and is
     * not indexed).
     */
    private void grpcConnection() {
        h2Requests = new byte[H2_CALLS][];
        h2Responses = new byte[H2_CALLS][];
        byte[] message = frame(DATA, 0, 0, new byte[5 + 16]);
        for (int i = 0; i < H2_CALLS; i++) {
            int sid = 2 * i + 1;
            String traceparent = String.format(Locale.ROOT, "00-%032x-%016x-01", i + 1L, i + 7L);
            byte[] req;
            byte[] headers;
            byte[] trailers;
            if (i == 0) {
                req = block(indexed(3), indexed(6), literalIndexing(1, "localhost:50051"),
                        literalIndexing(31, "application/grpc"), literalNew("te", "trailers"),
                        literalIndexing(4, "/peregrine.test.Store/Get"), literalNew("traceparent", traceparent));
                headers = block(indexed(8), literalIndexing(31, "application/grpc"));
                trailers = block(literalIndexingNew("grpc-status", "0"));
            } else {
                req = block(indexed(3), indexed(6), indexed(64), indexed(63), literalNew("te", "trailers"),
                        indexed(62), literalNew("traceparent", traceparent));
                headers = block(indexed(8), indexed(63));
                trailers = block(indexed(62));
            }
            byte[] data = message.clone();
            data[8] = (byte) sid;
            data[7] = (byte) (sid >> 8);
            byte[] request = concat(frame(HEADERS, END_HEADERS, sid, req), data);
            h2Requests[i] = i == 0 ? concat(preface(), frame(SETTINGS, 0, 0, new byte[0]), request) : request;
            h2Responses[i] = concat(frame(HEADERS, END_HEADERS, sid, headers), data,
                    frame(HEADERS, END_HEADERS | END_STREAM, sid, trailers));
        }
    }

    private Captured next(Captured[] fixtures) {
        if (++next >= fixtures.length * 1024) {
            next = 0;
        }
        return fixtures[next % fixtures.length];
    }

    @Benchmark
    public int baselineHashBytes() {
        Captured c = next(mixed);
        return Arrays.hashCode(c.request()) + Arrays.hashCode(c.response());
    }

    @Benchmark
    public Exchange http1() {
        Captured c = next(http1Fixtures);
        return http1.decode(c.request(), c.response());
    }

    @Benchmark
    public Exchange http2AndGrpc() {
        Captured c = next(http2Fixtures);
        return http2.decode(c.request(), c.response());
    }

    @Benchmark
    public Exchange kafka() {
        Captured c = next(kafkaFixtures);
        return kafka.decode(c.request(), c.response());
    }

    @Benchmark
    public Exchange dns() {
        Captured c = next(dnsFixtures);
        return dns.decode(c.request(), c.response());
    }

    /** One gRPC call on a followed HTTP/2 connection: its request chunk and its response chunk. */
    @Benchmark
    public int http2ConnectionGrpcCall() {
        if (h2Call == H2_CALLS) {
            h2.close(h2Connection++, 0, h2Sink);
            h2Call = 0;
        }
        int i = h2Call++;
        byte[] req = h2Requests[i];
        byte[] resp = h2Responses[i];
        h2.chunk(h2Connection, this, 2L * i, true, req, req.length, i, i, h2Sink);
        h2.chunk(h2Connection, this, 2L * i + 1, false, resp, resp.length, i + 1, i + 1, h2Sink);
        return h2Streams;
    }

    /** Recognise the protocol from the request bytes, then decode: a connection seen the first time. */
    @Benchmark
    public Exchange recognizeThenDecodeMixed() {
        Captured c = next(mixed);
        ProtocolDecoder d = decoders.recognize(c.request(), 0);
        return d == null ? null : d.decode(c.request(), c.response());
    }

    /** Operations per CPU-second of this thread for each benchmark, after a warm-up of the same length. */
    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        HttpFamilyDecoderBenchmark b = new HttpFamilyDecoderBenchmark();
        b.load();
        List<String> names = List.of("baselineHashBytes", "http1", "http2AndGrpc", "http2ConnectionGrpcCall", "kafka",
                "dns", "recognizeThenDecodeMixed");
        List<ToIntFunction<HttpFamilyDecoderBenchmark>> ops = List.of(
                HttpFamilyDecoderBenchmark::baselineHashBytes,
                x -> x.http1() == null ? 0 : 1,
                x -> x.http2AndGrpc() == null ? 0 : 1,
                HttpFamilyDecoderBenchmark::http2ConnectionGrpcCall,
                x -> x.kafka() == null ? 0 : 1,
                x -> x.dns() == null ? 0 : 1,
                x -> x.recognizeThenDecodeMixed() == null ? 0 : 1);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int i = 0; i < names.size(); i++) {
            ToIntFunction<HttpFamilyDecoderBenchmark> op = ops.get(i);
            double rate = 0;
            for (int round = 0; round < 2; round++) { // warm-up, then measure
                long count = 0;
                long cpu0 = threads.getCurrentThreadCpuTime();
                long cpu;
                do {
                    for (int k = 0; k < 10_000; k++) {
                        sink += op.applyAsInt(b);
                    }
                    count += 10_000;
                    cpu = threads.getCurrentThreadCpuTime() - cpu0;
                } while (cpu < seconds * 1e9);
                rate = count / (cpu / 1e9);
            }
            System.out.printf(Locale.ROOT, "%-26s %,14.0f ops per CPU-second%n", names.get(i), rate);
        }
        System.out.println("(sink " + sink + "; HTTP/2 broken connections " + b.h2.stats().broken() + ")");
    }
}
