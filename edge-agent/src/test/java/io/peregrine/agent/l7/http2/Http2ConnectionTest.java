package io.peregrine.agent.l7.http2;

import static io.peregrine.agent.l7.http2.Http2Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.CapturedFixtures;
import io.peregrine.agent.l7.CapturedFixtures.Captured;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.http2.Http2Connection.Stream;
import io.peregrine.agent.l7.http2.Http2Stats.Break;
import io.peregrine.schema.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The per-connection follower on bytes as the sensor ships them: captured gRPC and curl exchanges
 * fed as chunks cut at every offset, and hand-built frames for what captures rarely show (dynamic
 * table references across streams, interleaving, CONTINUATION, RST_STREAM, GOAWAY, 1xx, truncated
 * calls, lost chunks, garbage).
 */
class Http2ConnectionTest {

    private static final String SAY = "/peregrine.test.Echo/Say";
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private final Http2Stats stats = new Http2Stats();
    private final Http2Connection conn = new Http2Connection(stats);
    private final List<Stream> out = new ArrayList<>();
    private long seq;

    /** One call: client-to-server or back, at time t (ns), whose first `captured` bytes are shipped. */
    private void call(boolean fromClient, byte[] bytes, int captured, long t) {
        conn.chunk(seq++, fromClient, Arrays.copyOf(bytes, captured), bytes.length, t, t + 10, out::add);
    }

    private void call(boolean fromClient, byte[] bytes, long t) {
        call(fromClient, bytes, bytes.length, t);
    }

    @Test
    void shouldFollowCapturedGrpcCallsCutAtEveryOffset() {
        for (String name : List.of("unary-ok", "unary-not-found", "unary-unavailable")) {
            Captured c = CapturedFixtures.load("grpc", name);
            byte[] req = concat(Http2Decoder.PREFACE, c.request());
            Exchange expected = new Http2Decoder().decode(req, c.response());
            for (int cut = 0; cut <= req.length; cut += 7) {
                for (int rcut = 0; rcut <= c.response().length; rcut += 11) {
                    Http2Stats s = new Http2Stats();
                    Http2Connection h = new Http2Connection(s);
                    List<Stream> got = new ArrayList<>();
                    h.chunk(0, true, Arrays.copyOfRange(req, 0, cut), cut, 100, 110, got::add);
                    h.chunk(1, true, Arrays.copyOfRange(req, cut, req.length), req.length - cut, 200, 210, got::add);
                    h.chunk(2, false, Arrays.copyOfRange(c.response(), 0, rcut), rcut, 1_000, 1_010, got::add);
                    h.chunk(3, false, Arrays.copyOfRange(c.response(), rcut, c.response().length),
                            c.response().length - rcut, 2_000, 2_010, got::add);
                    assertThat(got).as("%s cut at %d/%d", name, cut, rcut).hasSize(1);
                    assertThat(got.get(0).exchange()).isEqualTo(expected);
                    assertThat(got.get(0).answered()).isTrue();
                    assertThat(s.broken()).isZero();
                }
            }
            assertThat(expected.protocol()).isEqualTo(Protocol.GRPC);
            assertThat(expected.resource()).isEqualTo(SAY);
        }
    }

    @Test
    void shouldTimeAStreamFromItsRequestHeadersToTheEndOfItsResponse() {
        Captured c = CapturedFixtures.load("grpc", "unary-ok");
        call(true, concat(Http2Decoder.PREFACE, c.request()), 1_000);
        call(false, c.response(), 51_000);
        assertThat(out).singleElement().satisfies(s -> {
            assertThat(s.startNanos()).isEqualTo(1_000);
            assertThat(s.endNanos()).isEqualTo(51_010);
            assertThat(s.exchange()).isEqualTo(
                    new Exchange(Protocol.GRPC, "POST", SAY, "localhost", "grpc:OK", 0, false, TRACEPARENT, null, null));
            assertThat(s.requestBytes()).isPositive();
            assertThat(s.responseBytes()).isPositive();
        });
    }

    @Test
    void shouldFollowCurlOverHttp2() {
        Captured c = CapturedFixtures.load("http2", "get-200-curl");
        call(true, c.request(), 0);
        call(false, c.response(), 5);
        assertThat(out).singleElement().satisfies(s -> assertThat(s.exchange()).isEqualTo(
                new Exchange(Protocol.HTTP2, "GET", "/static/app.js", "localhost", "200", 200, false, TRACEPARENT, null,
                        null)));
    }

