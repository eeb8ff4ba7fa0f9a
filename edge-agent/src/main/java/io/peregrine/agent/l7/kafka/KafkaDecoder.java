package io.peregrine.agent.l7.kafka;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.schema.KafkaDetails;
import io.peregrine.schema.Protocol;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

/**
 * The Kafka wire protocol: the request header (API key, whose name is the method, API version,
 * correlation id, client id; the tagged fields of flexible versions), a response paired only when
 * its correlation id is the request's, and the error code of the response where the API has one at
 * a place readable from the first bytes: ApiVersions, Metadata (first topic), Produce (first
 * partition), Fetch (top level, v7+), FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * OffsetCommit (first partition), OffsetFetch (top level or first group, v2+), InitProducerId.
 *
 * <p>Status is {@code ok} for error code 0 and the error's name otherwise
 * ({@code NOT_COORDINATOR}), with the code as status code. A paired response of another API, or one
 * whose error code lies past the captured bytes, is {@code ok} without a status code: the broker
 * answered, and what failed is per partition.
 *
 * <p>Versions and header layouts come from kafka-clients' {@link ApiKeys}, so every API the client
 * library knows is recognised, at versions up to its latest.
 */
public final class KafkaDecoder implements ProtocolDecoder {

    /** Kafka's default {@code socket.request.max.bytes}: 100 MiB. */
    private static final int MAX_SIZE = 100 * 1024 * 1024;
    private static final int MAX_CLIENT_ID = 512;
    private static final int NO_CODE = Integer.MIN_VALUE;
    private static final String[] ERROR_NAMES = errorNames();

    @Override
    public Protocol protocol() {
        return Protocol.KAFKA;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        return headerEnd(request) > 0;
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        int headerEnd = headerEnd(request);
        if (headerEnd < 0) {
            return null;
        }
        ApiKeys api = ApiKeys.forId(i16(request, 4));
        short version = (short) i16(request, 6);
        int correlationId = i32(request, 8);
        String clientId = null;
        if (api.requestHeaderVersion(version) >= 1) {
            int n = i16(request, 12);
            if (n > 0) {
                clientId = ascii(request, 14, 14 + n);
            }
        }
        KafkaDetails details = new KafkaDetails((int) api.id, (int) version, clientId);
        if (response.length < 8 || i32(response, 4) != correlationId) {
            return new Exchange(Protocol.KAFKA, api.name, null, null, null, null, false, null, null, details);
        }
        Cursor c = new Cursor(response, 8, false);
        if (api.responseHeaderVersion(version) >= 1) {
            c.flexible = true;
            c.skipTaggedFields();
        }
        c.flexible = api.requestHeaderVersion(version) >= 2;
        int code = c.bad ? NO_CODE : errorCode(api, version, c);
        if (code == NO_CODE) {
            return new Exchange(Protocol.KAFKA, api.name, null, null, "ok", null, false, null, null, details);
        }
        return new Exchange(Protocol.KAFKA, api.name, null, null, errorName(code), code, code != 0, null, null,
                details);
    }

    /**
     * Offset after the request header when {@code r} starts with one of a known API at a version up
     * to the latest kafka-clients knows, a sane size and a printable client id; else -1.
     */
    private static int headerEnd(byte[] r) {
        if (r.length < 12) {
            return -1;
        }
        int size = i32(r, 0);
        int key = i16(r, 4);
        int version = i16(r, 6);
        if (size < 8 || size > MAX_SIZE || key < 0 || !ApiKeys.hasId(key) || i32(r, 8) < 0) {
            return -1;
        }
        ApiKeys api = ApiKeys.forId(key);
        if (version < 0 || version > api.latestVersion(true)) {
            return -1;
        }
        int headerVersion = api.requestHeaderVersion((short) version);
        if (headerVersion == 0) {
            return 12;
        }
        if (r.length < 14 || size < 10) {
            return -1;
        }
        int n = i16(r, 12);
        if (n < -1 || n > MAX_CLIENT_ID || 14 + Math.max(n, 0) > Math.min(r.length, size + 4)) {
            return -1;
        }
        for (int i = 14; i < 14 + n; i++) {
            if (r[i] < 0x20 || r[i] > 0x7e) {
                return -1;
            }
        }
        int end = 14 + Math.max(n, 0);
        if (headerVersion >= 2 && end < r.length) {
            Cursor c = new Cursor(r, end, true);
            c.skipTaggedFields();
            return c.bad ? -1 : c.pos;
        }
        return end;
    }

