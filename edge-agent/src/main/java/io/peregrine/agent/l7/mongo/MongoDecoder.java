package io.peregrine.agent.l7.mongo;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.schema.Protocol;
import java.nio.charset.StandardCharsets;

/**
 * MongoDB wire protocol (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/):
 * OP_MSG (every driver since MongoDB 3.6), the legacy OP_QUERY (old drivers, and the first
 * {@code isMaster} of a connection), OP_REPLY, and OP_COMPRESSED (recognised only: the payload is
 * compressed, so method and resource stay unknown).
 *
 * <p>Method: the command name, the first key of the command document ({@code find},
 * {@code insert}, {@code hello}, ...). Resource: {@code <db>.<collection>} from the command's
 * string value (or {@code collection} for {@code getMore}) and the {@code $db} field; just
 * {@code <db>} for database commands ({@code ping}, {@code hello}); just the collection when
 * {@code $db} lies beyond the captured prefix.
 *
 * <p>Status: the reply's {@code ok} field: 1 gives {@code ok}; 0 gives {@code error} with
 * statusCode = the reply's {@code code}. A reply with {@code writeErrors} (e.g. a duplicate key on
 * insert, which still says ok: 1) is an error too, with the first write error's code. A reply
 * whose {@code ok} lies beyond the captured prefix (a long first batch, {@code ok} comes last) is
 * taken as {@code ok}: error replies are short and fit the capture.
 */
public final class MongoDecoder implements ProtocolDecoder {

    static final int OP_REPLY = 1;
    static final int OP_QUERY = 2004;
    static final int OP_COMPRESSED = 2012;
    static final int OP_MSG = 2013;
    private static final int HEADER = 16;
    /** maxMessageSizeBytes of every MongoDB server. */
    private static final int MAX_MESSAGE = 48_000_000;
    private static final int MAX_NAME = 64;

    @Override
    public Protocol protocol() {
        return Protocol.MONGO;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        if (request.length < HEADER + 5) {
            return false;
        }
        int length = int32(request, 0);
        int opCode = int32(request, 12);
        if (length < HEADER + 5 || length > MAX_MESSAGE || int32(request, 8) != 0) {
            return false; // a request answers nothing: responseTo is 0
        }
        return switch (opCode) {
            case OP_MSG -> (int32(request, 16) & ~0x10003) == 0 && (request[20] == 0 || request[20] == 1);
            case OP_QUERY -> (int32(request, 16) & ~0xfe) == 0 && request[20] != 0;
            case OP_COMPRESSED -> true;
            default -> false;
        };
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        if (!recognizes(request, 0)) {
            return null;
        }
        int requestId = int32(request, 4);
        int end = Math.min(request.length, int32(request, 0));
        Command command;
        switch (int32(request, 12)) {
            case OP_MSG:
                command = opMsgCommand(request, end);
                break;
            case OP_QUERY:
                command = opQueryCommand(request, end);
                break;
            default:
                return Exchange.requestOnly(Protocol.MONGO, null, null); // OP_COMPRESSED
        }
        if (command == null) {
            return null;
        }
        String resource = command.db == null ? command.collection
                : command.collection == null ? command.db : command.db + "." + command.collection;
        return withReply(command.name, resource, requestId, response);
    }

    private record Command(String name, String collection, String db) {}

    /** The command in the body section (kind 0) of an OP_MSG in r[0, end). */
    private static Command opMsgCommand(byte[] r, int end) {
        int at = HEADER + 4;
        while (at < end) {
            int kind = r[at];
            if (kind == 0) {
                return command(r, at + 1, end);
            }
            if (kind != 1 || at + 5 > end) {
                return null;
            }
            int size = int32(r, at + 1); // a document sequence: size, identifier, documents
            if (size < 5 || size > end - at - 1) {
                return null; // the body comes after a sequence the capture cut
            }
            at += 1 + size;
        }
        return null;
    }

    /** Legacy OP_QUERY: a command to {@code <db>.$cmd}, else a query of that collection ({@code find}). */
    private static Command opQueryCommand(byte[] r, int end) {
        int nameFrom = HEADER + 4;
        int nameEnd = cstringEnd(r, nameFrom, end);
        if (nameEnd < 0 || nameEnd == nameFrom || nameEnd - nameFrom > 2 * MAX_NAME) {
            return null;
        }
        String full = new String(r, nameFrom, nameEnd - nameFrom, StandardCharsets.UTF_8);
        int dot = full.indexOf('.');
        if (dot <= 0) {
            return null;
        }
        String db = full.substring(0, dot);
        String collection = full.substring(dot + 1);
        int doc = nameEnd + 1 + 8; // numberToSkip, numberToReturn
        if (!collection.equals("$cmd")) {
            return new Command("find", collection, db);
        }
        Command c = command(r, doc, end);
        if (c != null && c.name.equals("$query")) { // {$query: {<command>}, $readPreference: ...}
            int v = firstValue(r, doc, end);
            c = v < 0 ? null : command(r, v, end);
        }
        return c == null ? null : new Command(c.name, c.collection, db);
    }

