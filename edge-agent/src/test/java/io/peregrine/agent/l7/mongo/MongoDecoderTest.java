package io.peregrine.agent.l7.mongo;

import static io.peregrine.agent.l7.Expected.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Expected;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MongoDecoder over messages encoded from the wire protocol specification with the official BSON
 * encoder (MongoFixtures; MongoDB is not packaged in Debian, see l7/mongo/README.md).
 */
class MongoDecoderTest {

    private final MongoDecoder decoder = new MongoDecoder();

    static List<Expected> table() {
        return List.of(
                row("op-msg-find", "find", "shop.orders", "ok", null, false),
                // ok comes after a first batch longer than the capture
                row("op-msg-find-large-reply", "find", "shop.orders", "ok", null, false),
                row("op-msg-getmore", "getMore", "shop.orders", "ok", null, false),
                row("op-msg-insert-sequence", "insert", "shop.orders", "ok", null, false),
                row("op-msg-insert-duplicate-key", "insert", "shop.orders", "error", 11000, true),
                row("op-msg-ping", "ping", "admin", "ok", null, false),
                row("op-msg-unknown-command", "frobnicate", "shop", "error", 59, true),
                row("op-msg-unauthorized", "find", "vault.secrets", "error", 13, true),
                row("op-query-ismaster", "isMaster", "admin", "ok", null, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void shouldDecodeSpecificationExchanges(Expected expected) {
        expected.check(decoder, "mongo", 27017);
    }

    @Test
    void shouldHaveARowForEveryFixture() {
        assertThat(DecoderFixtures.load("mongo")).extracting(DecoderFixtures.Fixture::name)
                .containsExactlyInAnyOrderElementsOf(table().stream().map(Expected::name).toList());
    }

    @Test
    void shouldNotTakeAReplyToAnotherRequestAsTheAnswer() {
        DecoderFixtures.Fixture ping = DecoderFixtures.fixture("mongo", "op-msg-ping");
        DecoderFixtures.Fixture other = DecoderFixtures.fixture("mongo", "op-msg-unknown-command");
        assertThat(decoder.decode(ping.request(), other.response()).status()).isNull();
    }

    @Test
    void shouldSurviveTruncationCorruptLengthsForeignBytesAndRandomInput() {
        DecoderFixtures.assertTruncationIsHarmless(decoder, "mongo");
        DecoderFixtures.assertCorruptLengthsAreHarmless(decoder, "mongo");
        DecoderFixtures.assertOtherProtocolsAreNotRecognised(decoder, "mongo", 0);
        assertThat(DecoderFixtures.assertRandomInputIsHarmless(decoder, "mongo", 20261124L, 200_000)).isPositive();
    }
}
