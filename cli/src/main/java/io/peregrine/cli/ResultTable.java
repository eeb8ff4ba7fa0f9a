package io.peregrine.cli;

import java.io.PrintWriter;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;

/** Renders query results for a terminal: a bordered table of final rows, or a changelog line by line. */
final class ResultTable {

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private ResultTable() {
    }

    /** Collects every row, then prints them under a header, columns as wide as their widest cell. */
    static void print(PrintWriter out, List<String> columns, Iterator<Row> rows, int maxWidth) {
        List<String[]> cells = new ArrayList<>();
        while (rows.hasNext()) {
            Row row = rows.next();
            String[] line = new String[columns.size()];
            for (int i = 0; i < line.length; i++) {
                line[i] = cut(render(row.getField(i)), maxWidth);
            }
            cells.add(line);
        }
        int[] width = new int[columns.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = columns.get(i).length();
            for (String[] line : cells) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        String border = Arrays.stream(width).mapToObj(w -> "-".repeat(w + 2)).collect(Collectors.joining("+", "+", "+"));
        out.println(border);
        out.println(line(columns.toArray(String[]::new), width));
        out.println(border);
        for (String[] line : cells) {
            out.println(line(line, width));
        }
        out.println(border);
        out.println(cells.size() + (cells.size() == 1 ? " row" : " rows"));
    }

    /** Prints the header, then each change as it arrives, prefixed with its kind (+I, -U, +U, -D). */
    static void streamTo(PrintWriter out, List<String> columns, Iterator<Row> rows, int maxWidth) {
        out.println("op\t" + String.join("\t", columns));
        out.flush();
        while (rows.hasNext()) {
            Row row = rows.next();
            StringBuilder sb = new StringBuilder(row.getKind().shortString());
            for (int i = 0; i < columns.size(); i++) {
                sb.append('\t').append(cut(render(row.getField(i)), maxWidth));
            }
            out.println(sb);
            out.flush();
        }
    }

    private static String line(String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < cells.length; i++) {
            sb.append(' ').append(cells[i]).append(" ".repeat(width[i] - cells[i].length())).append(" |");
        }
        return sb.toString();
    }

    /** A cell's text: NULL for null, readable timestamps, nested rows as (a, b), arrays as [a, b], bytes as x'hex'. */
    static String render(Object value) {
        if (value == null) {
            return "NULL";
        }
        if (value instanceof LocalDateTime t) {
            return TIMESTAMP.format(t);
        }
        if (value instanceof Row r) {
            List<String> fields = new ArrayList<>();
            for (int i = 0; i < r.getArity(); i++) {
                fields.add(render(r.getField(i)));
            }
            String body = String.join(", ", fields);
            return r.getKind() == RowKind.INSERT ? "(" + body + ")" : r.getKind().shortString() + "(" + body + ")";
        }
        if (value instanceof byte[] b) {
            return "x'" + HexFormat.of().formatHex(b) + "'";
        }
        if (value instanceof Object[] a) {
            return Arrays.stream(a).map(ResultTable::render).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Map<?, ?> m) {
            return m.entrySet().stream().map(e -> render(e.getKey()) + "=" + render(e.getValue()))
                    .sorted().collect(Collectors.joining(", ", "{", "}"));
        }
        return value.toString().replace('\n', ' ');
    }

    private static String cut(String text, int maxWidth) {
        return maxWidth > 0 && text.length() > maxWidth ? text.substring(0, Math.max(1, maxWidth - 1)) + "…" : text;
    }
}
