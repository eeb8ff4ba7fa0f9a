package io.peregrine.agent.l7.http;

/**
 * Turns a request target into a low-cardinality route template: the query string and fragment are
 * dropped and every path segment that looks like an identifier becomes {@code {id}}, so that
 * {@code /users/42/orders?page=2} and {@code /users/7/orders} are one resource,
 * {@code /users/{id}/orders}. Shared by HTTP/1.x and HTTP/2 (a gRPC path is a method name and is
 * kept as it is by the HTTP/2 decoder).
 *
 * <p>A segment is an identifier when it is
 * <ul>
 *   <li>all digits, or digits with separators ({@code 2024-01-15}, {@code 12.5}),
 *   <li>a UUID ({@code 8-4-4-4-12} hex digits),
 *   <li>hex digits only, at least 8 long and with a digit in it (hashes, short commit ids),
 *   <li>any segment with a run of 4 or more digits ({@code order-12345}),
 *   <li>an opaque token: at least 20 characters mixing letters and digits, or longer than 48,
 *   <li>percent-encoded or holding {@code @} or {@code =} (e-mail addresses, base64 padding,
 *       free text), or holding control characters or non-ASCII bytes.
 * </ul>
 * Path parameters after {@code ;} are dropped. To keep the number of distinct templates bounded
 * even for paths this does not foresee, at most {@value #MAX_SEGMENTS} segments are kept (the rest
 * become one {@code {*}}) and the template is at most {@value #MAX_LENGTH} characters.
 */
public final class RouteTemplate {

    /** Placeholder for an identifier segment. */
    public static final String ID = "{id}";

    static final int MAX_SEGMENTS = 10;
    static final int MAX_LENGTH = 256;
    private static final String REST = "{*}";

    private RouteTemplate() {
    }

    /** The template of the target in {@code buf[from, to)} (origin-form path, query allowed). */
    public static String of(byte[] buf, int from, int to) {
        int end = from;
        while (end < to && buf[end] != '?' && buf[end] != '#') {
            end++;
        }
        if (from >= end || buf[from] != '/') {
            // "*" (OPTIONS *) or an empty path: nothing to normalise.
            return from < end && end - from == 1 && buf[from] == '*' ? "*" : "/";
        }
        StringBuilder out = new StringBuilder(Math.min(end - from, MAX_LENGTH) + 8);
        int segments = 0;
        int i = from + 1;
        while (true) {
            int segEnd = i;
            while (segEnd < end && buf[segEnd] != '/') {
                segEnd++;
            }
            out.append('/');
            if (++segments > MAX_SEGMENTS) {
                out.append(REST);
                break;
            }
            int paramAt = indexOf(buf, i, segEnd, (byte) ';');
            int segTo = paramAt < 0 ? segEnd : paramAt;
            if (isIdentifier(buf, i, segTo)) {
                out.append(ID);
            } else {
                for (int k = i; k < segTo; k++) {
                    out.append((char) (buf[k] & 0xFF));
                }
            }
            if (out.length() > MAX_LENGTH) {
                out.setLength(MAX_LENGTH);
                break;
            }
            if (segEnd >= end) {
                break;
            }
            i = segEnd + 1;
        }
        return out.toString();
    }

    /** Whether {@code buf[from, to)} (one path segment) names one thing among many. */
    static boolean isIdentifier(byte[] buf, int from, int to) {
        int n = to - from;
        if (n == 0) {
            return false;
        }
        if (n > 48) {
            return true;
        }
        int digits = 0;
        int letters = 0;
        int hex = 0;
        int separators = 0;
        int run = 0;
        int longestRun = 0;
        for (int i = from; i < to; i++) {
            int c = buf[i] & 0xFF;
            if (c >= '0' && c <= '9') {
                digits++;
                hex++;
                run++;
                longestRun = Math.max(longestRun, run);
                continue;
            }
            run = 0;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                letters++;
                if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
                    hex++;
                }
            } else if (c == '-' || c == '_' || c == '.' || c == ':' || c == ',') {
                separators++;
            } else if (c == '%' || c == '@' || c == '=' || c >= 0x80 || c <= ' ') {
                return true;
            }
        }
        if (digits > 0 && digits + separators == n) {
            return true;
        }
        if (n == 36 && isUuid(buf, from)) {
            return true;
        }
        if (hex == n && n >= 8 && digits > 0) {
            return true;
        }
        if (longestRun >= 4) {
            return true;
        }
        return n >= 20 && digits > 0 && letters > 0;
    }

    private static boolean isUuid(byte[] buf, int from) {
        for (int i = 0; i < 36; i++) {
            int c = buf[from + i] & 0xFF;
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : !isHex(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static int indexOf(byte[] buf, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
