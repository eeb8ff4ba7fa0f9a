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
 * connection whose protocol is known), {@code recognizeOnly} is the decoder's own check, and
 * {@code baselineHash} one pass over the same bytes, to quote the others against on a shared,
 * noisy machine. The target is at least 2 M messages/s per core.
 *
 * <pre>
 * mvn -B -q -o -pl edge-agent -Pbench test-compile exec:exec [-Djmh.args="DatabaseDecoderBenchmark -f 1"]
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
