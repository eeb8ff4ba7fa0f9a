package io.peregrine.agent.l7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.peregrine.agent.l7.CapturedFixtures.Captured;
import io.peregrine.agent.l7.dns.DnsDecoder;
import io.peregrine.agent.l7.http.Http1Decoder;
import io.peregrine.agent.l7.http2.GrpcDecoder;
import io.peregrine.agent.l7.http2.Http2Decoder;
import io.peregrine.agent.l7.kafka.KafkaDecoder;
import io.peregrine.schema.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties every decoder of the HTTP family, Kafka and DNS keeps on any input: no exception
 * escapes and nothing loops (seeded random garbage, mutated and truncated captures), each capture
 * is recognised by its own decoder only, and other protocols' requests by none.
 */
class HttpFamilyRobustnessTest {

    private static final long SEED = 0x5eed_1234L;
    private static final List<ProtocolDecoder> DECODERS = List.of(
            new Http1Decoder(), new GrpcDecoder(), new Http2Decoder(), new KafkaDecoder(), new DnsDecoder());
    private static final List<String> PROTOCOLS = List.of("http", "http2", "grpc", "kafka", "dns");

    private static List<Captured> captures() {
        List<Captured> all = new ArrayList<>();
        PROTOCOLS.forEach(p -> all.addAll(CapturedFixtures.all(p)));
        return all;
    }

    @Test
    void shouldRecognizeEachCaptureByItsOwnDecoderOnly() {
        Decoders decoders = new Decoders(DECODERS);
        for (Captured c : captures()) {
            Protocol expected = switch (c.protocol()) {
                case "http" -> Protocol.HTTP;
                // a call in the middle of a connection: its content-type was indexed before the capture
                case "grpc" -> c.name().equals("second-call") ? Protocol.HTTP2 : Protocol.GRPC;
                case "http2" -> Protocol.HTTP2;
                case "kafka" -> Protocol.KAFKA;
                default -> Protocol.DNS;
            };
            ProtocolDecoder d = decoders.recognize(c.request(), 0);
            assertThat(d).as(c.toString()).isNotNull();
            assertThat(d.protocol()).as(c.toString()).isEqualTo(expected);
            for (ProtocolDecoder other : DECODERS) {
                boolean sameFamily = (expected == Protocol.GRPC && other.protocol() == Protocol.HTTP2);
                if (other.protocol() != expected && !sameFamily) {
                    assertThat(other.recognizes(c.request(), 0)).as(other.protocol() + " on " + c).isFalse();
                }
            }
        }
    }

    @Test
    void shouldNotRecognizeOtherProtocolsRequests() {
        for (byte[] other : CapturedFixtures.otherProtocols()) {
            for (ProtocolDecoder d : DECODERS) {
                assertThat(d.recognizes(other, 0)).as(d.protocol() + " on " + new String(other)).isFalse();
                assertThat(d.decode(other, new byte[0])).as(d.protocol() + " decoding " + new String(other)).isNull();
            }
        }
    }

    @Test
    void shouldSurviveEveryTruncationOfEveryCapture() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (Captured c : captures()) {
                for (ProtocolDecoder d : DECODERS) {
                    for (int n = 0; n <= c.request().length; n++) {
                        byte[] req = Arrays.copyOf(c.request(), n);
                        d.recognizes(req, 0);
                        d.decode(req, c.response());
                    }
                    for (int n = 0; n <= c.response().length; n++) {
                        d.decode(c.request(), Arrays.copyOf(c.response(), n));
                    }
                }
            }
        });
    }

    @Test
    void shouldSurviveMutatedCapturesAndRandomBytes() {
        Random random = new Random(SEED);
        List<Captured> captures = captures();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < 200_000; i++) {
                Captured c = captures.get(random.nextInt(captures.size()));
                byte[] req = i % 10 == 0 ? randomBytes(random) : mutate(c.request(), random);
                byte[] resp = i % 3 == 0 ? randomBytes(random) : mutate(c.response(), random);
                for (ProtocolDecoder d : DECODERS) {
                    d.recognizes(req, 0);
                    d.decode(req, resp);
                }
            }
        });
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(64)];
        random.nextBytes(b);
        return b;
    }

    /** A copy with a few bytes changed: bit flips, length-like 0x00/0xFF/0x7F bytes, a cut or a repeat. */
    private static byte[] mutate(byte[] in, Random random) {
        byte[] b = in.clone();
        if (b.length == 0) {
            return b;
        }
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) 0xFF;
                case 2 -> b[at] = 0;
                case 3 -> b[at] = (byte) 0x7F;
                default -> b[at] = (byte) 0xC0; // DNS pointer, HPACK indexed/literal prefixes
            }
        }
        int cut = random.nextInt(4);
        if (cut == 0) {
            b = Arrays.copyOf(b, random.nextInt(b.length + 1));
        } else if (cut == 1 && b.length > 2) {
            // repeat a slice: corrupt structure that still parses for a while
            int from = random.nextInt(b.length / 2);
            byte[] r = Arrays.copyOf(b, b.length + b.length / 2);
            System.arraycopy(b, from, r, b.length, b.length / 2);
            b = r;
        }
        return b;
    }
}
