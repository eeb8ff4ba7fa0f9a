package io.peregrine.agent.l7.dns;

import static io.peregrine.agent.l7.CapturedFixtures.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.CapturedFixtures;
import io.peregrine.agent.l7.CapturedFixtures.Captured;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.Protocol;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DnsDecoderTest {

    private final DnsDecoder decoder = new DnsDecoder();

    static Stream<Arguments> captured() {
        return Stream.of(
                // case, name, type, rcode, code, error, answer IPs, smallest TTL
                Arguments.of("a-noerror", "api.example.test", "A", "NOERROR", 0, false, List.of("10.1.2.3"), 300),
                Arguments.of("tcp-a-noerror", "api.example.test", "A", "NOERROR", 0, false, List.of("10.1.2.3"), 300),
                Arguments.of("aaaa-noerror", "api.example.test", "AAAA", "NOERROR", 0, false, List.of("fd00::5"), 300),
                // asked in mixed case; the answer is a CNAME then an A, names compressed
                Arguments.of("cname-chain", "www.example.test", "A", "NOERROR", 0, false, List.of("10.1.2.3"), 300),
                Arguments.of("two-answers", "multi.example.test", "A", "NOERROR", 0, false,
                        List.of("10.0.0.2", "10.0.0.1"), 300),
                Arguments.of("nxdomain", "host.blocked.test", "A", "NXDOMAIN", 3, false, List.of(), null),
                Arguments.of("refused", "elsewhere.invalid", "A", "REFUSED", 5, true, List.of(), null),
                Arguments.of("mx-refused", "api.example.test", "MX", "REFUSED", 5, true, List.of(), null),
                Arguments.of("servfail", "x.fail.test", "A", "SERVFAIL", 2, true, List.of(), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captured")
    void shouldDecodeCapturedExchange(String name, String question, String type, String rcode, int code, boolean error,
            List<String> ips, Integer ttl) {
        Captured c = CapturedFixtures.load("dns", name);
        assertThat(decoder.recognizes(c.request(), 53)).isTrue();
        Exchange x = decoder.decode(c.request(), c.response());
        assertThat(x).isEqualTo(new Exchange(Protocol.DNS, "QUERY", question, null, rcode, code, error, null,
                new DnsDetails(question, type, rcode, ips, ttl), null));
    }

    @Test
    void shouldNotPairAResponseToAnotherQuery() {
        Captured a = CapturedFixtures.load("dns", "a-noerror");
        Captured b = CapturedFixtures.load("dns", "nxdomain");
        Exchange x = decoder.decode(a.request(), b.response());
        assertThat(x.resource()).isEqualTo("api.example.test");
        assertThat(x.status()).isNull();
        assertThat(x.dns()).isNull();
        // a query echoed back is not a response either
        assertThat(decoder.decode(a.request(), a.request()).status()).isNull();
    }

    @Test
    void shouldKeepTheAnswersBeforeACut() {
        Captured c = CapturedFixtures.load("dns", "two-answers");
        Exchange x = decoder.decode(c.request(), Arrays.copyOf(c.response(), c.response().length - 20));
        assertThat(x.status()).isEqualTo("NOERROR");
        assertThat(x.dns().getAnswerIps()).hasSizeLessThan(2);
    }

    @Test
    void shouldNotFollowPointersThatLoopOrPointForward() {
        // header of a response with 1 question and 1 answer whose name points at itself (offset 29)
        String header = "abcd" + "8180" + "0001" + "0001" + "0000" + "0000";
        String question = "03617069" + "00" + "0001" + "0001"; // "api" A IN, offset 12..20
        byte[] query = hex("abcd" + "0100" + "0001" + "0000" + "0000" + "0000" + question);
        byte[] selfLoop = hex(header + question + "c015" + "0001" + "0001" + "0000012c" + "0004" + "0a000001");
        byte[] forward = hex(header + question + "c040" + "0001" + "0001" + "0000012c" + "0004" + "0a000001");
        byte[] twoStep = hex(header + question + "c01f" + "0001" + "0001" + "0000012c" + "0004" + "0a000001" + "c01d");
        for (byte[] resp : List.of(selfLoop, forward, twoStep)) {
            Exchange x = decoder.decode(query, resp);
            assertThat(x.status()).isEqualTo("NOERROR");
            assertThat(x.dns().getAnswerIps()).isEmpty();
        }
        // the same answer with a pointer back to the question is read
        byte[] good = hex(header + question + "c00c" + "0001" + "0001" + "0000012c" + "0004" + "0a000001");
        assertThat(decoder.decode(query, good).dns().getAnswerIps()).containsExactly("10.0.0.1");
        assertThat(decoder.decode(query, good).dns().getAnswerTtlSeconds()).isEqualTo(300);
    }

    @Test
    void shouldEscapeOddLabelBytesAndNameTheRoot() {
        byte[] odd = hex("0001" + "0000" + "0001" + "0000" + "0000" + "0000" + "03612e62" + "00" + "0010" + "0001");
        assertThat(decoder.decode(odd, new byte[0]).resource()).isEqualTo("a\\046b");
        byte[] root = hex("0001" + "0000" + "0001" + "0000" + "0000" + "0000" + "00" + "0002" + "0001");
        assertThat(decoder.decode(root, new byte[0]).resource()).isEqualTo(".");
    }

    @Test
    void shouldRejectMessagesThatAreNotOneQuery() {
        Captured c = CapturedFixtures.load("dns", "a-noerror");
        byte[] q = c.request();
        assertThat(decoder.recognizes(c.response(), 53)).as("a response").isFalse();
        assertThat(decoder.recognizes(with(q, 5, 2), 53)).as("two questions").isFalse();
        assertThat(decoder.recognizes(with(q, 7, 1), 53)).as("an answer in a query").isFalse();
        assertThat(decoder.recognizes(with(q, 12, 0x40), 53)).as("label type 01").isFalse();
        assertThat(decoder.recognizes(with(q, 12, 63), 53)).as("label past the end").isFalse();
        assertThat(decoder.recognizes(with(q, 3, 1), 53)).as("rcode in a query").isFalse();
        assertThat(decoder.recognizes(Arrays.copyOf(q, 20), 53)).as("cut question").isFalse();
        byte[] longName = new byte[12 + 5 * 64 + 5];
        System.arraycopy(q, 0, longName, 0, 12);
        for (int i = 0; i < 5; i++) {
            longName[12 + i * 64] = 63;
        }
        assertThat(decoder.recognizes(longName, 53)).as("name over 255 octets").isFalse();
    }

    @Test
    void shouldReadTcpFramingOnlyWhenTheLengthMatches() {
        Captured tcp = CapturedFixtures.load("dns", "tcp-a-noerror");
        byte[] wrongLength = with(tcp.request(), 1, tcp.request()[1] + 1);
        assertThat(decoder.recognizes(wrongLength, 53)).isFalse();
        assertThat(decoder.recognizes(Arrays.copyOfRange(tcp.request(), 2, tcp.request().length), 53)).isTrue();
    }

    private static byte[] with(byte[] b, int at, int value) {
        byte[] c = b.clone();
        c[at] = (byte) value;
        return c;
    }
}
