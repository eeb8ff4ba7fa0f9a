package io.peregrine.agent.l7.postgres;

import static io.peregrine.agent.l7.Expected.notAQuery;
import static io.peregrine.agent.l7.Expected.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.Expected;
import io.peregrine.agent.l7.PreparedStatements;
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

    @Test
    void shouldGiveExecutionsByStatementNameTheTextOfTheirParseUntilClosed() {
        // pgjdbc, prepareThreshold=1 and no statement cache: Parse S_1 with its first execution, then
        // Bind S_1 only; closing it sends Close S_1 ahead of the next statement's Parse S_2.
        List<DecoderFixtures.Fixture> seq = DecoderFixtures.sequence("postgres", "statement-lifecycle");
        assertThat(seq).hasSize(8);
        PreparedStatements statements = new PreparedStatements();
        String select = "SELECT name FROM users WHERE id = $1";
        String update = "UPDATE users SET active = $1 WHERE id = $2";
        assertThat(decoder.decode(seq.get(0).request(), seq.get(0).response(), statements)).isNull(); // startup
        assertThat(decoder.decode(seq.get(1).request(), seq.get(1).response(), statements).method()).isEqualTo("SET");
        assertExchange(decoder.decode(seq.get(2).request(), seq.get(2).response(), statements), "SELECT", select);
        assertThat(statements.text("S_1")).isEqualTo(select);
        // Bind S_1 + Execute: no text in the bytes; the connection's statements have it
        assertThat(decoder.decode(seq.get(3).request(), seq.get(3).response()).method()).isEqualTo("EXECUTE");
        assertExchange(decoder.decode(seq.get(3).request(), seq.get(3).response(), statements), "SELECT", select);
        // Close S_1, Parse S_2 ...: the closed statement is forgotten, the new one remembered
        assertExchange(decoder.decode(seq.get(4).request(), seq.get(4).response(), statements), "UPDATE", update);
        assertThat(statements.text("S_1")).isNull();
        assertThat(statements.text("S_2")).isEqualTo(update);
        assertExchange(decoder.decode(seq.get(5).request(), seq.get(5).response(), statements), "UPDATE", update);
        assertExchange(decoder.decode(seq.get(6).request(), seq.get(6).response(), statements), "SELECT", "SELECT ?");
        assertThat(statements.text("S_2")).isNull();
        assertThat(statements.size()).isEqualTo(1); // S_3
        assertThat(decoder.decode(seq.get(7).request(), seq.get(7).response(), statements).method()).isEqualTo("TERMINATE");
    }

    @Test
    void shouldLeaveAnExecutionOfAStatementNotSeenAsExecute() {
        byte[] bind = DecoderFixtures.fixture("postgres", "jdbc-prepared-execute").request();
        PreparedStatements statements = new PreparedStatements();
        statements.prepared("S_2", "SELECT ?");
        Exchange e = decoder.decode(bind, new byte[0], statements);
        assertThat(e.method()).isEqualTo("EXECUTE");
        assertThat(e.resource()).isNull();
    }

    @Test
    void shouldReadTheStatementNameOfABindCutByTheCapture() {
        List<DecoderFixtures.Fixture> seq = DecoderFixtures.sequence("postgres", "statement-lifecycle");
        byte[] bind = seq.get(3).request(); // B, length, portal "", "S_1", ...
        for (int n = 0; n <= bind.length; n++) {
            PreparedStatements statements = new PreparedStatements();
            statements.prepared("S_1", "SELECT ?");
            statements.prepared("S_", "SELECT wrong");
            Exchange e = decoder.decode(java.util.Arrays.copyOf(bind, n), seq.get(3).response(), statements);
            if (n < 10) { // the name's NUL not captured: the name is not known
                assertThat(e == null || e.resource() == null).as("cut at %d", n).isTrue();
            } else {
                assertThat(e.resource()).as("cut at %d", n).isEqualTo("SELECT ?");
            }
        }
    }

    @Test
    void shouldDecodeEachRequestOfAPipelinedTurn() {
        // Three simple queries and an extended batch written at once, answered at once (libpq's
        // pipeline mode sends the like): captured exchanges, concatenated as the turn would hold them.
        List<String> cases = List.of("simple-select", "simple-undefined-table", "jdbc-select-params", "simple-insert");
        byte[] request = concat(cases.stream().map(c -> DecoderFixtures.fixture("postgres", c).request()).toArray(byte[][]::new));
        byte[] response = concat(cases.stream().map(c -> DecoderFixtures.fixture("postgres", c).response()).toArray(byte[][]::new));
        List<Exchange> turn = decoder.decodeTurn(request, response, new PreparedStatements());
        assertThat(turn).extracting(Exchange::method).containsExactly("SELECT", "SELECT", "SELECT", "INSERT");
        assertThat(turn).extracting(Exchange::status).containsExactly("ok", "42P01", "ok", "ok");
        for (int i = 0; i < cases.size(); i++) {
            DecoderFixtures.Fixture f = DecoderFixtures.fixture("postgres", cases.get(i));
            assertThat(turn.get(i)).as(cases.get(i)).isEqualTo(decoder.decode(f.request(), f.response()));
        }
        // a request cut by the capture: the requests whose start is seen; answers beyond the
        // response's capture leave their requests without status
        int previous = 0;
        for (int n = 0; n <= request.length; n++) {
            int size = decoder.decodeTurn(java.util.Arrays.copyOf(request, n), response, null).size();
            assertThat(size).as("request cut at %d", n).isBetween(previous, 4);
            previous = size;
        }
        int firstAnswer = DecoderFixtures.fixture("postgres", "simple-select").response().length;
        List<Exchange> cut = decoder.decodeTurn(request, java.util.Arrays.copyOf(response, firstAnswer), null);
        assertThat(cut).extracting(Exchange::status).containsExactly("ok", null, null, null);
        assertThat(cut).extracting(Exchange::method).containsExactly("SELECT", "SELECT", "SELECT", "INSERT");
    }

    private static void assertExchange(Exchange e, String method, String resource) {
        assertThat(e).isNotNull();
        assertThat(e.method()).isEqualTo(method);
        assertThat(e.resource()).isEqualTo(resource);
        assertThat(e.status()).isEqualTo("ok");
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
