package io.peregrine.flink.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits SQL text into statements at the semicolons that end them, as Flink's SQL client does:
 * a semicolon inside a string literal ({@code 'a;b'}, with {@code ''} as an escaped quote), a
 * quoted identifier ({@code `a;b`}), a {@code --} line comment or a block comment does not end a
 * statement. Statements are returned trimmed, without their semicolon; empty ones are dropped.
 */
public final class SqlStatements {

    private SqlStatements() {
    }

    /** The complete statements in {@code text}; what follows the last semicolon is left out. */
    public static List<String> complete(String text) {
        return scan(text).statements;
    }

    /**
     * What follows the last complete statement: text still waiting for its semicolon (empty when
     * nothing but whitespace and comments follows). The interactive prompt keeps reading lines while this is not empty.
     */
    public static String rest(String text) {
        return scan(text).rest;
    }

    /** Every statement, the last one with or without its semicolon. */
    public static List<String> all(String text) {
        Scan s = scan(text);
        List<String> out = new ArrayList<>(s.statements);
        if (!s.rest.isEmpty()) {
            out.add(s.rest.trim());
        }
        return out;
    }

    private record Scan(List<String> statements, String rest) {
    }

    private static Scan scan(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean meaningful = false; // anything but whitespace and comments in the current statement
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\'' || c == '`' || c == '"') {
                int end = i + 1;
                while (end < n) {
                    if (text.charAt(end) == c) {
                        if (end + 1 < n && text.charAt(end + 1) == c) {
                            end += 2; // doubled quote: escaped, still inside
                            continue;
                        }
                        break;
                    }
                    end++;
                }
                int stop = Math.min(end + 1, n);
                current.append(text, i, stop);
                meaningful = true;
                i = stop;
            } else if (c == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                int end = text.indexOf('\n', i);
                int stop = end < 0 ? n : end;
                current.append(text, i, stop);
                i = stop;
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                int end = text.indexOf("*/", i + 2);
                int stop = end < 0 ? n : end + 2;
                current.append(text, i, stop);
                i = stop;
            } else if (c == ';') {
                if (meaningful) {
                    out.add(current.toString().trim());
                }
                current.setLength(0);
                meaningful = false;
                i++;
            } else {
                current.append(c);
                meaningful |= !Character.isWhitespace(c);
                i++;
            }
        }
        return new Scan(out, meaningful ? current.toString() : "");
    }
}
