package io.peregrine.agent.l7;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PreparedStatementsTest {

    @Test
    void shouldForgetTheStatementUsedLongestAgoPastTheBound() {
        PreparedStatements s = new PreparedStatements();
        for (int i = 0; i < PreparedStatements.MAX_STATEMENTS; i++) {
            s.prepared("S_" + i, "SELECT " + i);
        }
        assertThat(s.text("S_0")).isEqualTo("SELECT 0"); // used: S_1 is now the one used longest ago
        s.prepared("S_new", "SELECT new");
        assertThat(s.size()).isEqualTo(PreparedStatements.MAX_STATEMENTS);
        assertThat(s.text("S_1")).isNull();
        assertThat(s.text("S_0")).isEqualTo("SELECT 0");
        assertThat(s.text("S_new")).isEqualTo("SELECT new");
    }

    @Test
    void shouldForgetClosedStatementsAndKeepTheLastPreparedUntilClosed() {
        PreparedStatements s = new PreparedStatements();
        assertThat(s.lastPrepared()).isNull();
        assertThat(s.text(1L)).isNull();
        s.closed(1L); // nothing to forget
        s.prepared(1L, "SELECT ?");
        s.prepared(2L, "UPDATE t SET a = ?");
        s.prepared(3L, null); // nothing readable: not remembered
        assertThat(s.lastPrepared()).isEqualTo("UPDATE t SET a = ?");
        s.closed(2L);
        assertThat(s.text(2L)).isNull();
        assertThat(s.lastPrepared()).isNull();
        assertThat(s.text(1L)).isEqualTo("SELECT ?");
        s.prepared(1L, "SELECT again"); // the same name prepared anew
        assertThat(s.text(1L)).isEqualTo("SELECT again");
        assertThat(s.size()).isEqualTo(1);
    }
}
