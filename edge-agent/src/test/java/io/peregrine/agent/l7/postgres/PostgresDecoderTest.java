package io.peregrine.agent.l7.postgres;

import static io.peregrine.agent.l7.Expected.notAQuery;
import static io.peregrine.agent.l7.Expected.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.Expected;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** PostgresDecoder over exchanges captured from PostgreSQL 15 with psql and pgjdbc (l7/postgres/README.md). */
class PostgresDecoderTest {

    private final PostgresDecoder decoder = new PostgresDecoder();

    static List<Expected> table() {
        return List.of(
                notAQuery("startup"),
                notAQuery("ssl-request"),
                row("terminate", "TERMINATE", null, "ok", null, false),
                row("simple-select", "SELECT", "SELECT id, name FROM users WHERE id = ? AND name = ?", "ok", null, false),
                row("simple-in-list", "SELECT", "select * from users where id in (?) and active = ?", "ok", null, false),
                row("simple-insert", "INSERT", "INSERT INTO events (id, kind) VALUES (?, ?), (?, ?)", "ok", null, false),
                row("simple-undefined-table", "SELECT", "SELECT * FROM no_such_table", "42P01", null, true),
                row("simple-syntax-error", "SELEC", "SELEC ?", "42601", null, true),
                row("simple-division-by-zero", "SELECT", "SELECT ?/?", "22012", null, true),
                row("simple-multi-statement", "BEGIN", "BEGIN; UPDATE users SET active = ? WHERE id = ?; COMMIT", "ok", null,
                        false),
                row("simple-empty", null, null, "ok", null, false),
                // the result is longer than the capture: no CommandComplete seen, rows were
                row("simple-large-result", "SELECT", "SELECT g, md5(g::text) FROM generate_series(?, ?) g", "ok", null, false),
                row("jdbc-select-params", "SELECT", "SELECT id, name FROM users WHERE id = $1 AND name IN (?)", "ok", null,
                        false),
                row("jdbc-statement-literal", "SELECT", "SELECT name FROM users WHERE id = ? AND active = ?", "ok", null, false),
                row("jdbc-unique-violation", "INSERT", "INSERT INTO users (id, name) VALUES ($1, $2)", "23505", null, true),
                row("jdbc-undefined-table", "SELECT", "SELECT * FROM no_such_table WHERE id = ?", "42P01", null, true),
                row("jdbc-prepare-error", "SELECT", "SELECT nope FROM users WHERE id = $1", "42703", null, true),
                // Bind/Execute/Sync of a statement prepared in an earlier exchange: no text here
                row("jdbc-prepared-execute", "EXECUTE", null, "ok", null, false),
                row("jdbc-batch-insert", "INSERT", "INSERT INTO events (id, kind) VALUES ($1, $2)", "ok", null, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void shouldDecodeCapturedExchanges(Expected expected) {
        expected.check(decoder, "postgres", 5432);
    }

    @Test
    void shouldHaveARowForEveryFixture() {
        assertThat(DecoderFixtures.load("postgres")).extracting(DecoderFixtures.Fixture::name)
                .containsExactlyInAnyOrderElementsOf(table().stream().map(Expected::name).toList());
    }

    @Test
    void shouldReportParseWithoutExecuteAsPrepare() {
        byte[] parse = message('P', cstring("s1"), cstring("SELECT * FROM t WHERE a = $1"), new byte[] {0, 0});
        byte[] request = concat(parse, message('D', new byte[] {'S'}, cstring("s1")), message('S'));
        assertThat(decoder.recognizes(request, 0)).isTrue();
        Exchange e = decoder.decode(request, concat(message('1'), message('Z', new byte[] {'I'})));
        assertThat(e.method()).isEqualTo("PREPARE");
        assertThat(e.resource()).isEqualTo("SELECT * FROM t WHERE a = $1");
        assertThat(e.status()).isEqualTo("ok");
    }

    @Test
    void shouldLeaveStatusEmptyWithoutResponseAndReadTheSqlStateOnly() {
        byte[] q = DecoderFixtures.fixture("postgres", "simple-select").request();
        assertThat(decoder.decode(q, new byte[0])).isEqualTo(Exchange.requestOnly(io.peregrine.schema.Protocol.POSTGRES,
                "SELECT", "SELECT id, name FROM users WHERE id = ? AND name = ?"));
        // an ErrorResponse whose C field is not five characters: an error, SQLSTATE unknown
        byte[] error = message('E', cstring("SERROR"), cstring("CXX"), new byte[] {0});
        assertThat(decoder.decode(q, error).status()).isEqualTo("error");
        assertThat(decoder.decode(q, error).error()).isTrue();
        // a response of another protocol: request only
        assertThat(decoder.decode(q, "+OK\r\n".getBytes(StandardCharsets.US_ASCII)).status()).isNull();
    }

    @Test
    void shouldSurviveTruncationCorruptLengthsForeignBytesAndRandomInput() {
        DecoderFixtures.assertTruncationIsHarmless(decoder, "postgres");
        DecoderFixtures.assertCorruptLengthsAreHarmless(decoder, "postgres");
        DecoderFixtures.assertOtherProtocolsAreNotRecognised(decoder, "postgres", 0);
        assertThat(DecoderFixtures.assertRandomInputIsHarmless(decoder, "postgres", 20261124L, 200_000)).isPositive();
    }

    static byte[] cstring(String s) {
        return (s + "\0").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] message(char type, byte[]... parts) {
        int len = 4;
        for (byte[] p : parts) {
            len += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(1 + len).put((byte) type).putInt(len);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
