package io.peregrine.agent.l7.http;

import static io.peregrine.agent.l7.CapturedFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.CapturedFixtures;
import io.peregrine.agent.l7.CapturedFixtures.Captured;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.schema.Protocol;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Http1DecoderTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private final Http1Decoder decoder = new Http1Decoder();

    static Stream<Arguments> captured() {
        return Stream.of(
                // case, method, resource, server name, status, error, traceparent
                Arguments.of("get-200-curl", "GET", "/users/{id}/orders", "127.0.0.1", "200", false, TRACEPARENT),
                Arguments.of("post-500-jdkclient", "POST", "/api/v1/items/{id}/fail", "127.0.0.1", "500", true, null),
                Arguments.of("keepalive-second-curl", "GET", "/blobs/{id}", "127.0.0.1", "200", false, null),
                Arguments.of("no-response-curl", "GET", "/hangup/{id}", "127.0.0.1", null, false, null),
                // only the interim response fits the response's first chunk
                Arguments.of("expect-100-curl", "POST", "/upload/{id}", "127.0.0.1", "100", false, null),
                Arguments.of("get-404-nginx", "GET", "/missing/{id}", "localhost", "404", false, null),
                Arguments.of("get-200-nginx", "GET", "/static/app.js", "localhost", "200", false, null),
                // the request line fills the 1 KiB capture: no Host header was captured
                Arguments.of("long-target-nginx", "GET", "/search/{id}", null, "404", false, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captured")
    void shouldDecodeCapturedExchange(String name, String method, String resource, String serverName, String status,
            boolean error, String traceparent) {
        Captured c = CapturedFixtures.load("http", name);
        assertThat(decoder.recognizes(c.request(), 8080)).isTrue();
        Exchange x = decoder.decode(c.request(), c.response());
        assertThat(x).isEqualTo(new Exchange(Protocol.HTTP, method, resource, serverName, status,
                status == null ? null : Integer.valueOf(status), error, traceparent, null, null));
    }

    @Test
    void shouldReadFinalStatusAfterInterimResponse() {
        byte[] req = bytes("POST /upload HTTP/1.1\r\nHost: a\r\n\r\n");
        Exchange x = decoder.decode(req, bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n\r\n"));
        assertThat(x.status()).isEqualTo("503");
        assertThat(x.error()).isTrue();
    }

    @Test
    void shouldTakeHostFromAbsoluteFormAndStripPortAndIpv6Brackets() {
        Exchange proxied = decoder.decode(bytes("GET http://Example.COM:8080/a/123?x=1 HTTP/1.1\r\n\r\n"), new byte[0]);
        assertThat(proxied.serverName()).isEqualTo("example.com");
        assertThat(proxied.resource()).isEqualTo("/a/{id}");
        Exchange v6 = decoder.decode(bytes("GET / HTTP/1.1\r\nhost: [::1]:9000\r\n\r\n"), new byte[0]);
        assertThat(v6.serverName()).isEqualTo("::1");
        assertThat(v6.status()).isNull();
    }

    @Test
    void shouldIgnoreHeaderLineCutByTheCapture() {
        Exchange x = decoder.decode(bytes("GET / HTTP/1.1\r\nHost: exam"), new byte[0]);
        assertThat(x.serverName()).isNull();
        assertThat(x.resource()).isEqualTo("/");
    }

    @Test
    void shouldLeaveStatusEmptyForAResponseThatIsNotHttp() {
        byte[] req = bytes("GET / HTTP/1.1\r\n\r\n");
        for (String resp : new String[] {"HTTP/1.1 2x0 OK\r\n", "HTTP/1.1 999 Nope\r\n", "SSH-2.0-x\r\n", "HTTP/1.1 20",
                "HTTP/2 200\r\n"}) {
            assertThat(decoder.decode(req, bytes(resp)).status()).as(resp).isNull();
        }
    }

    @Test
    void shouldRejectRequestLinesOfOtherProtocolsAndVersions() {
        for (String req : new String[] {"GET users\r\n", "GET /x HTTP/2.0\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "get / HTTP/1.1\r\n", "GET /a\u0001b HTTP/1.1\r\n", "GET", "FETCH / HTTP/1.1\r\n", "GET /x HTTP/1.2\r\n"}) {
            assertThat(decoder.recognizes(bytes(req), 80)).as(req).isFalse();
            assertThat(decoder.decode(bytes(req), new byte[0])).as(req).isNull();
        }
    }

    @Test
    void shouldDecodeEveryPrefixOfARequestThatHoldsTheTarget() {
        Captured c = CapturedFixtures.load("http", "get-200-curl");
        for (int n = "GET /".length(); n <= c.request().length; n++) {
            Exchange x = decoder.decode(Arrays.copyOf(c.request(), n), c.response());
            assertThat(x).as("prefix %d", n).isNotNull();
            assertThat(x.method()).isEqualTo("GET");
            assertThat(x.status()).isEqualTo("200");
        }
    }
}