    @Test
    void shouldUseTheDynamicTableAcrossStreamsAndInterleave() {
        call(true, concat(Http2Decoder.PREFACE, frame(SETTINGS, 0, 0, new byte[0])), 0);
        // stream 1 adds :authority, content-type and path to the client's table; stream 3 indexes them
        byte[] h1 = block(indexed(3), literalIndexing(1, "svc:50051"), literalIndexing(31, "application/grpc"),
                literalIndexing(4, "/pkg.Svc/A"));
        byte[] h3 = block(indexed(3), indexed(64), indexed(63), literalIndexing(4, "/pkg.Svc/B"));
        call(true, concat(frame(HEADERS, END_HEADERS, 1, h1), frame(DATA, END_STREAM, 1, new byte[5])), 10);
        call(true, concat(frame(HEADERS, END_HEADERS, 3, h3), frame(DATA, END_STREAM, 3, new byte[5])), 20);
        // responses: stream 3 first; the server's table gets content-type, then grpc-status literals
        byte[] r3 = block(indexed(8), literalIndexing(31, "application/grpc"));
        byte[] t3 = block(literalNew("grpc-status", "5"));
        call(false, concat(frame(HEADERS, END_HEADERS, 3, r3), frame(DATA, 0, 3, new byte[7]),
                frame(HEADERS, END_HEADERS | END_STREAM, 3, t3)), 30);
        byte[] r1 = block(indexed(8), indexed(62));
        byte[] t1 = block(literalNew("grpc-status", "0"));
        call(false, concat(frame(HEADERS, END_HEADERS, 1, r1), frame(HEADERS, END_HEADERS | END_STREAM, 1, t1)), 40);

        assertThat(out).extracting(Stream::id).containsExactly(3, 1);
        assertThat(out.get(0).exchange()).isEqualTo(
                new Exchange(Protocol.GRPC, "POST", "/pkg.Svc/B", "svc", "grpc:NOT_FOUND", 5, true, null, null, null));
        assertThat(out.get(1).exchange()).isEqualTo(
                new Exchange(Protocol.GRPC, "POST", "/pkg.Svc/A", "svc", "grpc:OK", 0, false, null, null, null));
        assertThat(out.get(0).startNanos()).isEqualTo(20);
        assertThat(out.get(1).startNanos()).isEqualTo(10);
        assertThat(out.get(1).endNanos()).isEqualTo(50);
        assertThat(stats.broken()).isZero();
        assertThat(stats.streams()).isEqualTo(2);
    }

