package io.peregrine.agent.l7;

import io.peregrine.agent.l7.memcached.MemcachedDecoder;
import io.peregrine.agent.l7.mongo.MongoDecoder;
import io.peregrine.agent.l7.mysql.MysqlDecoder;
import io.peregrine.agent.l7.postgres.PostgresDecoder;
import io.peregrine.agent.l7.redis.RedisDecoder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of the database decoders on their captured fixtures (src/test/resources/l7/*), one
 * thread: each operation classifies one exchange through the registry ({@link Decoders#recognize},
 * as the agent does for a connection it has not classified yet) and decodes it, so the figure in
 * ops/s is messages per second per core. {@code decodeOnly} leaves out the classification (a
 * connection whose protocol is known), {@code decodeTurn} what the agent runs for such a
 * connection (the turn split into its requests, with the connection's prepared statements),
 * {@code recognizeOnly} is the decoder's own check, and
 * {@code baselineHash} one pass over the same bytes, to quote the others against on a shared,
 * noisy machine. The target is at least 2 M messages/s per core.
 *
 * <pre>
 * mvn -B -q -o -pl edge-agent -Pbench test-compile exec:exec [-Dbench.args="DatabaseDecoderBenchmark -f 1"]
 * </pre>
 *
 * <p>JMH's ops/s are per wall-clock second, which on a shared machine is a fraction of a core.
 * {@link #main} measures the same operations per second of the benchmark thread's own CPU time
 * (ThreadMXBean), i.e. per core whatever else runs:
 * <pre>
 * mvn -B -q -o -pl edge-agent test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * java -cp edge-agent/target/test-classes:edge-agent/target/classes:$(cat edge-agent/target/cp.txt) \
 *     io.peregrine.agent.l7.DatabaseDecoderBenchmark [cpu-seconds]
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class DatabaseDecoderBenchmark {

    @Param({"postgres", "mysql", "redis", "memcached", "mongo"})
    public String protocol;

    private final Decoders decoders = Decoders.all();
    private ProtocolDecoder decoder;
    private byte[][] requests;
    private byte[][] responses;
    private int next;
    private final PreparedStatements statements = new PreparedStatements();

    @Setup
    public void load() {
        decoder = switch (protocol) {
            case "postgres" -> new PostgresDecoder();
            case "mysql" -> new MysqlDecoder();
            case "redis" -> new RedisDecoder();
            case "memcached" -> new MemcachedDecoder();
            default -> new MongoDecoder();
        };
        // only what the decoder reads as a request (not the startup phase or unrecognised bytes)
        List<DecoderFixtures.Fixture> fixtures = DecoderFixtures.load(protocol).stream()
                .filter(f -> decoder.recognizes(f.request(), 0) && decoder.decode(f.request(), f.response()) != null)
                .toList();
        requests = fixtures.stream().map(DecoderFixtures.Fixture::request).toArray(byte[][]::new);
        responses = fixtures.stream().map(DecoderFixtures.Fixture::response).toArray(byte[][]::new);
    }

    private int nextIndex() {
        int i = next;
        next = i + 1 == requests.length ? 0 : i + 1;
        return i;
    }

    /**
     * Messages per second of CPU time of this thread, per protocol: {@code decodeOnly},
     * {@code decodeTurn} and {@code recognizeAndDecode}, after a warm-up, over at least {@code args[0]} CPU seconds each
     * (default 3).
     */
    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (String p : new String[] {"postgres", "mysql", "redis", "memcached", "mongo"}) {
            DatabaseDecoderBenchmark b = new DatabaseDecoderBenchmark();
            b.protocol = p;
            b.load();
            StringBuilder line = new StringBuilder(p);
            for (String mode : new String[] {"decodeOnly", "decodeTurn", "recognizeAndDecode"}) {
                long sink = 0;
                for (int warm = 0; warm < 2; warm++) {
                    long ops = 0;
                    long start = cpu.getCurrentThreadCpuTime();
                    long budget = (long) ((warm == 0 ? 1 : seconds) * 1e9);
                    long used;
                    do {
                        for (int k = 0; k < 10_000; k++) {
                            Object e = switch (mode) {
                                case "decodeOnly" -> b.decodeOnly();
                                case "decodeTurn" -> b.decodeTurn();
                                default -> b.recognizeAndDecode();
                            };
                            sink += e == null ? 0 : e.hashCode();
                        }
                        ops += 10_000;
                        used = cpu.getCurrentThreadCpuTime() - start;
                    } while (used < budget);
                    if (warm == 1) {
                        line.append(String.format(java.util.Locale.ROOT, "  %s %.2f M msg/cpu-s",
                                mode, ops / (used / 1e9) / 1e6));
                    }
                }
                if (sink == 42) {
                    line.append(' '); // keeps the results alive
                }
            }
            System.out.println(line);
        }
    }

    @Benchmark
    public Exchange recognizeAndDecode() {
        int i = nextIndex();
        ProtocolDecoder d = decoders.recognize(requests[i], 0);
        return d == null ? null : d.decode(requests[i], responses[i]);
    }

    @Benchmark
    public Exchange decodeOnly() {
        int i = nextIndex();
        return decoder.decode(requests[i], responses[i]);
    }

    @Benchmark
    public java.util.List<Exchange> decodeTurn() {
        int i = nextIndex();
        return decoder.decodeTurn(requests[i], responses[i], statements);
    }

    /** Baseline for the noisy shared machine: one pass over the same bytes (a hash), no decoding. */
    @Benchmark
    public int baselineHash() {
        int i = nextIndex();
        return java.util.Arrays.hashCode(requests[i]) ^ java.util.Arrays.hashCode(responses[i]);
    }

    @Benchmark
    public void recognizeOnly(Blackhole bh) {
        int i = nextIndex();
        bh.consume(decoder.recognizes(requests[i], 0));
    }
}
