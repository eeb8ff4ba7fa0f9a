package io.peregrine.agent.l7.sql;

import java.nio.charset.StandardCharsets;

/**
 * Turns captured SQL text into a low-cardinality resource name, shared by the PostgreSQL and MySQL
 * decoders: literals (strings, numbers, hex and bit strings, {@code TRUE}/{@code FALSE}, Postgres
 * dollar-quoted strings) become {@code ?}, an {@code IN} list of literals or bind markers collapses
 * to {@code (?)},
 * comments go, runs of whitespace become one space, and the result stops at
 * {@value #MAX_LENGTH} bytes. Identifiers (quoted or not), keywords, operators and bind markers
 * ({@code ?}, {@code $1}) stay as written.
 *
 * <p>One pass over the bytes with no regular expression and one output buffer: it runs for every
 * captured query. Input that ends inside a literal or comment (a capture cut at 1 KiB) normalises
 * like a complete one. Bytes are read as UTF-8; identifiers may hold any non-ASCII character.
 *
 * <p>Known simplifications: a leading minus stays ({@code -1} gives {@code -?}, since it cannot be
 * told from subtraction without parsing); MySQL executable comments ({@code /*! ... *}{@code /})
 * and optimizer hints are dropped like other comments; multi-row {@code VALUES} lists are not
 * collapsed (the length cap bounds them).
 */
public final class SqlNormalizer {

    /** Longest result, in bytes of UTF-8 (so at most that many characters). */
    public static final int MAX_LENGTH = 256;

    /** PostgreSQL: {@code "x"} is an identifier, {@code $tag$...$tag$} a string, {@code #} an operator. */
    public static final SqlNormalizer POSTGRES = new SqlNormalizer(false, false, false, true);

    /** MySQL/MariaDB (default sql_mode): {@code "x"} is a string, backslash escapes, {@code #} comments. */
    public static final SqlNormalizer MYSQL = new SqlNormalizer(true, true, true, false);

    private static final int MAX_DEPTH = 32;

    private final boolean hashComments;
    private final boolean backslashEscapes;
    private final boolean doubleQuotedStrings;
    private final boolean dollarQuotes;

    private SqlNormalizer(boolean hashComments, boolean backslashEscapes, boolean doubleQuotedStrings,
            boolean dollarQuotes) {
        this.hashComments = hashComments;
        this.backslashEscapes = backslashEscapes;
        this.doubleQuotedStrings = doubleQuotedStrings;
        this.dollarQuotes = dollarQuotes;
    }

    /** Normalises the text of the whole string. */
    public String normalize(String sql) {
        byte[] b = sql.getBytes(StandardCharsets.UTF_8);
        return normalize(b, 0, b.length);
    }

