package io.peregrine.agent.l7.http2;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.http2.Http2Stats.Break;
import io.peregrine.schema.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One HTTP/2 connection followed from the chunks the eBPF sensor ships for it: the first bytes of
 * every read and write, in order, from the call that carried the client preface on (see
 * {@code bpf/l7/http2.h}). Per direction, a frame reassembler (frames straddle calls) and an HPACK
 * decoder that sees every header block of the connection; per stream, the request's header fields
 * and start (the chunk of its first HEADERS frame) and the response's header and trailer fields.
 * A stream is reported once its response ends: a response frame with END_STREAM (the trailers for
 * gRPC, where {@code grpc-status} lives), RST_STREAM, GOAWAY refusing it, or the connection's close.
 *
 * <p>A call longer than the capture is cut. Its length is known, so missing bytes inside a frame's
 * payload are skipped exactly: a DATA body costs nothing. Missing bytes holding a frame header
 * lose the frame boundaries, and missing bytes of a header block lose the HPACK table (every later
 * index may be off); a lost chunk (a gap in the numbering) loses both. Then the connection is
 * <em>broken</em>: the streams in flight are dropped and nothing more is reported for it, rather
 * than wrong names; {@link Http2Stats} counts why. Bounded: at most {@link #MAX_STREAMS} open
 * streams, header blocks up to {@link #MAX_BLOCK} bytes, the HPACK tables as {@link Hpack} bounds
 * them. Not thread-safe.
 */
public final class Http2Connection {

    /** Open streams followed per connection; beyond, new streams are counted and not followed. */
    static final int MAX_STREAMS = 1024;
    /** Largest header block (HEADERS plus CONTINUATIONs) kept; a larger one breaks the connection. */
    static final int MAX_BLOCK = 64 * 1024;

    private static final int FRAME_HEADER = 9;
    private static final int DATA = 0;
    private static final int HEADERS = 1;
    private static final int RST_STREAM = 3;
    private static final int PUSH_PROMISE = 5;
    private static final int GOAWAY = 7;
    private static final int CONTINUATION = 9;
    private static final int FLAG_END_STREAM = 0x1;
    private static final int FLAG_END_HEADERS = 0x4;
    private static final int FLAG_PADDED = 0x8;
    private static final int FLAG_PRIORITY = 0x20;
    /** RST_STREAM error codes (RFC 9113 7) that gRPC maps to a status of its own. */
    private static final int REFUSED_STREAM = 0x7;
    private static final int CANCEL = 0x8;
    private static final int ENHANCE_YOUR_CALM = 0xb;
    private static final int INADEQUATE_SECURITY = 0xc;
    private static final String RESET = "reset";

    /**
     * A stream that ended.
     *
     * @param startNanos monotonic time of the chunk of its request's first HEADERS frame
     * @param endNanos return of the call that ended it (its response's last frame, the reset, the close)
     * @param answered false when no response ended it (closed, refused, or reset before a status)
     */
    public record Stream(int id, Exchange exchange, long startNanos, long endNanos, long requestBytes,
            long responseBytes, boolean answered, boolean reset) {
    }

    private static final class Open {
        final int id;
        final long startNanos;
        final byte[][] request;
        byte[][] response;
        long requestBytes;
        long responseBytes;

        Open(int id, long startNanos, byte[][] request) {
            this.id = id;
            this.startNanos = startNanos;
            this.request = request;
        }
    }

    /** One direction's frames: the frame being read, and the header block being gathered. */
    private static final class Direction {
        final boolean fromClient;
        Hpack hpack = new Hpack(true);
        int prefaceLeft;
        final byte[] head = new byte[FRAME_HEADER];
        int headLen;
        boolean inFrame;
        int type;
        int flags;
        int sid;
        int length;
        int left;
        /** Payload bytes kept of the current frame (header blocks, RST_STREAM, GOAWAY), at most keep. */
        int keep;
        byte[] payload = new byte[64];
        int payloadLen;
        boolean payloadLost;
        /** A header block waiting for its CONTINUATION frames. */
        boolean inBlock;
        int blockType;
        int blockStream;
        boolean blockEndStream;
        long blockStart;
        long blockBytes;
        byte[] block = new byte[64];
        int blockLen;

        Direction(boolean fromClient) {
            this.fromClient = fromClient;
            this.prefaceLeft = fromClient ? Http2Decoder.PREFACE.length : 0;
        }
    }

    private final Http2Stats stats;
    private final Direction fromClient = new Direction(true);
    private final Direction fromServer = new Direction(false);
    private final Map<Integer, Open> streams = new HashMap<>();
    private long nextSeq;
    private boolean broken;

    public Http2Connection(Http2Stats stats) {
        this.stats = stats;
        stats.connection();
    }

    /** Whether the connection stopped being followed (see the class comment). */
    public boolean broken() {
        return broken;
    }

    /** Streams open now. */
    public int openStreams() {
        return streams.size();
    }

    /**
     * Follows one call's bytes: {@code data} are the first of the {@code total} bytes it moved.
     *
     * @param seq the chunk's number on the connection (0 for the call with the client preface)
     * @param clientToServer the bytes travel from the client to the server
     * @param startNanos monotonic time the bytes are taken to have left (write) or arrived (read)
     * @param endNanos return of the call
     * @param out receives the streams this call ended
     */
    public void chunk(long seq, boolean clientToServer, byte[] data, long total, long startNanos, long endNanos,
            Consumer<Stream> out) {
        if (broken) {
            stats.ignored();
            return;
        }
        if (seq != nextSeq) {
            breakWith(Break.CHUNK_LOST);
            return;
        }
        nextSeq++;
        Direction d = clientToServer ? fromClient : fromServer;
        int n = data.length;
        int p = 0;
        while (p < n) {
            if (d.prefaceLeft > 0) {
                if (data[p] != Http2Decoder.PREFACE[Http2Decoder.PREFACE.length - d.prefaceLeft]) {
                    breakWith(Break.NO_PREFACE);
                    return;
                }
                d.prefaceLeft--;
                p++;
            } else if (!d.inFrame) {
                int k = Math.min(FRAME_HEADER - d.headLen, n - p);
                System.arraycopy(data, p, d.head, d.headLen, k);
                d.headLen += k;
                p += k;
                if (d.headLen == FRAME_HEADER) {
                    startFrame(d);
                    if (d.left == 0 && !endFrame(d, startNanos, endNanos, out)) {
                        return;
                    }
                }
            } else {
                int k = Math.min(d.left, n - p);
                if (d.payloadLen < d.keep) {
                    append(d, data, p, Math.min(k, d.keep - d.payloadLen));
                }
                d.left -= k;
                p += k;
                if (d.left == 0 && !endFrame(d, startNanos, endNanos, out)) {
                    return;
                }
            }
        }
        long missing = total - n;
        if (missing > 0) {
            if (d.prefaceLeft > 0 || !d.inFrame || missing > d.left) {
                breakWith(Break.FRAMING_LOST);
                return;
            }
            if (d.payloadLen < d.keep) {
                d.payloadLost = true;
            }
            d.left -= (int) missing;
            if (d.left == 0) {
                endFrame(d, startNanos, endNanos, out);
            }
        }
    }

    /**
     * The connection closed at {@code nanos}: its open streams are reported unanswered (unless it
     * broke, when they were dropped already).
     */
    public void close(long nanos, Consumer<Stream> out) {
        if (broken) {
            return;
        }
        List<Open> open = new ArrayList<>(streams.values());
        open.sort((a, b) -> Integer.compare(a.id, b.id));
        for (Open s : open) {
            finish(s, nanos, false, -1, out);
        }
    }

    private void startFrame(Direction d) {
        byte[] h = d.head;
        d.length = ((h[0] & 0xFF) << 16) | ((h[1] & 0xFF) << 8) | (h[2] & 0xFF);
        d.type = h[3] & 0xFF;
        d.flags = h[4] & 0xFF;
        d.sid = ((h[5] & 0x7F) << 24) | ((h[6] & 0xFF) << 16) | ((h[7] & 0xFF) << 8) | (h[8] & 0xFF);
        d.left = d.length;
        d.headLen = 0;
        d.inFrame = true;
        d.payloadLen = 0;
        d.payloadLost = false;
        d.keep = switch (d.type) {
            case HEADERS, PUSH_PROMISE, CONTINUATION -> Math.min(d.length, MAX_BLOCK + 1);
            case RST_STREAM -> 4;
            case GOAWAY -> 8;
            default -> 0;
        };
    }

    private static void append(Direction d, byte[] data, int from, int n) {
        if (n <= 0) {
            return;
        }
        if (d.payloadLen + n > d.payload.length) {
            d.payload = Arrays.copyOf(d.payload, Math.max(d.payloadLen + n, d.payload.length * 2));
        }
        System.arraycopy(data, from, d.payload, d.payloadLen, n);
        d.payloadLen += n;
    }

    /** The current frame of {@code d} is complete; false when that broke the connection. */
    private boolean endFrame(Direction d, long startNanos, long endNanos, Consumer<Stream> out) {
        d.inFrame = false;
        if (d.inBlock && d.type != CONTINUATION) {
            return breakWith(Break.PROTOCOL); // RFC 9113 6.10: nothing may come between the fragments
        }
        switch (d.type) {
            case DATA -> {
                Open s = streams.get(d.sid);
                if (s != null) {
                    if (d.fromClient) {
                        s.requestBytes += FRAME_HEADER + d.length;
                    } else {
                        s.responseBytes += FRAME_HEADER + d.length;
                        if ((d.flags & FLAG_END_STREAM) != 0) {
                            finish(s, endNanos, true, -1, out);
                        }
                    }
                }
            }
            case HEADERS, PUSH_PROMISE -> {
                if (d.length > MAX_BLOCK) {
                    return breakWith(Break.TOO_LARGE);
                }
                if (d.payloadLost) {
                    return breakWith(Break.HEADERS_LOST);
                }
                int from = 0;
                int to = d.payloadLen;
                if ((d.flags & FLAG_PADDED) != 0) {
                    if (to == 0) {
                        return breakWith(Break.PROTOCOL);
                    }
                    to -= d.payload[from++] & 0xFF;
                }
                if (d.type == HEADERS && (d.flags & FLAG_PRIORITY) != 0) {
                    from += 5;
                }
                if (d.type == PUSH_PROMISE) {
                    from += 4;
                }
                if (from > to || d.sid == 0) {
                    return breakWith(Break.PROTOCOL);
                }
                if (to - from > MAX_BLOCK) {
                    return breakWith(Break.TOO_LARGE);
                }
                d.blockType = d.type;
                d.blockStream = d.sid;
                d.blockEndStream = (d.flags & FLAG_END_STREAM) != 0;
                d.blockStart = startNanos;
                d.blockBytes = FRAME_HEADER + d.length;
                d.blockLen = 0;
                appendBlock(d, d.payload, from, to - from);
                d.inBlock = true;
                if ((d.flags & FLAG_END_HEADERS) != 0) {
                    return headerBlock(d, endNanos, out);
                }
            }
            case CONTINUATION -> {
                if (!d.inBlock || d.sid != d.blockStream) {
                    return breakWith(Break.PROTOCOL);
                }
                if (d.blockLen + d.length > MAX_BLOCK) {
                    return breakWith(Break.TOO_LARGE);
                }
                if (d.payloadLost) {
                    return breakWith(Break.HEADERS_LOST);
                }
                appendBlock(d, d.payload, 0, d.payloadLen);
                d.blockBytes += FRAME_HEADER + d.length;
                if ((d.flags & FLAG_END_HEADERS) != 0) {
                    return headerBlock(d, endNanos, out);
                }
            }
            case RST_STREAM -> {
                Open s = streams.get(d.sid);
                if (s != null) {
                    // an unreadable code counts as NO_ERROR (gRPC: INTERNAL)
                    int code = d.payloadLen == 4 && !d.payloadLost ? u31(d.payload, 0) : 0;
                    finish(s, endNanos, false, code, out);
                }
            }
            case GOAWAY -> {
                // From the server: streams above the last one it processed never will be.
                if (!d.fromClient && d.payloadLen == 8 && !d.payloadLost) {
                    int last = u31(d.payload, 0);
                    List<Open> refused = new ArrayList<>();
                    for (Open s : streams.values()) {
                        if (s.id > last) {
                            refused.add(s);
                        }
                    }
                    refused.sort((a, b) -> Integer.compare(a.id, b.id));
                    for (Open s : refused) {
                        finish(s, endNanos, false, REFUSED_STREAM, out);
                    }
                }
            }
            default -> {
                // SETTINGS, PING, WINDOW_UPDATE, PRIORITY, extensions: nothing a stream's report needs
            }
        }
        return true;
    }

    private static void appendBlock(Direction d, byte[] from, int at, int n) {
        if (d.blockLen + n > d.block.length) {
            d.block = Arrays.copyOf(d.block, Math.max(d.blockLen + n, d.block.length * 2));
        }
        System.arraycopy(from, at, d.block, d.blockLen, n);
        d.blockLen += n;
    }

    /** A complete header block of {@code d}: decoded (always, to keep the table) and applied. */
    private boolean headerBlock(Direction d, long endNanos, Consumer<Stream> out) {
        d.inBlock = false;
        byte[][] fields = new byte[Hpack.NAMES.length][];
        if (!d.hpack.decodeBlock(d.block, 0, d.blockLen, fields)) {
            return breakWith(Break.BAD_HEADER_BLOCK);
        }
        if (d.block.length > 4096) {
            d.block = new byte[64]; // a rare large block does not stay allocated
        }
        if (d.blockType == PUSH_PROMISE) {
            return true; // server push: the table is updated, the pushed stream is not a request
        }
        int sid = d.blockStream;
        Open s = streams.get(sid);
        if (d.fromClient) {
            if (s == null) {
                if ((sid & 1) == 0) {
                    return true;
                }
                if (streams.size() >= MAX_STREAMS) {
                    stats.streamLimit();
                    return true;
                }
                s = new Open(sid, d.blockStart, fields);
                streams.put(sid, s);
            }
            s.requestBytes += d.blockBytes; // the request's headers, or its trailers
            return true;
        }
        if (s == null) {
            return true; // a stream that started before the connection was followed, or a push
        }
        s.responseBytes += d.blockBytes;
        byte[] status = fields[Hpack.STATUS];
        boolean interim = status != null && status.length == 3 && status[0] == '1' && !d.blockEndStream;
        if (!interim) {
            if (s.response == null) {
                s.response = fields;
            } else {
                for (int i = 0; i < fields.length; i++) {
                    if (s.response[i] == null) {
                        s.response[i] = fields[i];
                    }
                }
            }
        }
        if (d.blockEndStream) {
            finish(s, endNanos, true, -1, out);
        }
        return true;
    }

    /**
     * Reports a stream and forgets it. {@code resetCode} is the RST_STREAM error code of a reset
     * (or REFUSED_STREAM for a GOAWAY), -1 for an end of the response or the close.
     */
    private void finish(Open s, long endNanos, boolean answered, int resetCode, Consumer<Stream> out) {
        streams.remove(s.id);
        boolean reset = resetCode >= 0;
        byte[][] response = s.response != null ? s.response : new byte[Hpack.NAMES.length][];
        Exchange x = Http2Decoder.exchange(s.request, response, false);
        boolean statusSeen = x.status() != null && (x.protocol() != Protocol.GRPC || response[Hpack.GRPC_STATUS] != null);
        if (reset) {
            if (x.protocol() == Protocol.GRPC && response[Hpack.GRPC_STATUS] == null) {
                int code = grpcCodeOfReset(resetCode);
                x = new Exchange(x.protocol(), x.method(), x.resource(), x.serverName(),
                        "grpc:" + Http2Decoder.GRPC_CODES[code], code, true, x.traceparent(), null, null);
            } else {
                x = new Exchange(x.protocol(), x.method(), x.resource(), x.serverName(),
                        statusSeen ? x.status() : RESET, statusSeen ? x.statusCode() : null, true, x.traceparent(),
                        null, null);
            }
            answered = true;
        }
        stats.stream(reset, answered);
        out.accept(new Stream(s.id, x, s.startNanos, endNanos, s.requestBytes, s.responseBytes, answered, reset));
    }

    /** gRPC's "Errors" mapping of HTTP/2 RST_STREAM codes to status codes. */
    private static int grpcCodeOfReset(int code) {
        return switch (code) {
            case REFUSED_STREAM -> 14; // UNAVAILABLE
            case CANCEL -> 1; // CANCELLED
            case ENHANCE_YOUR_CALM -> 8; // RESOURCE_EXHAUSTED
            case INADEQUATE_SECURITY -> 7; // PERMISSION_DENIED
            default -> 13; // INTERNAL
        };
    }

    /** Stops following the connection; always false (for {@code return breakWith(...)}). */
    private boolean breakWith(Break why) {
        broken = true;
        stats.broken(why, streams.size());
        streams.clear();
        fromClient.hpack = null;
        fromServer.hpack = null;
        fromClient.payload = fromServer.payload = fromClient.block = fromServer.block = null;
        return false;
    }

    private static int u31(byte[] b, int at) {
        return ((b[at] & 0x7F) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
