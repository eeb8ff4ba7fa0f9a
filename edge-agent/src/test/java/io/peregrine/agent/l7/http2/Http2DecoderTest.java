package io.peregrine.agent.l7.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.CapturedFixtures;
import io.peregrine.agent.l7.CapturedFixtures.Captured;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.schema.Protocol;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Http2DecoderTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final String SAY = "/peregrine.test.Echo/Say";
    private final Http2Decoder http2 = new Http2Decoder();
    private final GrpcDecoder grpc = new GrpcDecoder();

    static Stream<Arguments> captured() {
        return Stream.of(
                Arguments.of("http2", "get-200-curl",
                        new Exchange(Protocol.HTTP2, "GET", "/static/app.js", "localhost", "200", 200, false, TRACEPARENT, null, null)),
                Arguments.of("http2", "get-404-curl",
                        new Exchange(Protocol.HTTP2, "GET", "/missing/{id}", "localhost", "404", 404, false, null, null, null)),
                Arguments.of("http2", "get-503-curl",
                        new Exchange(Protocol.HTTP2, "GET", "/fail/now", "localhost", "503", 503, true, null, null, null)),
                // headers, message and trailers of the response
                Arguments.of("grpc", "unary-ok",
                        new Exchange(Protocol.GRPC, "POST", SAY, "localhost", "grpc:OK", 0, false, TRACEPARENT, null, null)),
                // trailers-only responses
                Arguments.of("grpc", "unary-not-found",
                        new Exchange(Protocol.GRPC, "POST", SAY, "localhost", "grpc:NOT_FOUND", 5, true, TRACEPARENT, null, null)),
                Arguments.of("grpc", "unary-unavailable",
                        new Exchange(Protocol.GRPC, "POST", SAY, "localhost", "grpc:UNAVAILABLE", 14, true, TRACEPARENT, null,
                                null)),
                // second call on a channel: path, authority, content-type and grpc-status are indices into
                // table entries added before the capture; only :method and :status are static
                Arguments.of("grpc", "second-call",
                        new Exchange(Protocol.HTTP2, "POST", null, null, "200", 200, false, null, null, null)));
    }

    @ParameterizedTest(name = "{0}/{1}")
    @MethodSource("captured")
    void shouldDecodeCapturedExchange(String protocol, String name, Exchange expected) {
        Captured c = CapturedFixtures.load(protocol, name);
        assertThat(http2.recognizes(c.request(), 0)).isTrue();
        assertThat(http2.decode(c.request(), c.response())).isEqualTo(expected);
    }

    @Test
    void shouldTakeAMidConnectionCallForGrpcOnAGrpcConnection() {
        Captured c = CapturedFixtures.load("grpc", "second-call");
        assertThat(grpc.recognizes(c.request(), 0)).isFalse(); // its content-type is not readable
        assertThat(grpc.decode(c.request(), c.response()))
                .isEqualTo(new Exchange(Protocol.GRPC, "POST", null, null, "200", 200, false, null, null, null));
        // but a connection that says it is plain HTTP/2 stays HTTP/2
        Captured plain = CapturedFixtures.load("http2", "get-200-curl");
        assertThat(grpc.decode(plain.request(), plain.response()).protocol()).isEqualTo(Protocol.HTTP2);
    }

    @Test
    void shouldRecognizeAConnectionCapturedAfterItsPreface() {
        Captured c = CapturedFixtures.load("http2", "get-200-curl");
        byte[] frames = fromFirstHeadersFrame(c.request());
        assertThat(frames.length).isLessThan(c.request().length);
        assertThat(http2.recognizes(frames, 0)).isTrue();
        assertThat(http2.decode(frames, c.response())).isEqualTo(http2.decode(c.request(), c.response()));
        Captured g = CapturedFixtures.load("grpc", "unary-ok");
        assertThat(grpc.recognizes(fromFirstHeadersFrame(g.request()), 0)).isTrue();
    }

    @Test
    void shouldJoinContinuationFramesAndSkipPadding() {
        Captured c = CapturedFixtures.load("http2", "get-200-curl");
        byte[] frames = fromFirstHeadersFrame(c.request());
        int len = u24(frames, 0);
        int stream = frames[8];
        byte[] block = Arrays.copyOfRange(frames, 9, 9 + len);
        byte[] rest = Arrays.copyOfRange(frames, 9 + len, frames.length);
        Exchange expected = http2.decode(c.request(), c.response());

        int half = block.length / 2;
        byte[] split = concat(frame(1, 0x1, stream, Arrays.copyOf(block, half)),
                frame(9, 0x4, stream, Arrays.copyOfRange(block, half, block.length)), rest);
        assertThat(http2.decode(split, c.response())).isEqualTo(expected);

        byte[] padded = concat(frame(1, 0x1 | 0x4 | 0x8, stream, concat(new byte[] {3}, block, new byte[3])), rest);
        assertThat(http2.decode(padded, c.response())).isEqualTo(expected);

        byte[] badPadding = concat(frame(1, 0x4 | 0x8, stream, concat(new byte[] {(byte) 200}, block)), rest);
        assertThat(http2.decode(badPadding, c.response())).isNull();
    }

    @Test
    void shouldMapHttpStatusOfAGrpcResponseWithoutGrpcStatus() {
        Captured c = CapturedFixtures.load("grpc", "unary-ok");
        int stream = firstHeadersStream(c.request());
        // :status 404 (static index 13) and nothing else
        Exchange x = http2.decode(c.request(), frame(1, 0x5, stream, new byte[] {(byte) 0x8d}));
        assertThat(x.status()).isEqualTo("grpc:UNIMPLEMENTED");
        assertThat(x.statusCode()).isEqualTo(12);
        assertThat(x.error()).isTrue();
        // a response on another stream is not this request's
        assertThat(http2.decode(c.request(), frame(1, 0x5, stream + 2, new byte[] {(byte) 0x8d})).status()).isNull();
    }

    @Test
    void shouldLeaveStatusEmptyWithoutAResponse() {
        Captured c = CapturedFixtures.load("grpc", "unary-ok");
        Exchange x = http2.decode(c.request(), new byte[0]);
        assertThat(x.resource()).isEqualTo(SAY);
        assertThat(x.status()).isNull();
        assertThat(x.error()).isFalse();
    }

    @Test
    void shouldNotRecognizeFramesThatAreNotARequest() {
        Captured c = CapturedFixtures.load("grpc", "unary-ok");
        // a server's first bytes: SETTINGS and a response HEADERS (:status) frame
        assertThat(http2.recognizes(c.response(), 0)).isFalse();
        // a SETTINGS frame of a length that is not a multiple of 6
        assertThat(http2.recognizes(frame(4, 0, 0, new byte[5]), 0)).isFalse();
        // HEADERS on stream 0, on an even stream
        assertThat(http2.recognizes(frame(1, 4, 0, new byte[] {(byte) 0x82}), 0)).isFalse();
        assertThat(http2.recognizes(frame(1, 4, 2, new byte[] {(byte) 0x82}), 0)).isFalse();
        assertThat(http2.recognizes(frame(1, 4, 1, new byte[] {(byte) 0x82}), 0)).isTrue();
        assertThat(http2.recognizes(Arrays.copyOf(Http2Decoder.PREFACE, 20), 0)).isFalse();
    }

    private static byte[] fromFirstHeadersFrame(byte[] b) {
        int at = Http2Decoder.hasPreface(b) ? Http2Decoder.PREFACE.length : 0;
        while (b[at + 3] != 1) {
            at += 9 + u24(b, at);
        }
        return Arrays.copyOfRange(b, at, b.length);
    }

    private static int firstHeadersStream(byte[] b) {
        return fromFirstHeadersFrame(b)[8];
    }

    static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >> 16);
        f[1] = (byte) (payload.length >> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static int u24(byte[] b, int at) {
        return ((b[at] & 0xFF) << 16) | ((b[at + 1] & 0xFF) << 8) | (b[at + 2] & 0xFF);
    }
}