    /**
     * Normalises the SQL in {@code buf[from, to)}, which ends early at a NUL byte (as Postgres
     * strings do). Returns null when nothing but whitespace and comments is there.
     */
    public String normalize(byte[] buf, int from, int to) {
        if (from < 0 || to > buf.length || from >= to) {
            return null;
        }
        byte[] out = new byte[Math.min(to - from, MAX_LENGTH)];
        int o = 0;
        boolean space = false;
        int[] parens = new int[MAX_DEPTH];
        int depth = 0;
        int i = from;
        while (i < to && o < out.length) {
            int c = buf[i] & 0xff;
            if (c == 0) {
                break;
            }
            // Whitespace and comments: remembered as one pending space.
            if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == 0x0b) {
                space = true;
                i++;
                continue;
            }
            if ((c == '-' && i + 1 < to && buf[i + 1] == '-') || (c == '#' && hashComments)) {
                while (i < to && buf[i] != '\n' && buf[i] != 0) {
                    i++;
                }
                space = true;
                continue;
            }
            if (c == '/' && i + 1 < to && buf[i + 1] == '*') {
                i += 2;
                while (i < to && buf[i] != 0 && !(buf[i] == '*' && i + 1 < to && buf[i + 1] == '/')) {
                    i++;
                }
                i = Math.min(to, i + 2);
                space = true;
                continue;
            }
            // Everything else emits at least one byte: first the pending space, if it fits.
            if (space && o > 0) {
                out[o++] = ' ';
                if (o == out.length) {
                    break;
                }
            }
            space = false;
            if (c == '\'') {
                i = skipQuoted(buf, i + 1, to, (byte) '\'', backslashEscapes);
                out[o++] = '?';
            } else if (c == '"') {
                if (doubleQuotedStrings) {
                    i = skipQuoted(buf, i + 1, to, (byte) '"', backslashEscapes);
                    out[o++] = '?';
                } else {
                    int end = skipQuoted(buf, i + 1, to, (byte) '"', false);
                    o = copy(buf, i, end, out, o);
                    i = end;
                }
            } else if (c == '`') {
                int end = skipQuoted(buf, i + 1, to, (byte) '`', false);
                o = copy(buf, i, end, out, o);
                i = end;
            } else if (isDigit(c) || (c == '.' && i + 1 < to && isDigit(buf[i + 1] & 0xff))) {
                i = skipNumber(buf, i, to);
                out[o++] = '?';
            } else if (c == '$' && dollarQuotes) {
                i = dollar(buf, i, to);
                if (i < 0) { // a string: $$...$$ or $tag$...$tag$
                    i = -i;
                    out[o++] = '?';
                } else { // a bind marker ($1) or a lone dollar sign, as written
                    int start = i;
                    i = i + 1;
                    while (i < to && isDigit(buf[i] & 0xff)) {
                        i++;
                    }
                    o = copy(buf, start, i, out, o);
                }
            } else if (isWordStart(c)) {
                int end = i + 1;
                while (end < to && isWordPart(buf[end] & 0xff)) {
                    end++;
                }
                int len = end - i;
                if (end < to && buf[end] == '\'' && isLiteralPrefix(buf, i, len)) {
                    // E'..', B'..', X'..', N'..', _utf8mb4'..': one literal
                    boolean escapes = backslashEscapes || (len == 1 && (c == 'e' || c == 'E'));
                    i = skipQuoted(buf, end + 1, to, (byte) '\'', escapes);
                    out[o++] = '?';
                } else if (len == 1 && (c == 'U' || c == 'u') && end + 1 < to && buf[end] == '&'
                        && buf[end + 1] == '\'') {
                    i = skipQuoted(buf, end + 2, to, (byte) '\'', false);
                    out[o++] = '?';
                } else if (isBoolean(buf, i, len)) {
                    i = end;
                    out[o++] = '?';
                } else {
                    o = copy(buf, i, end, out, o);
                    i = end;
                }
            } else if (c == '(') {
                if (depth < MAX_DEPTH) {
                    parens[depth] = o;
                }
                depth++;
                out[o++] = '(';
                i++;
            } else if (c == ')') {
                depth--;
                if (depth >= 0 && depth < MAX_DEPTH && isLiteralList(out, parens[depth] + 1, o)
                        && precededByIn(out, parens[depth])) {
                    o = parens[depth] + 1;
                    out[o++] = '?';
                }
                if (depth < 0) {
                    depth = 0;
                }
                if (o < out.length) {
                    out[o++] = ')';
                }
                i++;
            } else {
                out[o++] = (byte) c;
                i++;
            }
        }
        if (o == 0) {
            return null;
        }
        if (o == out.length) {
            o = utf8Boundary(out, o);
        }
        return new String(out, 0, o, StandardCharsets.UTF_8);
    }

    /**
     * The SQL verb of a normalised statement: its first word, upper case ({@code SELECT},
     * {@code INSERT}, {@code WITH}, ...), skipping opening parentheses; null when it does not start
     * with a word of letters.
     */
    public static String verb(String normalized) {
        if (normalized == null) {
            return null;
        }
        int n = normalized.length();
        int i = 0;
        while (i < n && (normalized.charAt(i) == '(' || normalized.charAt(i) == ' ')) {
            i++;
        }
        int start = i;
        while (i < n && isLetter(normalized.charAt(i))) {
            i++;
        }
        int len = i - start;
        if (len == 0 || len > 24 || (i < n && isWordPart(normalized.charAt(i)))) {
            return null;
        }
        for (String v : COMMON_VERBS) {
            if (v.length() == len && normalized.regionMatches(true, start, v, 0, len)) {
                return v;
            }
        }
        return normalized.substring(start, i).toUpperCase(java.util.Locale.ROOT);
    }

    private static final String[] COMMON_VERBS = {
        "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "SET", "SHOW",
        "START", "CALL", "EXPLAIN", "REPLACE", "VALUES", "CREATE", "DROP", "ALTER", "TRUNCATE", "USE",
        "COPY", "LOCK", "SAVEPOINT", "RELEASE", "DEALLOCATE", "PREPARE", "EXECUTE", "LISTEN", "NOTIFY",
        "VACUUM", "ANALYZE", "GRANT", "REVOKE", "DO", "FETCH", "DECLARE", "CLOSE", "DISCARD", "RESET",
        "MERGE", "UNLOCK", "DESCRIBE", "KILL", "FLUSH", "OPTIMIZE", "LOAD", "HANDLER", "XA", "TABLE"
    };

    /** Index after the closing quote of a literal whose body starts at {@code i}; {@code to} if unclosed. */
    private static int skipQuoted(byte[] buf, int i, int to, byte quote, boolean backslash) {
        while (i < to) {
            byte b = buf[i];
            if (b == 0) {
                return i;
            }
            if (backslash && b == '\\') {
                i += 2;
                continue;
            }
            if (b == quote) {
                if (i + 1 < to && buf[i + 1] == quote) { // '' inside a literal
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return to;
    }

    /** Index after the number starting at {@code i}: decimal, fraction, exponent, 0x hex, 0b bits. */
    private static int skipNumber(byte[] buf, int i, int to) {
        if (buf[i] == '0' && i + 2 < to && (buf[i + 1] == 'x' || buf[i + 1] == 'X' || buf[i + 1] == 'b'
                || buf[i + 1] == 'B')) {
            i += 2;
            while (i < to && isWordPart(buf[i] & 0xff)) {
                i++;
            }
            return i;
        }
        while (i < to && (isDigit(buf[i] & 0xff) || buf[i] == '.')) {
            i++;
        }
        if (i < to && (buf[i] == 'e' || buf[i] == 'E')) {
            int j = i + 1;
            if (j < to && (buf[j] == '+' || buf[j] == '-')) {
                j++;
            }
            if (j < to && isDigit(buf[j] & 0xff)) {
                i = j;
                while (i < to && isDigit(buf[i] & 0xff)) {
                    i++;
                }
            }
        }
        // 12abc is not a number but an identifier to MySQL; its tail goes with the literal
        while (i < to && isWordPart(buf[i] & 0xff)) {
            i++;
        }
        return i;
    }

    /**
     * At a '$' (Postgres): the negated index after a dollar-quoted string ({@code $$..$$},
     * {@code $tag$..$tag$}), or {@code i} itself when it is a bind marker or a lone dollar.
     */
    private static int dollar(byte[] buf, int i, int to) {
        int j = i + 1;
        if (j < to && isDigit(buf[j] & 0xff)) {
            return i;
        }
        while (j < to && (isLetter(buf[j] & 0xff) || buf[j] == '_' || (j > i + 1 && isDigit(buf[j] & 0xff)))) {
            j++;
        }
        if (j >= to || buf[j] != '$') {
            return i;
        }
        int tagLen = j + 1 - i; // "$tag$"
        for (int k = j + 1; k < to; k++) {
            if (buf[k] == 0) {
                return -k;
            }
            if (buf[k] == '$' && k + tagLen <= to && regionEquals(buf, i, k, tagLen)) {
                return -(k + tagLen);
            }
        }
        return -to;
    }

    private static boolean regionEquals(byte[] b, int x, int y, int len) {
        for (int k = 0; k < len; k++) {
            if (b[x + k] != b[y + k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLiteralPrefix(byte[] buf, int i, int len) {
        int c = buf[i] & 0xff | 0x20;
        if (len == 1) {
            return c == 'e' || c == 'b' || c == 'x' || c == 'n';
        }
        return buf[i] == '_'; // a MySQL character set introducer
    }

    private static boolean isBoolean(byte[] buf, int i, int len) {
        return (len == 4 && (buf[i] | 0x20) == 't' && (buf[i + 1] | 0x20) == 'r' && (buf[i + 2] | 0x20) == 'u'
                    && (buf[i + 3] | 0x20) == 'e')
                || (len == 5 && (buf[i] | 0x20) == 'f' && (buf[i + 1] | 0x20) == 'a' && (buf[i + 2] | 0x20) == 'l'
                    && (buf[i + 3] | 0x20) == 's' && (buf[i + 4] | 0x20) == 'e');
    }

    /**
     * out[from, to) holds only placeholders ({@code ?}, and {@code $n}, whose count a driver varies
     * with the list's length just the same), commas and spaces, and at least one placeholder.
     */
    private static boolean isLiteralList(byte[] out, int from, int to) {
        boolean any = false;
        for (int k = from; k < to; k++) {
            byte b = out[k];
            if (b == '?' || b == '$') {
                any = true;
            } else if (b != ',' && b != ' ' && !isDigit(b)) {
                return false;
            }
        }
        return any;
    }

    /** The word before the parenthesis at {@code paren} (one space allowed) is IN. */
    private static boolean precededByIn(byte[] out, int paren) {
        int k = paren - 1;
        if (k >= 0 && out[k] == ' ') {
            k--;
        }
        return k >= 1 && (out[k] | 0x20) == 'n' && (out[k - 1] | 0x20) == 'i'
                && (k == 1 || !isWordPart(out[k - 2] & 0xff));
    }

    private static int copy(byte[] buf, int from, int to, byte[] out, int o) {
        int n = Math.min(to - from, out.length - o);
        System.arraycopy(buf, from, out, o, n);
        return o + n;
    }

    /** Drops an incomplete UTF-8 sequence at the end of out[0, o). */
    private static int utf8Boundary(byte[] out, int o) {
        int k = o - 1;
        int continuation = 0;
        while (k >= 0 && (out[k] & 0xc0) == 0x80 && continuation < 3) {
            k--;
            continuation++;
        }
        if (k < 0) {
            return o;
        }
        int lead = out[k] & 0xff;
        int need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
        return need > continuation ? k : o;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isLetter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isWordStart(int c) {
        return isLetter(c) || c == '_' || c >= 0x80;
    }

    private static boolean isWordPart(int c) {
        return isWordStart(c) || isDigit(c) || c == '$';
    }
}
