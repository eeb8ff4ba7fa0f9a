package io.peregrine.agent.l7.redis;

import static io.peregrine.agent.l7.Expected.row;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.Expected;
import io.peregrine.schema.Protocol;
import java.util.Arrays;
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
                // SET, INCR, LPUSH written at once, answered at once: decode() reads the first command's
                // exchange; decodeTurn() all three (shouldDecodeEveryCommandOfAPipeline)
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

    @Test
    void shouldDecodeEveryCommandOfAPipeline() {
        DecoderFixtures.Fixture f = DecoderFixtures.fixture("redis", "pipeline");
        List<Exchange> turn = decoder.decodeTurn(f.request(), f.response(), null);
        assertThat(turn).extracting(Exchange::method).containsExactly("SET", "INCR", "LPUSH");
        assertThat(turn).extracting(Exchange::status).containsExactly("ok", "ok", "error");
        assertThat(turn).extracting(Exchange::error).containsExactly(false, false, true);
        // one command: the exchange decode() gives
        DecoderFixtures.Fixture one = DecoderFixtures.fixture("redis", "get-hit");
        assertThat(decoder.decodeTurn(one.request(), one.response(), null))
                .containsExactly(decoder.decode(one.request(), one.response()));
    }

    @Test
    void shouldCountWhatTheCaptureShowsOfATruncatedPipeline() {
        DecoderFixtures.Fixture f = DecoderFixtures.fixture("redis", "pipeline");
        // request cut: the commands whose start is seen, the last possibly cut
        int previous = 0;
        for (int n = 0; n <= f.request().length; n++) {
            List<Exchange> turn = decoder.decodeTurn(Arrays.copyOf(f.request(), n), f.response(), null);
            assertThat(turn.size()).as("cut at %d", n).isBetween(previous, 3);
            previous = turn.size();
        }
        assertThat(previous).isEqualTo(3);
        // response cut: every command still there; replies seen keep their status, the others none
        String[] statuses = {"ok", "ok", "error"};
        int[] replyEnds = {5, 9, f.response().length}; // "+OK\r\n", ":2\r\n", "-ERR ...\r\n"
        for (int n = 0; n <= f.response().length; n++) {
            List<Exchange> turn = decoder.decodeTurn(f.request(), Arrays.copyOf(f.response(), n), null);
            assertThat(turn).as("response cut at %d", n).hasSize(3);
            for (int i = 0; i < 3; i++) {
                boolean replyStarted = n > (i == 0 ? 0 : replyEnds[i - 1]);
                assertThat(turn.get(i).status()).as("reply %d, response cut at %d", i, n)
                        .isEqualTo(replyStarted ? statuses[i] : null);
            }
        }
    }

    @Test
    void shouldSkipNestedAndNullRepliesToPairLaterRepliesWithTheirCommands() {
        byte[] request = ("*2\r\n$4\r\nMGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nz\r\n"
                + "*1\r\n$7\r\nHGETALL\r\nPING\r\n*1\r\n$4\r\nINCR\r\n").getBytes(US_ASCII);
        byte[] response = ("*2\r\n$1\r\nx\r\n*-1\r\n" + "$-1\r\n" + "%1\r\n+k\r\n*1\r\n:1\r\n" + "+PONG\r\n"
                + "-ERR wrong number of arguments\r\n").getBytes(US_ASCII);
        List<Exchange> turn = decoder.decodeTurn(request, response, null);
        assertThat(turn).extracting(Exchange::method).containsExactly("MGET", "GET", "HGETALL", "PING", "INCR");
        assertThat(turn).extracting(Exchange::status).containsExactly("ok", "ok", "ok", "ok", "error");
        // garbage after the commands ends the pipeline there
        byte[] withGarbage = java.nio.ByteBuffer.allocate(request.length + 3).put(request).put(new byte[] {0, 1, 2})
                .array();
        assertThat(decoder.decodeTurn(withGarbage, response, null)).hasSize(5);
    }
}
