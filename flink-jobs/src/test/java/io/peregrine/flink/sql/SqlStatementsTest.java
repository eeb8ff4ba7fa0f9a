package io.peregrine.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlStatementsTest {

    @Test
    void shouldSplitAtSemicolonsOutsideLiteralsIdentifiersAndComments() {
        String text = "SELECT 'a;b', `c;d` FROM t; -- a comment; still one\nSELECT 1 /* x; y */ ;\n"
                + "SELECT 'it''s; fine';";
        assertThat(SqlStatements.complete(text)).containsExactly(
                "SELECT 'a;b', `c;d` FROM t",
                "-- a comment; still one\nSELECT 1 /* x; y */",
                "SELECT 'it''s; fine'");
        assertThat(SqlStatements.rest(text)).isEmpty();
    }

    @Test
    void shouldKeepAnUnfinishedStatementAsTheRest() {
        assertThat(SqlStatements.complete("SELECT 1; SELECT 'unterminated;")).containsExactly("SELECT 1");
        assertThat(SqlStatements.rest("SELECT 1; SELECT 'unterminated;")).isEqualTo(" SELECT 'unterminated;");
        assertThat(SqlStatements.rest("SELECT 1;\n-- only a comment\n  ")).isEmpty();
        assertThat(SqlStatements.all("SELECT 1; SELECT 2")).containsExactly("SELECT 1", "SELECT 2");
    }

    @Test
    void shouldDropEmptyStatementsAndSurviveBoundaries() {
        assertThat(SqlStatements.complete(";;  ;\n")).isEmpty();
        assertThat(SqlStatements.complete("")).isEmpty();
        assertThat(SqlStatements.all("'")).containsExactly("'");
        assertThat(SqlStatements.all("/* never closed ; ")).isEmpty();
        assertThat(SqlStatements.all("--")).isEmpty();
        assertThat(SqlStatements.complete("`a``;b`;")).containsExactly("`a``;b`");
    }
}
