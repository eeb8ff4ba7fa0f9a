package io.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.junit.jupiter.api.Test;

class ResultTableTest {

    @Test
    void shouldRenderEveryKindOfCell() {
        assertThat(ResultTable.render(null)).isEqualTo("NULL");
        assertThat(ResultTable.render(LocalDateTime.parse("2025-06-02T10:15:30"))).isEqualTo("2025-06-02 10:15:30.000");
        assertThat(ResultTable.render(Row.of("k8s/shop/checkout", null))).isEqualTo("(k8s/shop/checkout, NULL)");
        assertThat(ResultTable.render(new byte[] {0, (byte) 0xff})).isEqualTo("x'00ff'");
        assertThat(ResultTable.render(new Object[] {"a", 1L, null})).isEqualTo("[a, 1, NULL]");
        assertThat(ResultTable.render(Map.of("b", 2, "a", 1))).isEqualTo("{a=1, b=2}");
        assertThat(ResultTable.render("two\nlines")).isEqualTo("two lines");
    }

    @Test
    void shouldPrintABorderedTableWithColumnsAsWideAsTheirWidestCell() {
        StringWriter out = new StringWriter();
        ResultTable.print(new PrintWriter(out, true), List.of("app", "n"),
                List.of(Row.of("checkout", 120L), Row.of("a-very-long-application-name", null)).iterator(), 10);
        assertThat(out.toString().split("\n")).containsExactly(
                "+------------+------+",
                "| app        | n    |",
                "+------------+------+",
                "| checkout   | 120  |",
                "| a-very-lo… | NULL |",
                "+------------+------+",
                "2 rows");
    }

    @Test
    void shouldPrintAnEmptyResultAndAChangelog() {
        StringWriter out = new StringWriter();
        ResultTable.print(new PrintWriter(out, true), List.of("x"), List.<Row>of().iterator(), 0);
        assertThat(out.toString()).endsWith("0 rows\n");
        StringWriter changes = new StringWriter();
        ResultTable.streamTo(new PrintWriter(changes, true), List.of("app", "n"),
                List.of(Row.ofKind(RowKind.INSERT, "a", 1L), Row.ofKind(RowKind.UPDATE_BEFORE, "a", 1L),
                        Row.ofKind(RowKind.UPDATE_AFTER, "a", 2L)).iterator(), 0);
        assertThat(changes.toString().split("\n")).containsExactly("op\tapp\tn", "+I\ta\t1", "-U\ta\t1", "+U\ta\t2");
    }
}
