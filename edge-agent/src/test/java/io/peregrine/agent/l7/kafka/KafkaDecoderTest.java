package io.peregrine.agent.l7.kafka;

import static io.peregrine.agent.l7.CapturedFixtures.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.CapturedFixtures;
import io.peregrine.agent.l7.CapturedFixtures.Captured;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.schema.KafkaDetails;
import io.peregrine.schema.Protocol;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KafkaDecoderTest {

    private final KafkaDecoder decoder = new KafkaDecoder();

    static Stream<Arguments> captured() {
        return Stream.of(
                // case, API, key, version, client, status, code (null: the API has none at a fixed place)
                Arguments.of("producer-api-versions-v4", "ApiVersions", 18, 4, "fixture-producer", "ok", 0),
                Arguments.of("producer-metadata-v13", "Metadata", 3, 13, "fixture-producer", "ok", 0),
                Arguments.of("producer-metadata-v13-2", "Metadata", 3, 13, "fixture-producer",
                        "UNKNOWN_TOPIC_OR_PARTITION", 3),
                Arguments.of("producer-init-producer-id-v5", "InitProducerId", 22, 5, "fixture-producer", "ok", 0),
                Arguments.of("producer-produce-v13", "Produce", 0, 13, "fixture-producer", "ok", 0),
                Arguments.of("consumer-find-coordinator-v6", "FindCoordinator", 10, 6, "fixture-consumer",
                        "COORDINATOR_NOT_AVAILABLE", 15),
                Arguments.of("consumer-find-coordinator-v6-2", "FindCoordinator", 10, 6, "fixture-consumer", "ok", 0),
                Arguments.of("consumer-join-group-v9", "JoinGroup", 11, 9, "fixture-consumer", "MEMBER_ID_REQUIRED", 79),
                Arguments.of("consumer-join-group-v9-2", "JoinGroup", 11, 9, "fixture-consumer", "ok", 0),
                Arguments.of("consumer-sync-group-v5", "SyncGroup", 14, 5, "fixture-consumer", "ok", 0),
                Arguments.of("consumer-offset-fetch-v9", "OffsetFetch", 9, 9, "fixture-consumer", "ok", 0),
                Arguments.of("consumer-offset-commit-v9", "OffsetCommit", 8, 9, "fixture-consumer", "ok", 0),
                Arguments.of("consumer-heartbeat-v4", "Heartbeat", 12, 4, "fixture-consumer", "ok", 0),
                Arguments.of("consumer-fetch-v18", "Fetch", 1, 18, "fixture-consumer", "ok", 0),
                Arguments.of("consumer-list-offsets-v10", "ListOffsets", 2, 10, "fixture-consumer", "ok", null),
                Arguments.of("consumer-leave-group-v5", "LeaveGroup", 13, 5, "fixture-consumer", "ok", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captured")
    void shouldDecodeCapturedExchange(String name, String api, int key, int version, String clientId, String status,
            Integer code) {
        Captured c = CapturedFixtures.load("kafka", name);
        assertThat(decoder.recognizes(c.request(), 9092)).isTrue();
        Exchange x = decoder.decode(c.request(), c.response());
        assertThat(x).isEqualTo(new Exchange(Protocol.KAFKA, api, null, null, status, code, code != null && code != 0,
                null, null, new KafkaDetails(key, version, clientId)));
    }

    /** Ground truth from kafka-clients' own parser, for every capture whose response was not cut. */
    @Test
    void shouldAgreeWithKafkaClientsOnCompleteResponses() {
        int compared = 0;
        for (Captured c : CapturedFixtures.all("kafka")) {
            ByteBuffer resp = ByteBuffer.wrap(c.response());
            if (c.response().length < 4 || resp.getInt(0) != c.response().length - 4
                    || c.request().length < 4 || ByteBuffer.wrap(c.request()).getInt(0) != c.request().length - 4) {
                continue;
            }
            RequestHeader header = RequestHeader.parse(ByteBuffer.wrap(c.request(), 4, c.request().length - 4).slice());
            AbstractResponse parsed = AbstractResponse.parseResponse(
                    ByteBuffer.wrap(c.response(), 4, c.response().length - 4).slice(), header);
            Map<Errors, Integer> errors = parsed.errorCounts();
            Exchange x = decoder.decode(c.request(), c.response());
            if (x.statusCode() != null && x.statusCode() != 0) {
                assertThat(errors).as(c.toString()).containsKey(Errors.forCode(x.statusCode().shortValue()));
            } else {
                assertThat(errors.keySet()).as(c.toString()).allMatch(e -> e == Errors.NONE);
            }
            compared++;
        }
        assertThat(compared).isGreaterThanOrEqualTo(15);
    }

    @Test
    void shouldNotPairAResponseOfAnotherCorrelationId() {
        Captured a = CapturedFixtures.load("kafka", "consumer-join-group-v9");
        Captured b = CapturedFixtures.load("kafka", "consumer-join-group-v9-2");
        Exchange x = decoder.decode(a.request(), b.response());
        assertThat(x.method()).isEqualTo("JoinGroup");
        assertThat(x.status()).isNull();
        assertThat(x.statusCode()).isNull();
        assertThat(x.error()).isFalse();
    }

    @Test
    void shouldReportOkWithoutCodeWhenTheErrorCodeWasNotCaptured() {
        Captured c = CapturedFixtures.load("kafka", "producer-metadata-v13-2");
        // header and throttle time only: the broker answered, its topic error is past the capture
        Exchange x = decoder.decode(c.request(), Arrays.copyOf(c.response(), 13));
        assertThat(x.status()).isEqualTo("ok");
        assertThat(x.statusCode()).isNull();
    }

    @Test
    void shouldRejectCorruptHeaders() {
        Captured c = CapturedFixtures.load("kafka", "producer-produce-v13");
        byte[] req = c.request();
        assertThat(decoder.recognizes(with(req, 0, 0x7f), 0)).as("size over 100 MiB").isFalse();
        assertThat(decoder.recognizes(with(with(with(with(req, 0, 0), 1, 0), 2, 0), 3, 4), 0)).as("size 4").isFalse();
        assertThat(decoder.recognizes(with(req, 4, 0x7f), 0)).as("unknown API key").isFalse();
        assertThat(decoder.recognizes(with(req, 6, 0x7f), 0)).as("API version past the latest").isFalse();
        assertThat(decoder.recognizes(with(req, 8, 0x80), 0)).as("negative correlation id").isFalse();
        assertThat(decoder.recognizes(with(req, 12, 0x7f), 0)).as("client id past the end").isFalse();
        assertThat(decoder.recognizes(with(req, 14, 0x01), 0)).as("unprintable client id").isFalse();
        assertThat(decoder.decode(with(req, 4, 0x7f), c.response())).isNull();
        // the flexible header's tagged fields: a count of 5 fields that are not there
        int afterClientId = 14 + "fixture-producer".length();
        assertThat(decoder.recognizes(with(req, afterClientId, 5), 0)).isFalse();
    }

    @Test
    void shouldReadAClassicHeaderWithoutTaggedFields() {
        // Heartbeat v3 (not flexible): group "g", generation 1, member "m"; response: throttle 0, error 25
        byte[] req = hex("00000016" + "000c0003" + "00000007" + "0001" + "63" + "000167" + "00000001" + "00016d");
        byte[] resp = hex("0000000a" + "00000007" + "00000000" + "0019");
        Exchange x = decoder.decode(req, resp);
        assertThat(x.kafka()).isEqualTo(new KafkaDetails(12, 3, "c"));
        assertThat(x.status()).isEqualTo("UNKNOWN_MEMBER_ID");
        assertThat(x.statusCode()).isEqualTo(25);
        assertThat(x.error()).isTrue();
    }

    @Test
    void shouldReadEveryApiKeyAndVersionWithoutThrowing() {
        Captured c = CapturedFixtures.load("kafka", "producer-produce-v13");
        for (int key = -1; key < 128; key++) {
            for (int version = -1; version < 40; version++) {
                byte[] req = with(with(with(with(c.request(), 4, key >> 8), 5, key), 6, version >> 8), 7, version);
                if (decoder.recognizes(req, 0)) {
                    Exchange x = decoder.decode(req, c.response());
                    assertThat(x.kafka().getApiKey()).isEqualTo(key);
                    assertThat(x.method()).isNotBlank();
                }
            }
        }
    }

    @Test
    void shouldTreatAnEmptyClientIdAsNone() {
        byte[] req = hex("00000016" + "000c0003" + "00000007" + "0000" + "000167" + "00000001" + "00016d");
        assertThat(decoder.decode(req, new byte[0]).kafka().getClientId()).isNull();
    }

    private static byte[] with(byte[] b, int at, int value) {
        byte[] c = b.clone();
        c[at] = (byte) value;
        return c;
    }
}
