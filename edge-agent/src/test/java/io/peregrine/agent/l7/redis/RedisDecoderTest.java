package io.peregrine.agent.l7.redis;

import static io.peregrine.agent.l7.Expected.row;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Expected;
import io.peregrine.schema.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RedisDecoder over exchanges captured from redis-server with redis-cli and raw sockets (l7/redis/README.md). */
class RedisDecoderTest {

    private final RedisDecoder decoder = new RedisDecoder();

    static List<Expected> table() {
        return List.of(
                row("set-ok", "SET", "SET", "ok", null, false),
                row("get-hit", "GET", "GET", "ok", null, false),
                row("get-miss", "GET", "GET", "ok", null, false),
                row("get-large-value", "GET", "GET", "ok", null, false),
                row("mget", "MGET", "MGET", "ok", null, false),
                row("hgetall-empty", "HGETALL", "HGETALL", "ok", null, false),
                row("ping", "PING", "PING", "ok", null, false),
                row("incr-wrongtype", "INCR", "INCR", "error", null, true),
                row("lpush-wrongtype", "LPUSH", "LPUSH", "error", null, true),
                row("unknown-command", "NOSUCHCMD", "NOSUCHCMD", "error", null, true),
                row("client-setname", "CLIENT", "CLIENT SETNAME", "ok", null, false),
                row("config-get", "CONFIG", "CONFIG GET", "ok", null, false),
                row("inline-ping", "PING", "PING", "ok", null, false),
                row("inline-set", "SET", "SET", "ok", null, false),
                // SET, INCR, LPUSH written at once, answered at once: one exchange, the first command's
                // (the third reply is an error that this exchange does not show)
                row("pipeline", "SET", "SET", "ok", null, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void shouldDecodeCapturedExchanges(Expected expected) {
        expected.check(decoder, "redis", 6379);
    }

    @Test
    void shouldHaveARowForEveryFixture() {
        assertThat(DecoderFixtures.load("redis")).extracting(DecoderFixtures.Fixture::name)
                .containsExactlyInAnyOrderElementsOf(table().stream().map(Expected::name).toList());
    }

    @Test
    void shouldLeaveAnInlineMemcachedLookalikeToMemcachedOffTheRedisPort() {
        byte[] inlineGet = "get user:1\r\n".getBytes(US_ASCII);
        assertThat(decoder.recognizes(inlineGet, 6379)).isTrue();
        assertThat(decoder.recognizes(inlineGet, 11211)).isFalse();
        assertThat(DecoderFixtures.registryPicks(Protocol.MEMCACHED, inlineGet, 11211)).isTrue();
        assertThat(DecoderFixtures.registryPicks(Protocol.REDIS, inlineGet, 6379)).isTrue();
    }

    @Test
    void shouldReadRespThreeErrorsAndSubcommandsOfInlineContainers() {
        byte[] request = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n".getBytes(US_ASCII);
        assertThat(decoder.decode(request, "!21\r\nSYNTAX invalid syntax\r\n".getBytes(US_ASCII)).error()).isTrue();
        assertThat(decoder.decode(request, "%7\r\n".getBytes(US_ASCII)).status()).isEqualTo("ok");
        assertThat(decoder.decode("client   list\r\n".getBytes(US_ASCII), "$0\r\n\r\n".getBytes(US_ASCII)).resource())
                .isEqualTo("CLIENT LIST");
        // a key is never part of the resource, however it looks
        assertThat(decoder.decode("*2\r\n$6\r\nCONFIG\r\n$3\r\nk:1\r\n".getBytes(US_ASCII), new byte[0]).resource())
                .isEqualTo("CONFIG");
    }

    @Test
    void shouldSurviveTruncationCorruptLengthsForeignBytesAndRandomInput() {
        DecoderFixtures.assertTruncationIsHarmless(decoder, "redis");
        DecoderFixtures.assertCorruptLengthsAreHarmless(decoder, "redis");
        DecoderFixtures.assertOtherProtocolsAreNotRecognised(decoder, "redis", 0);
        assertThat(DecoderFixtures.assertRandomInputIsHarmless(decoder, "redis", 20261124L, 200_000)).isPositive();
    }
}
