package io.peregrine.agent.l7.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SqlNormalizerTest {

    static Stream<Arguments> postgresCases() {
        return Stream.of(
            Arguments.of("SELECT * FROM t WHERE a = 1 AND b = 'x'", "SELECT * FROM t WHERE a = ? AND b = ?"),
            Arguments.of("select  *\n\tfrom t   where a=-1.5e10", "select * from t where a=-?"),
            Arguments.of("SELECT 0x1F, X'4142', B'101', .5, 1.", "SELECT ?, ?, ?, ?, ?"),
            Arguments.of("SELECT * FROM t WHERE a IN (1, 2, 3) AND b in ('x','y')", "SELECT * FROM t WHERE a IN (?) AND b in (?)"),
            Arguments.of("SELECT * FROM t WHERE a IN ($1, $2, $3)", "SELECT * FROM t WHERE a IN (?)"),
            Arguments.of("SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = 1)", "SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = ?)"),
            Arguments.of("SELECT coalesce(a, 1) FROM t WHERE f(1, 2)", "SELECT coalesce(a, ?) FROM t WHERE f(?, ?)"),
            Arguments.of("SELECT 1 -- trailing comment", "SELECT ?"),
            Arguments.of("/* leading */ SELECT /* inner */ 1", "SELECT ?"),
            Arguments.of("UPDATE t SET flag = TRUE, other = false WHERE x IS NULL", "UPDATE t SET flag = ?, other = ? WHERE x IS NULL"),
            Arguments.of("SELECT \"Quoted Col\", t1.c2 FROM s.t1", "SELECT \"Quoted Col\", t1.c2 FROM s.t1"),
            Arguments.of("SELECT $1, $$body$$, $tag$x$y$tag$", "SELECT $1, ?, ?"),
            Arguments.of("SELECT E'it\\'s', 'a''b', U&'d\\0061t'", "SELECT ?, ?, ?"),
            Arguments.of("SELECT * FROM t WHERE name = 'unterminated", "SELECT * FROM t WHERE name = ?"),
            Arguments.of("SELECT a#b FROM t", "SELECT a#b FROM t"),
            Arguments.of("SELECT col1, t2col FROM t3", "SELECT col1, t2col FROM t3"));
    }

    static Stream<Arguments> mysqlCases() {
        return Stream.of(
            Arguments.of("SELECT * FROM t WHERE a = \"x\" AND b = 'it\\'s'", "SELECT * FROM t WHERE a = ? AND b = ?"),
            Arguments.of("SELECT `weird col` FROM t # comment", "SELECT `weird col` FROM t"),
            Arguments.of("INSERT INTO t VALUES (1, _utf8mb4'x', N'y', 0b101)", "INSERT INTO t VALUES (?, ?, ?, ?)"),
            Arguments.of("SELECT * FROM t WHERE id IN (?, ?, ?)", "SELECT * FROM t WHERE id IN (?)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("postgresCases")
    void shouldNormalisePostgres(String sql, String expected) {
        assertThat(SqlNormalizer.POSTGRES.normalize(sql)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mysqlCases")
    void shouldNormaliseMysql(String sql, String expected) {
        assertThat(SqlNormalizer.MYSQL.normalize(sql)).isEqualTo(expected);
    }

    @Test
    void shouldTakeTheVerbFromTheFirstWord() {
        assertThat(SqlNormalizer.verb("select 1")).isEqualTo("SELECT");
        assertThat(SqlNormalizer.verb("((SELECT 1) UNION (SELECT 2))")).isEqualTo("SELECT");
        assertThat(SqlNormalizer.verb("with x as (select 1) select * from x")).isEqualTo("WITH");
        assertThat(SqlNormalizer.verb("Vacuum full")).isEqualTo("VACUUM");
        assertThat(SqlNormalizer.verb("reindex table t")).isEqualTo("REINDEX");
        assertThat(SqlNormalizer.verb("? = 1")).isNull();
        assertThat(SqlNormalizer.verb("t1x")).isNull();
        assertThat(SqlNormalizer.verb(null)).isNull();
    }

    @Test
    void shouldReturnNullForNothingButWhitespaceAndComments() {
        assertThat(SqlNormalizer.POSTGRES.normalize("  \n -- nothing\n /* at all */ ")).isNull();
        assertThat(SqlNormalizer.POSTGRES.normalize(new byte[0], 0, 0)).isNull();
        assertThat(SqlNormalizer.POSTGRES.normalize(new byte[] {0, 'S'}, 0, 2)).isNull();
    }

    @Test
    void shouldCapAt256BytesWithoutSplittingACharacter() {
        String longSql = "SELECT " + "col_ä, ".repeat(100) + "x FROM t";
        String n = SqlNormalizer.POSTGRES.normalize(longSql);
        assertThat(n.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(256);
        assertThat(longSql).startsWith(n);
        assertThat(n).doesNotContain("\uFFFD");
        String exact = "SELECT " + "a".repeat(249);
        assertThat(SqlNormalizer.POSTGRES.normalize(exact + "bcd")).isEqualTo(exact);
    }

    private static final String ALPHABET = "'\"`$-#/*()?,.0123456789eExXbBINin \n_&U";

    @Test
    void shouldNeverThrowOnRandomBytes() {
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[random.nextInt(400)];
            for (int k = 0; k < b.length; k++) {
                // mostly SQL punctuation and letters, to reach every branch
                b[k] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            for (SqlNormalizer n : new SqlNormalizer[] {SqlNormalizer.POSTGRES, SqlNormalizer.MYSQL}) {
                String s = n.normalize(b, 0, b.length);
                if (s != null) {
                    assertThat(s.length()).isLessThanOrEqualTo(256); // invalid UTF-8 becomes U+FFFD, one char each
                    SqlNormalizer.verb(s);
                }
            }
        }
    }
}