    /** Offset of the first element's value when it is an embedded document, else -1. */
    private static int firstValue(byte[] r, int doc, int end) {
        if (doc + 5 > end || r[doc + 4] != 3) {
            return -1;
        }
        int nameEnd = cstringEnd(r, doc + 5, end);
        return nameEnd < 0 ? -1 : nameEnd + 1;
    }

    /** Command name, collection and $db of the command document at {@code doc}. */
    private static Command command(byte[] r, int doc, int limit) {
        if (doc + 5 > limit) {
            return null;
        }
        int size = int32(r, doc);
        if (size < 5) {
            return null;
        }
        int end = (int) Math.min((long) doc + size, limit);
        int at = doc + 4;
        String name = null;
        String collection = null;
        String db = null;
        boolean getMore = false;
        while (at < end && r[at] != 0) {
            int type = r[at] & 0xff;
            int nameEnd = cstringEnd(r, at + 1, end);
            if (nameEnd < 0) {
                break;
            }
            int v = nameEnd + 1;
            if (name == null) {
                if (nameEnd - (at + 1) > MAX_NAME || nameEnd == at + 1) {
                    return null;
                }
                name = new String(r, at + 1, nameEnd - (at + 1), StandardCharsets.UTF_8);
                getMore = name.equals("getMore");
                if (type == 2 && !getMore) {
                    collection = bsonString(r, v, end);
                }
            } else if (type == 2 && isKey(r, at + 1, nameEnd, "$db")) {
                db = bsonString(r, v, end);
            } else if (type == 2 && getMore && isKey(r, at + 1, nameEnd, "collection")) {
                collection = bsonString(r, v, end);
            }
            at = skipValue(r, type, v, end);
            if (at < 0) {
                break; // cut by the capture, or a type we do not know
            }
        }
        return name == null ? null : new Command(name, collection, db);
    }

    private static Exchange withReply(String method, String resource, int requestId, byte[] p) {
        if (p.length < HEADER + 5 || int32(p, 8) != requestId) {
            return Exchange.requestOnly(Protocol.MONGO, method, resource);
        }
        int length = int32(p, 0);
        if (length < HEADER + 5 || length > MAX_MESSAGE) {
            return Exchange.requestOnly(Protocol.MONGO, method, resource);
        }
        int end = Math.min(length, p.length);
        int doc;
        switch (int32(p, 12)) {
            case OP_MSG:
                if (p[HEADER + 4] != 0) {
                    return Exchange.requestOnly(Protocol.MONGO, method, resource);
                }
                doc = HEADER + 5;
                break;
            case OP_REPLY:
                doc = HEADER + 20; // responseFlags, cursorID, startingFrom, numberReturned
                break;
            default:
                return Exchange.requestOnly(Protocol.MONGO, method, resource);
        }
        return replyStatus(method, resource, p, doc, end);
    }

    /** Reads ok, code and writeErrors from the reply document. */
    private static Exchange replyStatus(String method, String resource, byte[] p, int doc, int limit) {
        if (doc + 5 > limit || int32(p, doc) < 5) {
            return Exchange.requestOnly(Protocol.MONGO, method, resource);
        }
        int end = (int) Math.min((long) doc + int32(p, doc), limit);
        int at = doc + 4;
        Boolean ok = null;
        Integer code = null;
        Integer writeErrorCode = null;
        boolean writeErrors = false;
        while (at < end && p[at] != 0) {
            int type = p[at] & 0xff;
            int nameEnd = cstringEnd(p, at + 1, end);
            if (nameEnd < 0) {
                break;
            }
            int v = nameEnd + 1;
            if (isKey(p, at + 1, nameEnd, "ok")) {
                Double d = bsonNumber(p, type, v, end);
                if (d != null) {
                    ok = d != 0;
                }
            } else if (isKey(p, at + 1, nameEnd, "code")) {
                Double d = bsonNumber(p, type, v, end);
                if (d != null) {
                    code = d.intValue();
                }
            } else if (type == 4 && isKey(p, at + 1, nameEnd, "writeErrors")) {
                writeErrors = true;
                writeErrorCode = firstWriteErrorCode(p, v, end);
            }
            at = skipValue(p, type, v, end);
            if (at < 0) {
                break;
            }
        }
        if (ok == Boolean.FALSE) {
            return new Exchange(Protocol.MONGO, method, resource, null, "error", code, true, null, null, null);
        }
        if (writeErrors) {
            return new Exchange(Protocol.MONGO, method, resource, null, "error", writeErrorCode, true, null, null, null);
        }
        return new Exchange(Protocol.MONGO, method, resource, null, "ok", null, false, null, null, null);
    }

