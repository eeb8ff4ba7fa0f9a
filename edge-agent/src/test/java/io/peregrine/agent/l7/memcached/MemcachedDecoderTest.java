package io.peregrine.agent.l7.memcached;

import static io.peregrine.agent.l7.Expected.row;
import static io.peregrine.agent.l7.Expected.unrecognised;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Expected;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** MemcachedDecoder over exchanges with a real memcached 1.6 (l7/memcached/README.md). */
class MemcachedDecoderTest {

    private final MemcachedDecoder decoder = new MemcachedDecoder();

    static List<Expected> table() {
        return List.of(
                row("text-set-stored", "set", "set", "ok", null, false),
                row("text-get-hit", "get", "get", "ok", null, false),
                row("text-get-miss", "get", "get", "ok", null, false),
                row("text-multiget", "get", "get", "ok", null, false),
                row("text-delete-not-found", "delete", "delete", "ok", null, false),
                row("text-incr-non-numeric", "incr", "incr", "error", null, true),
                row("text-bad-data-chunk", "set", "set", "error", null, true),
                row("text-meta-get", "mg", "mg", "ok", null, false),
                row("text-version", "version", "version", "ok", null, false),
                unrecognised("text-unknown-command"),
                row("binary-set", "set", "set", "ok", 0, false),
                row("binary-get-miss", "get", "get", "ok", 1, false),
                row("binary-incr-non-numeric", "incr", "incr", "error", 6, true),
                // two requests in one write: the first, matched to its response by the opaque field
                row("binary-set-incr-batch", "set", "set", "ok", 0, false),
                // getq of a missing key, getq of a present one, noop: the first has no response (a quiet miss)
                row("binary-getq-batch", "getq", "getq", "ok", null, false),
                unrecognised("binary-unknown-opcode"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void shouldDecodeCapturedExchanges(Expected expected) {
        expected.check(decoder, "memcached", 11211);
    }

    @Test
    void shouldHaveARowForEveryFixture() {
        assertThat(DecoderFixtures.load("memcached")).extracting(DecoderFixtures.Fixture::name)
                .containsExactlyInAnyOrderElementsOf(table().stream().map(Expected::name).toList());
    }

    @Test
    void shouldTakeNoreplyAndQuitWithoutResponseAsOkButNotRedisStyleSet() {
        assertThat(decoder.decode("set k 0 0 1 noreply\r\nx\r\n".getBytes(US_ASCII), new byte[0]).status()).isEqualTo("ok");
        assertThat(decoder.decode("quit\r\n".getBytes(US_ASCII), new byte[0]).status()).isEqualTo("ok");
        assertThat(decoder.decode("get k\r\n".getBytes(US_ASCII), new byte[0]).status()).isNull();
        assertThat(decoder.recognizes("set k v\r\n".getBytes(US_ASCII), 0)).isFalse();
        assertThat(decoder.recognizes("set k 0 0 1\r\nv\r\n".getBytes(US_ASCII), 0)).isTrue();
    }

    @Test
    void shouldSurviveTruncationCorruptLengthsForeignBytesAndRandomInput() {
        DecoderFixtures.assertTruncationIsHarmless(decoder, "memcached");
        DecoderFixtures.assertCorruptLengthsAreHarmless(decoder, "memcached");
        DecoderFixtures.assertOtherProtocolsAreNotRecognised(decoder, "memcached", 0);
        assertThat(DecoderFixtures.assertRandomInputIsHarmless(decoder, "memcached", 20261124L, 200_000)).isPositive();
    }
}
