package io.peregrine.agent.l7.http;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.schema.Protocol;

/**
 * HTTP/1.0 and HTTP/1.1: method, route template of the path ({@link RouteTemplate}), status,
 * {@code Host} without port as the server name and the W3C {@code traceparent} header verbatim.
 * 5xx is an error, 4xx is not (the server answered). Interim {@code 1xx} responses are skipped
 * when the final status line follows in the captured bytes.
 *
 * <p>Header lines cut by the end of the capture are ignored rather than read half, so a truncated
 * {@code Host} never becomes a wrong server name.
 */
public final class Http1Decoder implements ProtocolDecoder {

    private static final String[] METHODS = {
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"};
    private static final String[] STATUS_TEXT = new String[600];

    static {
        for (int i = 100; i < STATUS_TEXT.length; i++) {
            STATUS_TEXT[i] = Integer.toString(i);
        }
    }

    @Override
    public Protocol protocol() {
        return Protocol.HTTP;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        return targetEnd(request, methodIndex(request)) > 0;
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        int m = methodIndex(request);
        int targetEnd = targetEnd(request, m);
        if (targetEnd < 0) {
            return null;
        }
        String method = METHODS[m];
        int targetFrom = method.length() + 1;
        String host = null;
        int pathFrom = targetFrom;
        if (request[targetFrom] != '/' && request[targetFrom] != '*') {
            // absolute-form (a request to a proxy): scheme://authority/path
            int authority = indexOf(request, targetFrom, targetEnd, (byte) '/') + 2;
            int authorityEnd = authority;
            while (authorityEnd < targetEnd && request[authorityEnd] != '/'
                    && request[authorityEnd] != '?') {
                authorityEnd++;
            }
            host = hostName(request, authority, authorityEnd);
            pathFrom = authorityEnd;
        }
        String resource = RouteTemplate.of(request, pathFrom, targetEnd);

        String traceparent = null;
        int line = indexOf(request, targetEnd, request.length, (byte) '\n') + 1;
        while (line > 0 && line < request.length) {
            int eol = indexOf(request, line, request.length, (byte) '\n');
            if (eol < 0) {
                break; // cut by the capture: do not read half a value
            }
            int lineEnd = eol > line && request[eol - 1] == '\r' ? eol - 1 : eol;
            if (lineEnd == line) {
                break; // end of the header section
            }
            int colon = indexOf(request, line, lineEnd, (byte) ':');
            if (colon > line) {
                if (host == null && equalsIgnoreCase(request, line, colon, "host")) {
                    host = hostName(request, skipSpaces(request, colon + 1, lineEnd), trimEnd(request, colon + 1, lineEnd));
                } else if (traceparent == null && equalsIgnoreCase(request, line, colon, "traceparent")) {
                    int from = skipSpaces(request, colon + 1, lineEnd);
                    int to = trimEnd(request, from, lineEnd);
                    traceparent = to > from ? ascii(request, from, to) : null;
                }
            }
            line = eol + 1;
        }

        int status = finalStatus(response);
        if (status < 0) {
            return new Exchange(Protocol.HTTP, method, resource, host, null, null, false, traceparent, null, null);
        }
        return new Exchange(Protocol.HTTP, method, resource, host, STATUS_TEXT[status], status, status >= 500,
                traceparent, null, null);
    }

    /** Index in {@link #METHODS} of the method {@code request} starts with (and a space), or -1. */
    private static int methodIndex(byte[] request) {
        if (request.length < 4) {
            return -1;
        }
        for (int m = 0; m < METHODS.length; m++) {
            String name = METHODS[m];
            int n = name.length();
            if (request.length > n + 1 && request[n] == ' ' && startsWith(request, 0, name)) {
                return m;
            }
        }
        return -1;
    }

    /**
     * End of the request target after method {@code m}, or -1 when the request line is not an
     * HTTP/1.x one. A target cut by the end of the capture ends there.
     */
    private static int targetEnd(byte[] request, int m) {
        if (m < 0) {
            return -1;
        }
        int from = METHODS[m].length() + 1;
        byte first = request[from];
        if (first != '/' && first != '*' && !startsWith(request, from, "http://")
                && !startsWith(request, from, "https://")) {
            return -1;
        }
        int i = from;
        while (i < request.length && request[i] > ' ' && request[i] < 0x7f) {
            i++;
        }
        if (i == request.length) {
            return i;
        }
        if (request[i] != ' ') {
            return -1;
        }
        // "HTTP/1.x" then the end of the line, as far as the capture goes
        String version = "HTTP/1.";
        int v = i + 1;
        for (int k = 0; k < version.length() + 1 && v + k < request.length; k++) {
            byte b = request[v + k];
            if (k < version.length() ? b != version.charAt(k) : b != '0' && b != '1') {
                return -1;
            }
        }
        int eol = v + version.length() + 1;
        if (eol < request.length && request[eol] != '\r' && request[eol] != '\n') {
            return -1;
        }
        return i;
    }

    /** The final status of an HTTP/1.x response, or -1 when {@code response} is not one. */
    static int finalStatus(byte[] response) {
        int at = 0;
        while (true) {
            int status = statusAt(response, at);
            if (status < 100 || status >= 200) {
                return status;
            }
            int next = indexOf(response, at, response.length, "\r\n\r\n");
            if (next < 0 || statusAt(response, next + 4) < 0) {
                return status; // only the interim response was captured
            }
            at = next + 4;
        }
    }

    private static int statusAt(byte[] r, int at) {
        // "HTTP/1.1 200"
        if (r.length < at + 12 || !startsWith(r, at, "HTTP/1.") || r[at + 8] != ' ') {
            return -1;
        }
        int status = 0;
        for (int i = at + 9; i < at + 12; i++) {
            int d = r[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            status = status * 10 + d;
        }
        if (status < 100 || status > 599 || (r.length > at + 12 && r[at + 12] != ' ' && r[at + 12] != '\r')) {
            return -1;
        }
        return status;
    }

    /**
     * The host of a Host header value, an {@code :authority} or a URI authority: without port and
     * userinfo, lower case; null when empty or not a name. Shared with the HTTP/2 decoder.
     */
    public static String hostName(byte[] buf, int from, int to) {
        if (from >= to) {
            return null;
        }
        int end;
        if (buf[from] == '[') {
            end = indexOf(buf, from, to, (byte) ']');
            if (end < 0) {
                return null;
            }
            from++;
        } else {
            end = indexOf(buf, from, to, (byte) ':');
            if (end < 0) {
                end = to;
            }
            int at = indexOf(buf, from, end, (byte) '@');
            if (at >= 0) {
                from = at + 1; // userinfo@host
            }
        }
        if (from >= end) {
            return null;
        }
        char[] chars = new char[end - from];
        for (int i = from; i < end; i++) {
            int c = buf[i] & 0xFF;
            if (c <= ' ' || c >= 0x7f) {
                return null;
            }
            chars[i - from] = (char) (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return new String(chars);
    }

    private static boolean startsWith(byte[] buf, int at, String prefix) {
        if (buf.length - at < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (buf[at + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean equalsIgnoreCase(byte[] buf, int from, int to, String lower) {
        if (to - from != lower.length()) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            int c = buf[from + i];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] buf, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] buf, int from, int to, String s) {
        for (int i = from; i + s.length() <= to; i++) {
            if (startsWith(buf, i, s)) {
                return i;
            }
        }
        return -1;
    }

    private static int skipSpaces(byte[] buf, int from, int to) {
        while (from < to && (buf[from] == ' ' || buf[from] == '\t')) {
            from++;
        }
        return from;
    }

    private static int trimEnd(byte[] buf, int from, int to) {
        while (to > from && (buf[to - 1] == ' ' || buf[to - 1] == '\t')) {
            to--;
        }
        return to;
    }

    private static String ascii(byte[] buf, int from, int to) {
        char[] chars = new char[to - from];
        for (int i = from; i < to; i++) {
            chars[i - from] = (char) (buf[i] & 0xFF);
        }
        return new String(chars);
    }
}
