package io.peregrine.agent.l7.http2;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.agent.l7.http.Http1Decoder;
import io.peregrine.agent.l7.http.RouteTemplate;
import io.peregrine.schema.Protocol;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/2, and gRPC on it, from one exchange's captured prefixes (a connection the sensor saw
 * without its preface, e.g. opened before the agent; connections seen from their preface come as
 * chunks and are followed whole by {@link Http2Connection}, which shares {@link #exchange}): the
 * frames of the captured prefixes (after the connection preface when
 * the capture starts with it), the header blocks decoded with {@link Hpack} (one dynamic table per
 * direction, built from the captured blocks), {@code :method}, {@code :path}, {@code :authority}
 * (else {@code host}) and {@code traceparent} of the request's first HEADERS frame, and
 * {@code :status} and {@code grpc-status} from the response frames of the same stream (headers,
 * trailers-only or trailers when they were captured).
 *
 * <p>An exchange is gRPC when the request or response content-type is {@code application/grpc*}:
 * its resource is the path ({@code /package.Service/Method}) and its status
 * {@code grpc:<CODE_NAME>}, an error when not OK; without a captured {@code grpc-status}, a
 * non-200 {@code :status} maps to a gRPC code as gRPC's "HTTP to gRPC status code mapping" says,
 * and a 200 stays HTTP status {@code 200} (the trailers came later than the captured bytes).
 * Otherwise it is HTTP2, with the path as a {@link RouteTemplate} and 5xx as errors.
 */
public final class Http2Decoder implements ProtocolDecoder {

    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final int FRAME_HEADER = 9;
    private static final int DATA = 0;
    private static final int HEADERS = 1;
    private static final int PRIORITY = 2;
    private static final int RST_STREAM = 3;
    private static final int SETTINGS = 4;
    private static final int PUSH_PROMISE = 5;
    private static final int PING = 6;
    private static final int GOAWAY = 7;
    private static final int WINDOW_UPDATE = 8;
    private static final int CONTINUATION = 9;
    private static final int FLAG_END_STREAM = 0x1;
    private static final int FLAG_END_HEADERS = 0x4;
    private static final int FLAG_PADDED = 0x8;
    private static final int FLAG_PRIORITY = 0x20;
    /** SETTINGS_MAX_FRAME_SIZE's default; recognition does not accept larger frames. */
    private static final int DEFAULT_MAX_FRAME = 16_384;
    /** At most this many frames are looked at to recognise a connection without its preface. */
    private static final int RECOGNITION_FRAMES = 8;
    /** A longer gRPC path is not a method name; it goes through the route template instead. */
    private static final int MAX_GRPC_PATH = 256;

    static final String[] GRPC_CODES = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
        "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
    private static final String[] GRPC_STATUS = new String[GRPC_CODES.length];
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"};

    static {
        for (int i = 0; i < GRPC_CODES.length; i++) {
            GRPC_STATUS[i] = "grpc:" + GRPC_CODES[i];
        }
    }

    /**
     * Per thread, the two HPACK decoders (request and response direction) of the exchange being
     * decoded, reset for each: their tables are scratch, and allocating them for every exchange
     * cost more than decoding most header blocks.
     */
    private static final ThreadLocal<Hpack[]> HPACK = ThreadLocal.withInitial(() -> new Hpack[] {new Hpack(), new Hpack()});

    @Override
    public Protocol protocol() {
        return Protocol.HTTP2;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        return hasPreface(request) || framesLookLikeRequest(request);
    }

    /** Whether {@code request} is an HTTP/2 request whose content-type is gRPC's. */
    boolean recognizesGrpc(byte[] request) {
        if (!recognizes(request, 0)) {
            return false;
        }
        byte[][] fields = new byte[Hpack.NAMES.length][];
        Hpack hpack = HPACK.get()[0];
        hpack.reset();
        return readHeaders(request, hasPreface(request) ? PREFACE.length : 0, hpack, 0, fields) != 0
                && isGrpc(fields[Hpack.CONTENT_TYPE]);
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        return decode(request, response, false);
    }

    /**
     * Decodes an exchange; with {@code assumeGrpc} (the connection is known to carry gRPC), an
     * exchange whose content-type could not be read (it was indexed before the capture) is gRPC.
     */
    Exchange decode(byte[] request, byte[] response, boolean assumeGrpc) {
        byte[][] req = new byte[Hpack.NAMES.length][];
        Hpack[] hpack = HPACK.get();
        hpack[0].reset();
        hpack[1].reset();
        int stream = readHeaders(request, hasPreface(request) ? PREFACE.length : 0, hpack[0], 0, req);
        if (stream == 0 || (req[Hpack.METHOD] == null && req[Hpack.PATH] == null)) {
            return null;
        }
        byte[][] resp = new byte[Hpack.NAMES.length][];
        readHeaders(response, 0, hpack[1], stream, resp);
        return exchange(req, resp, assumeGrpc);
    }

    /**
     * The exchange of a stream from the wanted fields ({@link Hpack#NAMES}) of its request and of
     * its response header blocks (headers, then trailers: the first value of a name wins).
     */
    static Exchange exchange(byte[][] req, byte[][] resp, boolean assumeGrpc) {
        boolean grpc = isGrpc(req[Hpack.CONTENT_TYPE]) || isGrpc(resp[Hpack.CONTENT_TYPE])
                || (assumeGrpc && req[Hpack.CONTENT_TYPE] == null && resp[Hpack.CONTENT_TYPE] == null);
        String method = method(req[Hpack.METHOD]);
        byte[] path = req[Hpack.PATH];
        String resource = path == null ? null
                : grpc && isGrpcPath(path) ? latin1(path) : RouteTemplate.of(path, 0, path.length);
        byte[] authority = req[Hpack.AUTHORITY] != null ? req[Hpack.AUTHORITY] : req[Hpack.HOST];
        String serverName = authority == null ? null : Http1Decoder.hostName(authority, 0, authority.length);
        String traceparent = req[Hpack.TRACEPARENT] == null ? null : latin1(req[Hpack.TRACEPARENT]).trim();
        Protocol protocol = grpc ? Protocol.GRPC : Protocol.HTTP2;

        int httpStatus = decimal(resp[Hpack.STATUS], 3);
        int grpcStatus = grpc ? decimal(resp[Hpack.GRPC_STATUS], 2) : -1;
        if (grpc && grpcStatus < 0 && httpStatus >= 0 && httpStatus != 200) {
            grpcStatus = grpcCodeOfHttp(httpStatus);
        }
        String status;
        Integer code;
        boolean error;
        if (grpcStatus >= 0) {
            status = grpcStatus < GRPC_STATUS.length ? GRPC_STATUS[grpcStatus] : "grpc:" + grpcStatus;
            code = grpcStatus;
            error = grpcStatus != 0;
        } else if (httpStatus >= 100) {
            status = Integer.toString(httpStatus);
            code = httpStatus;
            error = httpStatus >= 500;
        } else {
            status = null;
            code = null;
            error = false;
        }
        return new Exchange(protocol, method, resource, serverName, status, code, error, traceparent, null, null);
    }

    static boolean hasPreface(byte[] b) {
        if (b.length < PREFACE.length) {
            return false;
        }
        for (int i = 0; i < PREFACE.length; i++) {
            if (b[i] != PREFACE[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the frames of {@code b} from {@code at}, feeding every header block to {@code hpack} in
     * order and keeping in {@code into} the fields of the blocks of stream {@code stream}; with
     * {@code stream} 0, of the stream of the first HEADERS frame. Returns that stream, 0 when no
     * HEADERS frame of it was read.
     */
    static int readHeaders(byte[] b, int at, Hpack hpack, int stream, byte[][] into) {
        boolean seen = false;
        while (at + FRAME_HEADER <= b.length) {
            int len = u24(b, at);
            int type = b[at + 3] & 0xFF;
            int flags = b[at + 4] & 0xFF;
            int sid = u31(b, at + 5);
            int payload = at + FRAME_HEADER;
            boolean cut = payload + len > b.length;
            int next = payload + len;
            if (type == HEADERS || type == PUSH_PROMISE) {
                int from = payload;
                int to = Math.min(next, b.length);
                if ((flags & FLAG_PADDED) != 0) {
                    if (from >= to) {
                        break;
                    }
                    int pad = b[from++] & 0xFF;
                    if (pad > len - 1) {
                        break;
                    }
                    to = Math.min(next - pad, b.length);
                }
                if (type == HEADERS && (flags & FLAG_PRIORITY) != 0) {
                    from += 5;
                }
                if (type == PUSH_PROMISE) {
                    from += 4;
                }
                if (from > to) {
                    break;
                }
                byte[] block = b;
                if ((flags & FLAG_END_HEADERS) == 0 && !cut) {
                    // the block goes on in CONTINUATION frames: join the fragments
                    int total = to - from;
                    int c = next;
                    while (c + FRAME_HEADER <= b.length && (b[c + 3] & 0xFF) == CONTINUATION
                            && u31(b, c + 5) == sid) {
                        int clen = u24(b, c);
                        total += Math.min(clen, b.length - c - FRAME_HEADER);
                        int cflags = b[c + 4];
                        c += FRAME_HEADER + clen;
                        if ((cflags & FLAG_END_HEADERS) != 0 || c > b.length) {
                            break;
                        }
                    }
                    block = new byte[total];
                    int w = to - from;
                    System.arraycopy(b, from, block, 0, w);
                    int k = next;
                    while (w < total) {
                        int n = Math.min(u24(b, k), total - w);
                        System.arraycopy(b, k + FRAME_HEADER, block, w, n);
                        w += n;
                        k += FRAME_HEADER + u24(b, k);
                    }
                    from = 0;
                    to = total;
                    next = c;
                    cut = c > b.length;
                }
                if (type == HEADERS && sid != 0 && stream == 0) {
                    stream = sid;
                }
                boolean ours = type == HEADERS && sid == stream && sid != 0;
                seen |= ours;
                hpack.decodeBlock(block, from, to, ours ? into : null);
            }
            if (cut) {
                break;
            }
            at = next;
        }
        return seen ? stream : 0;
    }

    /**
     * Whether {@code b}, captured without a preface, is a run of well-formed frames up to a HEADERS
     * frame on a client stream whose block starts with a request pseudo-header
     * ({@code :authority}, {@code :method}, {@code :path} or {@code :scheme}) from the static table,
     * or with an indexed field from the dynamic table (a request in the middle of a connection).
     */
    static boolean framesLookLikeRequest(byte[] b) {
        int at = 0;
        for (int f = 0; f < RECOGNITION_FRAMES && at + FRAME_HEADER <= b.length; f++) {
            int len = u24(b, at);
            int type = b[at + 3] & 0xFF;
            int flags = b[at + 4] & 0xFF;
            int sid = u31(b, at + 5);
            if ((b[at + 5] & 0x80) != 0 || len > DEFAULT_MAX_FRAME || !wellFormed(type, flags, len, sid)) {
                return false;
            }
            if (type == HEADERS) {
                int p = at + FRAME_HEADER;
                if ((flags & FLAG_PADDED) != 0) {
                    p++;
                }
                if ((flags & FLAG_PRIORITY) != 0) {
                    p += 5;
                }
                int[] pos = {p};
                int end = Math.min(at + FRAME_HEADER + len, b.length);
                while (pos[0] < end && (b[pos[0]] & 0xE0) == 0x20) {
                    if (Hpack.readInt(b, pos, end, 5) < 0) {
                        return false;
                    }
                }
                if (pos[0] >= end || (sid & 1) == 0) {
                    return false;
                }
                int first = b[pos[0]] & 0xFF;
                if ((first & 0x80) != 0) {
                    // indexed: a static pseudo-header, or an entry the capture did not see added
                    int index = first & 0x7F;
                    return (index >= 1 && index <= 7) || index > Hpack.STATIC_SIZE;
                }
                int index = (first & 0xC0) == 0x40 ? first & 0x3F : first & 0x0F;
                return index >= 1 && index <= 7;
            }
            at += FRAME_HEADER + len;
        }
        return false;
    }

    private static boolean wellFormed(int type, int flags, int len, int sid) {
        return switch (type) {
            case DATA -> sid != 0 && (flags & ~(FLAG_END_STREAM | FLAG_PADDED)) == 0;
            case HEADERS -> sid != 0 && len > 0
                    && (flags & ~(FLAG_END_STREAM | FLAG_END_HEADERS | FLAG_PADDED | FLAG_PRIORITY)) == 0;
            case PRIORITY -> sid != 0 && len == 5 && flags == 0;
            case RST_STREAM -> sid != 0 && len == 4 && flags == 0;
            case SETTINGS -> sid == 0 && len % 6 == 0 && (flags & ~1) == 0 && (flags == 0 || len == 0);
            case PING -> sid == 0 && len == 8 && (flags & ~1) == 0;
            case GOAWAY -> sid == 0 && len >= 8 && flags == 0;
            case WINDOW_UPDATE -> len == 4 && flags == 0;
            default -> false; // PUSH_PROMISE and CONTINUATION cannot come first from a client
        };
    }

    static boolean isGrpc(byte[] contentType) {
        byte[] p = {'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n', '/', 'g', 'r', 'p', 'c'};
        if (contentType == null || contentType.length < p.length) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            int c = contentType[i];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != p[i]) {
                return false;
            }
        }
        return contentType.length == p.length || contentType[p.length] == '+' || contentType[p.length] == ';';
    }

    /** {@code /service/method}: two non-empty segments of printable characters, no query. */
    private static boolean isGrpcPath(byte[] path) {
        if (path.length < 4 || path.length > MAX_GRPC_PATH || path[0] != '/') {
            return false;
        }
        int slashes = 0;
        for (int i = 1; i < path.length; i++) {
            byte c = path[i];
            if (c == '/') {
                if (path[i - 1] == '/' || ++slashes > 1) {
                    return false;
                }
            } else if (c <= ' ' || c >= 0x7f || c == '?' || c == '%') {
                return false;
            }
        }
        return slashes == 1 && path[path.length - 1] != '/';
    }

    /** gRPC's "HTTP to gRPC status code mapping" for responses without grpc-status. */
    private static int grpcCodeOfHttp(int http) {
        return switch (http) {
            case 400 -> 13; // INTERNAL
            case 401 -> 16; // UNAUTHENTICATED
            case 403 -> 7; // PERMISSION_DENIED
            case 404 -> 12; // UNIMPLEMENTED
            case 429, 502, 503, 504 -> 14; // UNAVAILABLE
            default -> 2; // UNKNOWN
        };
    }

    private static String method(byte[] m) {
        if (m == null) {
            return null;
        }
        for (String known : METHODS) {
            if (known.length() == m.length && sameAscii(known, m)) {
                return known;
            }
        }
        return m.length <= 16 ? latin1(m) : null;
    }

    private static boolean sameAscii(String s, byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (s.charAt(i) != b[i]) {
                return false;
            }
        }
        return true;
    }

    /** A decimal of at most {@code digits} digits, or -1. */
    private static int decimal(byte[] v, int digits) {
        if (v == null || v.length == 0 || v.length > digits) {
            return -1;
        }
        int n = 0;
        for (byte c : v) {
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + c - '0';
        }
        return n;
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static int u24(byte[] b, int at) {
        return ((b[at] & 0xFF) << 16) | ((b[at + 1] & 0xFF) << 8) | (b[at + 2] & 0xFF);
    }

    private static int u31(byte[] b, int at) {
        return ((b[at] & 0x7F) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