    /** The error code of the response body at {@code c}, or {@link #NO_CODE}. */
    private static int errorCode(ApiKeys api, short v, Cursor c) {
        switch (api) {
            case API_VERSIONS:
                return c.int16();
            case METADATA: {
                c.skip(v >= 3 ? 4 : 0);
                int brokers = c.arrayLength();
                for (int i = 0; i < brokers && !c.bad; i++) {
                    c.skip(4);
                    c.skipString();
                    c.skip(4);
                    if (v >= 1) {
                        c.skipString();
                    }
                    c.skipTaggedFields();
                }
                if (v >= 2) {
                    c.skipString();
                }
                c.skip(v >= 1 ? 4 : 0);
                return c.arrayLength() > 0 ? c.int16() : NO_CODE;
            }
            case PRODUCE: {
                if (c.arrayLength() <= 0) {
                    return NO_CODE;
                }
                skipTopic(c, v >= 13);
                if (c.arrayLength() <= 0) {
                    return NO_CODE;
                }
                c.skip(4);
                return c.int16();
            }
            case FETCH:
                if (v < 7) {
                    return NO_CODE;
                }
                c.skip(4);
                return c.int16();
            case FIND_COORDINATOR:
                c.skip(v >= 1 ? 4 : 0);
                if (v < 4) {
                    return c.int16();
                }
                if (c.arrayLength() <= 0) {
                    return NO_CODE;
                }
                c.skipString();
                c.skip(4);
                c.skipString();
                c.skip(4);
                return c.int16();
            case JOIN_GROUP:
                c.skip(v >= 2 ? 4 : 0);
                return c.int16();
            case SYNC_GROUP:
            case HEARTBEAT:
                c.skip(v >= 1 ? 4 : 0);
                return c.int16();
            case INIT_PRODUCER_ID:
                c.skip(4);
                return c.int16();
            case OFFSET_COMMIT: {
                c.skip(v >= 3 ? 4 : 0);
                if (c.arrayLength() <= 0) {
                    return NO_CODE;
                }
                skipTopic(c, v >= 10);
                if (c.arrayLength() <= 0) {
                    return NO_CODE;
                }
                c.skip(4);
                return c.int16();
            }
            case OFFSET_FETCH: {
                c.skip(v >= 3 ? 4 : 0);
                if (v < 2) {
                    return NO_CODE;
                }
                if (v < 8) {
                    skipOffsetFetchTopics(c, v, false);
                    return c.int16();
                }
                if (c.arrayLength() <= 0) {
                    return NO_CODE;
                }
                c.skipString();
                skipOffsetFetchTopics(c, v, v >= 10);
                return c.int16();
            }
            default:
                return NO_CODE;
        }
    }

    private static void skipTopic(Cursor c, boolean topicId) {
        if (topicId) {
            c.skip(16);
        } else {
            c.skipString();
        }
    }

    private static void skipOffsetFetchTopics(Cursor c, short v, boolean topicId) {
        int topics = c.arrayLength();
        for (int t = 0; t < topics && !c.bad; t++) {
            skipTopic(c, topicId);
            int partitions = c.arrayLength();
            for (int p = 0; p < partitions && !c.bad; p++) {
                c.skip(4 + 8 + (v >= 5 ? 4 : 0));
                c.skipString();
                c.skip(2);
                c.skipTaggedFields();
            }
            c.skipTaggedFields();
        }
    }

    private static String errorName(int code) {
        if (code == 0) {
            return "ok";
        }
        int i = code + 1;
        return i >= 0 && i < ERROR_NAMES.length && ERROR_NAMES[i] != null ? ERROR_NAMES[i] : "ERROR_" + code;
    }

    private static String[] errorNames() {
        int max = 0;
        for (Errors e : Errors.values()) {
            max = Math.max(max, e.code());
        }
        String[] names = new String[max + 2];
        for (Errors e : Errors.values()) {
            if (e.code() >= -1) {
                names[e.code() + 1] = e.name();
            }
        }
        return names;
    }

    private static int i16(byte[] b, int at) {
        return (short) (((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF));
    }

    private static int i32(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    private static String ascii(byte[] b, int from, int to) {
        char[] chars = new char[to - from];
        for (int i = from; i < to; i++) {
            chars[i - from] = (char) b[i];
        }
        return new String(chars);
    }

    /**
     * Reads Kafka's primitive types from captured bytes; running past the end (or a negative
     * length) sets {@link #bad} and makes every further read return 0, so parsers need no checks
     * between reads.
     */
    private static final class Cursor {
        private final byte[] b;
        private int pos;
        private boolean flexible;
        private boolean bad;

        Cursor(byte[] b, int pos, boolean flexible) {
            this.b = b;
            this.pos = pos;
            this.flexible = flexible;
        }

        void skip(int n) {
            if (bad || n < 0 || pos + n > b.length) {
                bad = true;
                return;
            }
            pos += n;
        }

        int int16() {
            if (bad || pos + 2 > b.length) {
                bad = true;
                return NO_CODE;
            }
            pos += 2;
            return i16(b, pos - 2);
        }

        int int32() {
            if (bad || pos + 4 > b.length) {
                bad = true;
                return 0;
            }
            pos += 4;
            return i32(b, pos - 4);
        }

        int unsignedVarint() {
            int value = 0;
            for (int shift = 0; shift < 32; shift += 7) {
                if (bad || pos >= b.length) {
                    bad = true;
                    return 0;
                }
                int x = b[pos++];
                value |= (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return value;
                }
            }
            bad = true;
            return 0;
        }

        /** Number of elements; -1 for a null array. */
        int arrayLength() {
            int n = flexible ? unsignedVarint() - 1 : int32();
            if (n < -1 || n > b.length) {
                bad = true;
            }
            return bad ? -1 : n;
        }

        void skipString() {
            int n = flexible ? unsignedVarint() - 1 : (bad ? 0 : int16());
            if (n < -1) {
                bad = true;
            } else if (n > 0) {
                skip(n);
            }
        }

        void skipTaggedFields() {
            if (!flexible) {
                return;
            }
            int fields = unsignedVarint();
            for (int i = 0; i < fields && !bad; i++) {
                unsignedVarint();
                skip(unsignedVarint());
            }
        }
    }
}
