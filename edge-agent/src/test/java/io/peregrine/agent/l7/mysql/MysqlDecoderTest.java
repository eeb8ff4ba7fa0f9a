package io.peregrine.agent.l7.mysql;

import static io.peregrine.agent.l7.Expected.notAQuery;
import static io.peregrine.agent.l7.Expected.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.l7.DecoderFixtures;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.Expected;
import io.peregrine.agent.l7.PreparedStatements;
import io.peregrine.schema.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** MysqlDecoder over exchanges captured from MariaDB with its CLI and Connector/J (l7/mysql/README.md). */
class MysqlDecoderTest {

    private final MysqlDecoder decoder = new MysqlDecoder();

    static List<Expected> table() {
        return List.of(
                notAQuery("handshake-response"),
                row("com-query-select", "SELECT", "SELECT id, name FROM users WHERE id = ? AND name = ?", "ok", null, false),
                row("com-query-in-list", "SELECT", "select * from users where id in (?) and active = ?", "ok", null, false),
                row("com-query-insert", "INSERT", "INSERT INTO events (id, kind) VALUES (?, ?), (?, ?), (?, ?)", "ok", null,
                        false),
                row("com-query-update", "UPDATE", "UPDATE users SET active = ? WHERE id = ?", "ok", null, false),
                row("com-query-no-such-table", "SELECT", "SELECT * FROM no_such_table", "1146", 1146, true),
                row("com-query-syntax-error", "SELEC", "SELEC ?", "1064", 1064, true),
                row("com-query-duplicate-key", "INSERT", "INSERT INTO users (id, name) VALUES (?, ?)", "1062", 1062, true),
                row("com-query-large-result", "SELECT", "SELECT seq, MD5(seq) FROM seq_1_to_200", "ok", null, false),
                row("com-init-db", "INIT_DB", "shop", "ok", null, false),
                row("com-ping", "PING", null, "ok", null, false),
                row("jdbc-statement-literal", "SELECT", "SELECT name FROM users WHERE id = ? AND active = ?", "ok", null, false),
                row("jdbc-undefined-table", "SELECT", "SELECT * FROM no_such_table WHERE id = ?", "1146", 1146, true),
                // Connector/J pipelines COM_STMT_PREPARE and COM_STMT_EXECUTE in one write: the prepare is
                // the request, its answer the response
                // Connector/J sends the prepare and its execution (id -1) in one write: the statement's verb
                row("jdbc-prepare-execute", "SELECT", "SELECT id, name FROM users WHERE id = ? AND name IN (?)", "ok", null,
                        false),
                row("jdbc-prepare-error", "SELECT", "SELECT nope FROM users WHERE id = ?", "1054", 1054, true),
                // COM_STMT_EXECUTE carries a statement id, no text (without the connection's statements)
                row("jdbc-stmt-execute", "EXECUTE", null, "ok", null, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void shouldDecodeCapturedExchanges(Expected expected) {
        expected.check(decoder, "mysql", 3306);
    }

    @Test
    void shouldHaveARowForEveryFixture() {
        assertThat(DecoderFixtures.load("mysql")).extracting(DecoderFixtures.Fixture::name)
                .containsExactlyInAnyOrderElementsOf(table().stream().map(Expected::name).toList());
    }

    @Test
    void shouldAnswerQuitAndStmtCloseWithoutResponseAndSkipAClosePipelinedBeforeAQuery() {
        byte[] quit = {1, 0, 0, 0, MysqlDecoder.COM_QUIT};
        assertThat(decoder.recognizes(quit, 0)).isTrue();
        assertThat(decoder.decode(quit, new byte[0]))
                .isEqualTo(new Exchange(Protocol.MYSQL, "QUIT", null, null, "ok", null, false, null, null, null));
        byte[] close = {5, 0, 0, 0, MysqlDecoder.COM_STMT_CLOSE, 1, 0, 0, 0};
        byte[] query = {9, 0, 0, 0, MysqlDecoder.COM_QUERY, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1'};
        byte[] both = new byte[close.length + query.length];
        System.arraycopy(close, 0, both, 0, close.length);
        System.arraycopy(query, 0, both, close.length, query.length);
        byte[] ok = {7, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0};
        assertThat(decoder.decode(both, ok))
                .isEqualTo(new Exchange(Protocol.MYSQL, "SELECT", "SELECT ?", null, "ok", null, false, null, null, null));
        assertThat(decoder.decode(close, new byte[0]).method()).isEqualTo("STMT_CLOSE");
    }

    @Test
    void shouldSurviveTruncationCorruptLengthsForeignBytesAndRandomInput() {
        DecoderFixtures.assertTruncationIsHarmless(decoder, "mysql");
        DecoderFixtures.assertCorruptLengthsAreHarmless(decoder, "mysql");
        DecoderFixtures.assertOtherProtocolsAreNotRecognised(decoder, "mysql", 0);
        assertThat(DecoderFixtures.assertRandomInputIsHarmless(decoder, "mysql", 20261124L, 200_000)).isPositive();
    }

    @Test
    void shouldGiveExecutionsByStatementIdTheTextOfTheirPrepareUntilClosed() {
        // MariaDB Connector/J, useServerPrepStmts and no statement cache: COM_STMT_PREPARE with
        // COM_STMT_EXECUTE of id -1 in one write, then COM_STMT_EXECUTE by the id the prepare's OK
        // returned; closing sends COM_STMT_CLOSE ahead of the next command.
        List<DecoderFixtures.Fixture> seq = DecoderFixtures.sequence("mysql", "statement-lifecycle");
        assertThat(seq).hasSize(8);
        PreparedStatements statements = new PreparedStatements();
        String select = "SELECT name FROM users WHERE id = ?";
        String update = "UPDATE users SET active = ? WHERE id = ?";
        assertThat(decoder.decode(seq.get(0).request(), seq.get(0).response(), statements)).isNull(); // handshake
        decoder.decode(seq.get(1).request(), seq.get(1).response(), statements);
        // the prepare and its first execution: the statement's verb and text
        assertExchange(decoder.decode(seq.get(2).request(), seq.get(2).response(), statements), "SELECT", select);
        assertThat(statements.size()).isEqualTo(1);
        // COM_STMT_EXECUTE by id: no text in the bytes; the connection's statements have it
        assertThat(decoder.decode(seq.get(3).request(), seq.get(3).response()).method()).isEqualTo("EXECUTE");
        assertExchange(decoder.decode(seq.get(3).request(), seq.get(3).response(), statements), "SELECT", select);
        // COM_STMT_CLOSE of it, then the next prepare: the closed statement is forgotten
        assertExchange(decoder.decode(seq.get(4).request(), seq.get(4).response(), statements), "UPDATE", update);
        assertThat(statements.size()).isEqualTo(1);
        assertExchange(decoder.decode(seq.get(5).request(), seq.get(5).response(), statements), "UPDATE", update);
        assertExchange(decoder.decode(seq.get(6).request(), seq.get(6).response(), statements), "SELECT", "SELECT ?");
        assertThat(statements.size()).isZero();
        assertThat(decoder.decode(seq.get(7).request(), seq.get(7).response(), statements).method()).isEqualTo("QUIT");
        // the same execution on a connection whose prepare was not seen
        Exchange unseen = decoder.decode(seq.get(3).request(), seq.get(3).response(), new PreparedStatements());
        assertThat(unseen.method()).isEqualTo("EXECUTE");
        assertThat(unseen.resource()).isNull();
    }

    private static void assertExchange(Exchange e, String method, String resource) {
        assertThat(e).isNotNull();
        assertThat(e.method()).isEqualTo(method);
        assertThat(e.resource()).isEqualTo(resource);
        assertThat(e.status()).isEqualTo("ok");
    }
}