    @Test
    void shouldJoinContinuationFrames() {
        byte[] h = block(indexed(2), indexed(7), literalIndexing(1, "example.com"), literalNew("x-long", "v".repeat(300)),
                literalIndexing(4, "/orders/123"));
        byte[] a = Arrays.copyOfRange(h, 0, 100);
        byte[] b = Arrays.copyOfRange(h, 100, 250);
        byte[] c = Arrays.copyOfRange(h, 250, h.length);
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, END_STREAM, 1, a), frame(CONTINUATION, 0, 1, b)), 0);
        call(true, frame(CONTINUATION, END_HEADERS, 1, c), 1);
        call(false, frame(HEADERS, END_HEADERS | END_STREAM, 1, block(indexed(13))), 2);
        assertThat(out).singleElement().satisfies(s -> assertThat(s.exchange()).isEqualTo(
                new Exchange(Protocol.HTTP2, "GET", "/orders/{id}", "example.com", "404", 404, false, null, null, null)));
    }

    @Test
    void shouldBreakOnAFrameBetweenContinuations() {
        byte[] h = block(indexed(2), indexed(4));
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, 0, 1, h), frame(DATA, 0, 1, new byte[1])), 0);
        assertThat(conn.broken()).isTrue();
        assertThat(stats.broken(Break.PROTOCOL)).isEqualTo(1);
    }

    @Test
    void shouldSkipTheUncapturedPartOfALargeDataFrame() {
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, END_HEADERS, 1, block(indexed(3), indexed(4)))), 0);
        byte[] body = new byte[100_000];
        Arrays.fill(body, (byte) 0x7f);
        call(true, frame(DATA, END_STREAM, 1, body), 1024, 1); // the kernel captured 1 KiB of it
        byte[] resp = concat(frame(HEADERS, END_HEADERS, 1, block(indexed(8))), frame(DATA, 0, 1, body));
        call(false, resp, 1024, 2);
        call(false, frame(DATA, END_STREAM, 1, new byte[3]), 3);
        assertThat(conn.broken()).isFalse();
        assertThat(out).singleElement().satisfies(s -> {
            assertThat(s.exchange().status()).isEqualTo("200");
            assertThat(s.exchange().method()).isEqualTo("POST");
            assertThat(s.requestBytes()).isEqualTo(9 + 2 + 9 + 100_000);
            assertThat(s.responseBytes()).isEqualTo(9 + 1 + 9 + 100_000 + 9 + 3);
            assertThat(s.endNanos()).isEqualTo(13);
        });
    }

    @Test
    void shouldBreakWhenTheUncapturedBytesHoldAFrameHeader() {
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, END_HEADERS, 1, block(indexed(2), indexed(4)))), 0);
        byte[] two = concat(frame(DATA, 0, 1, new byte[10]), frame(DATA, END_STREAM, 1, new byte[10]));
        call(true, two, 15, 1);
        assertThat(conn.broken()).isTrue();
        assertThat(stats.broken(Break.FRAMING_LOST)).isEqualTo(1);
        assertThat(stats.streamsLost()).isEqualTo(1);
        call(false, frame(HEADERS, END_HEADERS | END_STREAM, 1, block(indexed(8))), 2);
        assertThat(out).isEmpty();
        assertThat(stats.chunksIgnored()).isEqualTo(1);
    }

    @Test
    void shouldBreakRatherThanGuessWhenAHeaderBlockWasCut() {
        byte[] h = block(indexed(2), literalIndexing(4, "/a/very/long/path/" + "x".repeat(200)));
        byte[] f = frame(HEADERS, END_HEADERS | END_STREAM, 1, h);
        call(true, concat(Http2Decoder.PREFACE, f), Http2Decoder.PREFACE.length + 50, 0);
        assertThat(stats.broken(Break.HEADERS_LOST)).isEqualTo(1);
        assertThat(out).isEmpty();
    }

    @Test
    void shouldBreakOnALostChunk() {
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, END_HEADERS, 1, block(indexed(2), indexed(4)))), 0);
        seq++; // the kernel numbered a chunk the ring buffer had no room for
        call(false, frame(HEADERS, END_HEADERS | END_STREAM, 1, block(indexed(8))), 2);
        assertThat(stats.broken(Break.CHUNK_LOST)).isEqualTo(1);
        assertThat(out).isEmpty();
    }

    @Test
    void shouldBreakWithoutThePreface() {
        call(true, frame(HEADERS, END_HEADERS, 1, block(indexed(2), indexed(4))), 0);
        assertThat(stats.broken(Break.NO_PREFACE)).isEqualTo(1);
    }

    @Test
    void shouldReportReferencesToEntriesNeverSeenAsABrokenTable() {
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, END_HEADERS, 1, block(indexed(2), indexed(70)))), 0);
        assertThat(stats.broken(Break.BAD_HEADER_BLOCK)).isEqualTo(1);
    }

    @Test
    void shouldReportResetsAndRefusedStreams() {
        byte[] grpcReq = block(indexed(3), literalIndexing(31, "application/grpc"), literalIndexing(4, "/pkg.Svc/Slow"));
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, END_HEADERS, 1, grpcReq)), 0);
        call(true, frame(HEADERS, END_HEADERS, 3, block(indexed(3), indexed(63), indexed(62))), 1);
        call(true, frame(HEADERS, END_HEADERS, 5, block(indexed(2), indexed(4))), 2);
        call(true, frame(RST_STREAM, 0, 1, new byte[] {0, 0, 0, 8}), 3); // the client cancels
        call(false, frame(GOAWAY, 0, 0, new byte[] {0, 0, 0, 3, 0, 0, 0, 0}), 4); // 5 refused
        call(false, frame(RST_STREAM, 0, 3, new byte[] {0, 0, 0, 2}), 5); // INTERNAL_ERROR
        assertThat(out).extracting(Stream::id).containsExactly(1, 5, 3);
        assertThat(out.get(0).exchange().status()).isEqualTo("grpc:CANCELLED");
        assertThat(out.get(0).reset()).isTrue();
        assertThat(out.get(1).exchange().status()).isEqualTo("reset");
        assertThat(out.get(1).exchange().error()).isTrue();
        assertThat(out.get(2).exchange().status()).isEqualTo("grpc:INTERNAL");
        assertThat(stats.resets()).isEqualTo(3);
    }

    @Test
    void shouldSkipInterimResponsesAndReportOpenStreamsAtClose() {
        call(true, concat(Http2Decoder.PREFACE, frame(HEADERS, END_HEADERS, 1, block(indexed(3), indexed(4)))), 0);
        call(true, frame(HEADERS, END_HEADERS | END_STREAM, 3, block(indexed(2), indexed(4))), 1);
        call(false, concat(frame(HEADERS, END_HEADERS, 1, block(literalNew(":status", "100"))),
                frame(HEADERS, END_HEADERS, 1, block(indexed(9))), frame(DATA, END_STREAM, 1, new byte[0])), 2);
        conn.close(99, out::add);
        assertThat(out).extracting(Stream::id).containsExactly(1, 3);
        assertThat(out.get(0).exchange().status()).isEqualTo("204");
        assertThat(out.get(1).answered()).isFalse();
        assertThat(out.get(1).endNanos()).isEqualTo(99);
        assertThat(stats.unanswered()).isEqualTo(1);
    }

    @Test
    void shouldBoundOpenStreams() {
        call(true, Http2Decoder.PREFACE, 0);
        for (int i = 0; i < Http2Connection.MAX_STREAMS + 10; i++) {
            call(true, frame(HEADERS, END_HEADERS, 2 * i + 1, block(indexed(2), indexed(4))), i);
        }
        assertThat(conn.openStreams()).isEqualTo(Http2Connection.MAX_STREAMS);
        assertThat(stats.streamLimitHits()).isEqualTo(10);
    }

    @Test
    void shouldNeverThrowOnGarbage() {
        Random random = new Random(42);
        Captured c = CapturedFixtures.load("grpc", "unary-ok");
        byte[] good = concat(Http2Decoder.PREFACE, c.request());
        for (int round = 0; round < 2_000; round++) {
            Http2Stats s = new Http2Stats();
            Http2Connection h = new Http2Connection(s);
            List<Stream> got = new ArrayList<>();
            long n = 0;
            for (int k = 0; k < 6; k++) {
                byte[] b;
                if (round % 2 == 0) {
                    b = new byte[random.nextInt(300)];
                    random.nextBytes(b);
                } else {
                    b = (k % 2 == 0 ? good : c.response()).clone();
                    for (int flips = 0; flips < 3; flips++) {
                        b[random.nextInt(b.length)] = (byte) random.nextInt();
                    }
                }
                long total = b.length + (random.nextInt(4) == 0 ? random.nextInt(20_000) : 0);
                h.chunk(k == 0 ? 0 : n, k % 2 == 0, b, total, k, k + 1, got::add);
                n++;
            }
            h.close(100, got::add);
            // whatever came out is well-formed
            for (Stream st : got) {
                assertThat(st.exchange()).isNotNull();
                assertThat(st.endNanos()).isGreaterThanOrEqualTo(st.startNanos());
            }
        }
    }

    @Test
    void shouldBoundConnectionsAndForgetThemAtClose() {
        Http2Connections<String> all = new Http2Connections<>(2);
        List<String> seen = new ArrayList<>();
        byte[] req = concat(Http2Decoder.PREFACE, frame(HEADERS, END_HEADERS, 1, block(indexed(2), indexed(4))));
        for (long id = 1; id <= 3; id++) {
            all.chunk(id, "conn" + id, 0, true, req, req.length, 0, 1, (ctx, s) -> seen.add(ctx));
        }
        assertThat(all.size()).isEqualTo(2);
        assertThat(all.stats().evicted()).isEqualTo(1);
        all.close(3, 10, (ctx, s) -> seen.add(ctx + ":" + s.answered()));
        assertThat(seen).containsExactly("conn3:false");
        assertThat(all.size()).isEqualTo(1);
        // a later chunk of the evicted connection does not start from 0: it breaks instead of guessing
        all.chunk(1, "conn1", 1, false, frame(HEADERS, END_HEADERS | END_STREAM, 1, block(indexed(8))), 10, 2, 3,
                (ctx, s) -> seen.add(ctx));
        assertThat(all.stats().broken(Break.CHUNK_LOST)).isEqualTo(1);
    }
}