    /** The code of the first document of the writeErrors array at {@code array}. */
    private static Integer firstWriteErrorCode(byte[] p, int array, int limit) {
        if (array + 5 > limit || p[array + 4] != 3) {
            return null;
        }
        int nameEnd = cstringEnd(p, array + 5, limit);
        if (nameEnd < 0) {
            return null;
        }
        int doc = nameEnd + 1;
        if (doc + 4 > limit) {
            return null;
        }
        int end = (int) Math.min((long) doc + Math.max(int32(p, doc), 0), limit);
        int at = doc + 4;
        while (at < end && p[at] != 0) {
            int type = p[at] & 0xff;
            int e = cstringEnd(p, at + 1, end);
            if (e < 0) {
                return null;
            }
            if (isKey(p, at + 1, e, "code")) {
                Double d = bsonNumber(p, type, e + 1, end);
                return d == null ? null : d.intValue();
            }
            at = skipValue(p, type, e + 1, end);
            if (at < 0) {
                return null;
            }
        }
        return null;
    }

    /** Index after a value of BSON type {@code type} at {@code v}; -1 when unknown or past {@code end}. */
    static int skipValue(byte[] b, int type, int v, int end) {
        long next;
        switch (type) {
            case 0x01, 0x09, 0x11, 0x12 -> next = v + 8L; // double, datetime, timestamp, int64
            case 0x10 -> next = v + 4L; // int32
            case 0x13 -> next = v + 16L; // decimal128
            case 0x07 -> next = v + 12L; // ObjectId
            case 0x08 -> next = v + 1L; // boolean
            case 0x06, 0x0a, 0x7f, 0xff -> next = v; // undefined, null, max key, min key
            case 0x02, 0x0d, 0x0e -> { // string, JavaScript, symbol: int32 length (with the NUL), bytes
                if (v + 4 > end) {
                    return -1;
                }
                int len = int32(b, v);
                next = len < 1 ? -1 : v + 4L + len;
            }
            case 0x03, 0x04, 0x0f -> { // document, array, code with scope: int32 total size
                if (v + 4 > end) {
                    return -1;
                }
                int len = int32(b, v);
                next = len < 5 ? -1 : v + (long) len;
            }
            case 0x05 -> { // binary: int32 length, subtype, bytes
                if (v + 4 > end) {
                    return -1;
                }
                int len = int32(b, v);
                next = len < 0 ? -1 : v + 5L + len;
            }
            case 0x0b -> { // regex: two C strings
                int e = cstringEnd(b, v, end);
                e = e < 0 ? -1 : cstringEnd(b, e + 1, end);
                next = e < 0 ? -1 : e + 1L;
            }
            case 0x0c -> { // DBPointer: string, 12-byte id
                if (v + 4 > end) {
                    return -1;
                }
                int len = int32(b, v);
                next = len < 1 ? -1 : v + 4L + len + 12;
            }
            default -> next = -1;
        }
        return next < 0 || next > end ? -1 : (int) next;
    }

    private static String bsonString(byte[] b, int v, int end) {
        if (v + 4 > end) {
            return null;
        }
        int len = int32(b, v);
        if (len < 2 || len - 1 > MAX_NAME || (long) v + 4 + len > end || b[v + 4 + len - 1] != 0) {
            return null;
        }
        return new String(b, v + 4, len - 1, StandardCharsets.UTF_8);
    }

    private static Double bsonNumber(byte[] b, int type, int v, int end) {
        switch (type) {
            case 0x01:
                return v + 8 <= end ? Double.longBitsToDouble(int64(b, v)) : null;
            case 0x10:
                return v + 4 <= end ? (double) int32(b, v) : null;
            case 0x12:
                return v + 8 <= end ? (double) int64(b, v) : null;
            case 0x08:
                return v + 1 <= end ? (b[v] != 0 ? 1.0 : 0.0) : null;
            default:
                return null;
        }
    }

    private static boolean isKey(byte[] b, int from, int to, String key) {
        if (to - from != key.length()) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            if (b[from + i] != key.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int cstringEnd(byte[] b, int from, int to) {
        for (int i = Math.max(from, 0); i < to; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    private static long int64(byte[] b, int at) {
        return (int32(b, at) & 0xffffffffL) | ((long) int32(b, at + 4)) << 32;
    }
}
