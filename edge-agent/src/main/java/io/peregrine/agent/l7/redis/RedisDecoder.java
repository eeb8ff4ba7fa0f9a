package io.peregrine.agent.l7.redis;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.PreparedStatements;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.schema.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Redis serialization protocol, RESP2 and RESP3 (https://redis.io/docs/latest/develop/reference/protocol-spec/).
 *
 * <p>Requests: a RESP array of bulk strings ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}), as every
 * client library sends, or an inline command ({@code PING\r\n}, as typed into telnet). Method: the
 * command name in upper case. Resource: the command without keys or values; for the commands that
 * take a subcommand ({@code CLIENT SETNAME}, {@code CONFIG GET}, {@code XINFO STREAM}, ...) both
 * words, so that resource cardinality stays that of the command table.
 *
 * <p>Pipelines: the eBPF sensor pairs by direction change, so a pipeline written at once and
 * answered at once arrives as one exchange whose request holds several commands and whose response
 * holds several replies. {@link #decode} reports the first command and the first reply;
 * {@link #decodeTurn} one exchange per command whose start is in the captured request, the n-th
 * reply of the captured response answering the n-th command (a command whose reply is beyond the
 * capture is request-only).
 *
 * <p>Replies: an error ({@code -ERR ...}, {@code -WRONGTYPE ...}, RESP3 blob error {@code !})
 * gives status {@code error} and error = true; any other reply type gives {@code ok}.
 */
public final class RedisDecoder implements ProtocolDecoder {

    /** Longest command name taken for real (the longest in Redis 7 is 23 characters). */
    private static final int MAX_COMMAND = 32;
    private static final int REDIS_PORT = 6379;

    /** Commands whose first argument is a subcommand, reported as part of the resource. */
    private static final String[] CONTAINERS = {
        "ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "DEBUG", "FUNCTION", "LATENCY", "MEMORY",
        "MODULE", "OBJECT", "PUBSUB", "SCRIPT", "SLOWLOG", "XGROUP", "XINFO"
    };

    /**
     * Inline commands recognised without the Redis port: common Redis commands that are not also
     * Memcached text commands ({@code get}, {@code set}, {@code incr} ... are claimed by the
     * Memcached decoder unless the server port is Redis's).
     */
    private static final String[] INLINE = {
        "PING", "ECHO", "AUTH", "SELECT", "INFO", "HELLO", "EXISTS", "DEL", "EXPIRE", "TTL", "KEYS",
        "SCAN", "HGET", "HSET", "HGETALL", "LPUSH", "RPUSH", "LPOP", "RPOP", "LRANGE", "SADD", "SMEMBERS",
        "ZADD", "ZRANGE", "MGET", "MSET", "SETEX", "SETNX", "GETSET", "INCRBY", "DECRBY", "CLIENT", "CONFIG",
        "DBSIZE", "FLUSHDB", "FLUSHALL", "MULTI", "EXEC", "DISCARD", "WATCH", "PUBLISH", "SUBSCRIBE",
        "XADD", "XREAD", "EVAL", "EVALSHA", "TYPE", "MONITOR", "SAVE", "BGSAVE", "LASTSAVE", "TIME"
    };

    private static final String[] MEMCACHED_LIKE = {"GET", "SET", "INCR", "DECR", "APPEND", "TOUCH", "QUIT"};

    @Override
    public Protocol protocol() {
        return Protocol.REDIS;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        if (request.length < 4) {
            return false;
        }
        if (request[0] == '*') {
            // *<count>\r\n$<len>\r\n<name>
            int i = 1;
            int digits = 0;
            while (i < request.length && isDigit(request[i]) && digits < 7) {
                i++;
                digits++;
            }
            return digits > 0 && request[1] != '0' && i + 2 < request.length && request[i] == '\r'
                    && request[i + 1] == '\n' && request[i + 2] == '$';
        }
        int end = wordEnd(request, 0);
        if (end <= 0 || end >= request.length || (request[end] != ' ' && request[end] != '\r')) {
            return false;
        }
        if (request[request.length - 1] != '\n' && request.length < 256) {
            return false; // an inline command is a line
        }
        if (matches(request, end, INLINE)) {
            return true;
        }
        return serverPort == REDIS_PORT && matches(request, end, MEMCACHED_LIKE);
    }

    @Override
    public List<Exchange> decodeTurn(byte[] request, byte[] response, PreparedStatements statements) {
        int reqEnd = commandEnd(request, 0);
        if (reqEnd < 0 || reqEnd >= request.length) {
            // one command (or a cut one): the common case, without copies
            Exchange x = decode(request, response);
            return x == null ? List.of() : List.of(x);
        }
        List<Exchange> out = new ArrayList<>();
        int reqAt = 0;
        int respAt = 0;
        while (reqAt < request.length) {
            int end = commandEnd(request, reqAt);
            byte[] command = Arrays.copyOfRange(request, reqAt, end < 0 ? request.length : end);
            int replyEnd = respAt < response.length ? replyEnd(response, respAt, 0) : -1;
            byte[] reply = replyEnd < 0 ? Arrays.copyOfRange(response, respAt, response.length)
                    : Arrays.copyOfRange(response, respAt, replyEnd);
            Exchange x = decode(command, reply);
            if (x == null) {
                break; // not a command: what follows cannot be told apart
            }
            out.add(x);
            if (end < 0) {
                break; // the capture ends inside this command
            }
            reqAt = end;
            respAt = replyEnd < 0 ? response.length : replyEnd;
        }
        return out;
    }

    /**
     * Where the command starting at {@code at} ends (the next one starts): after its last bulk
     * string, or after the line of an inline command; -1 when it does not end within the capture
     * or is malformed.
     */
    static int commandEnd(byte[] b, int at) {
        if (at >= b.length) {
            return -1;
        }
        if (b[at] != '*') {
            for (int i = at; i < b.length; i++) {
                if (b[i] == '\n') {
                    return i + 1;
                }
            }
            return -1;
        }
        int[] pos = {at + 1};
        long count = readNumber(b, pos);
        if (count < 1 || count > 1_000_000) {
            return -1;
        }
        for (long i = 0; i < count; i++) {
            int p = pos[0];
            if (p >= b.length || b[p] != '$') {
                return -1;
            }
            pos[0] = p + 1;
            long len = readNumber(b, pos);
            long next = pos[0] + len + 2;
            if (len < 0 || next > b.length) {
                return -1;
            }
            pos[0] = (int) next;
        }
        return pos[0];
    }

    /** Deepest reply nesting followed (aggregates in aggregates). */
    private static final int MAX_DEPTH = 16;

    /** Where the RESP2/RESP3 reply starting at {@code at} ends; -1 when beyond the capture or malformed. */
    static int replyEnd(byte[] b, int at, int depth) {
        if (at >= b.length || depth > MAX_DEPTH) {
            return -1;
        }
        int[] pos = {at + 1};
        switch (b[at]) {
            case '+', '-', ':', '_', ',', '#', '(' -> {
                for (int i = at + 1; i + 1 < b.length; i++) {
                    if (b[i] == '\r' && b[i + 1] == '\n') {
                        return i + 2;
                    }
                }
                return -1;
            }
            case '$', '!', '=' -> {
                if (at + 2 < b.length && b[at + 1] == '-' && b[at + 2] == '1') { // $-1: null bulk string
                    return at + 5 <= b.length ? at + 5 : -1;
                }
                long len = readNumber(b, pos);
                long next = pos[0] + len + 2;
                return len < 0 || next > b.length ? -1 : (int) next;
            }
            case '*', '~', '>', '%', '|' -> {
                if (at + 2 < b.length && b[at + 1] == '-' && b[at + 2] == '1') { // *-1: null array
                    return at + 5 <= b.length ? at + 5 : -1;
                }
                long n = readNumber(b, pos);
                if (n < 0) {
                    return -1;
                }
                long elements = b[at] == '%' || b[at] == '|' ? 2 * n : n;
                int p = pos[0];
                for (long i = 0; i < elements; i++) {
                    p = replyEnd(b, p, depth + 1);
                    if (p < 0) {
                        return -1;
                    }
                }
                // an attribute (|) annotates the reply that follows it
                return b[at] == '|' ? replyEnd(b, p, depth + 1) : p;
            }
            default -> {
                return -1;
            }
        }
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        String command;
        String subcommand = null;
        if (request.length > 0 && request[0] == '*') {
            int[] pos = {1};
            long count = readNumber(request, pos);
            if (count < 1 || count > 1_000_000) {
                return null;
            }
            int[] name = bulkString(request, pos);
            if (name == null) {
                return null;
            }
            command = commandName(request, name[0], name[1]);
            if (command == null) {
                return null;
            }
            if (count >= 2 && isContainer(command)) {
                int[] sub = bulkString(request, pos);
                if (sub != null) {
                    subcommand = commandName(request, sub[0], sub[1]);
                }
            }
        } else {
            int end = wordEnd(request, 0);
            if (end <= 0 || end >= request.length || (request[end] != ' ' && request[end] != '\r')) {
                return null;
            }
            command = commandName(request, 0, end);
            if (command == null) {
                return null;
            }
            if (request[end] == ' ' && isContainer(command)) {
                int from = end + 1;
                while (from < request.length && request[from] == ' ') {
                    from++;
                }
                int subEnd = wordEnd(request, from);
                if (subEnd > from) {
                    subcommand = commandName(request, from, subEnd);
                }
            }
        }
        String resource = subcommand == null ? command : command + " " + subcommand;
        if (response.length == 0) {
            return Exchange.requestOnly(Protocol.REDIS, command, resource);
        }
        return switch (response[0]) {
            case '-', '!' -> new Exchange(Protocol.REDIS, command, resource, null, "error", null, true, null, null, null);
            case '+', ':', '$', '*', '_', ',', '#', '%', '~', '=', '(', '|', '>' ->
                new Exchange(Protocol.REDIS, command, resource, null, "ok", null, false, null, null, null);
            default -> Exchange.requestOnly(Protocol.REDIS, command, resource);
        };
    }

    private static boolean isContainer(String command) {
        for (String c : CONTAINERS) {
            if (c.equals(command)) {
                return true;
            }
        }
        return false;
    }

    /** Reads digits at pos[0] up to CRLF; -1 when malformed. Advances pos past the CRLF. */
    private static long readNumber(byte[] b, int[] pos) {
        int i = pos[0];
        long n = 0;
        int digits = 0;
        while (i < b.length && isDigit(b[i]) && digits < 10) {
            n = n * 10 + (b[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || i + 1 >= b.length || b[i] != '\r' || b[i + 1] != '\n') {
            return -1;
        }
        pos[0] = i + 2;
        return n;
    }

    /** The [from, to) of the bulk string at pos[0] ({@code $len\r\n...}), within the capture; null if malformed. */
    private static int[] bulkString(byte[] b, int[] pos) {
        int i = pos[0];
        if (i >= b.length || b[i] != '$') {
            return null;
        }
        pos[0] = i + 1;
        long len = readNumber(b, pos);
        if (len < 0) {
            return null;
        }
        int from = pos[0];
        long to = from + len;
        if (to > b.length) {
            return new int[] {from, b.length}; // cut by the capture
        }
        pos[0] = (int) Math.min(to + 2, b.length);
        return new int[] {from, (int) to};
    }

    /** The command word in upper case; null when it is empty, too long, or not letters/digits/-/_/|. */
    private static String commandName(byte[] b, int from, int to) {
        int len = to - from;
        if (len <= 0 || len > MAX_COMMAND) {
            return null;
        }
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            int x = b[from + i] & 0xff;
            if (x >= 'a' && x <= 'z') {
                x -= 32;
            } else if (!((x >= 'A' && x <= 'Z') || (x >= '0' && x <= '9') || x == '-' || x == '_' || x == '|'
                    || x == '.')) {
                return null;
            }
            c[i] = (char) x;
        }
        return internOrNew(c);
    }

    private static final String[] INTERNED = {
        "GET", "SET", "DEL", "INCR", "DECR", "EXISTS", "EXPIRE", "TTL", "HGET", "HSET", "HGETALL", "HMGET",
        "LPUSH", "RPUSH", "LPOP", "RPOP", "LRANGE", "SADD", "SREM", "SMEMBERS", "ZADD", "ZRANGE", "ZSCORE",
        "MGET", "MSET", "PING", "AUTH", "SELECT", "INFO", "HELLO", "CLIENT", "CONFIG", "SETNAME", "SETINFO",
        "EVALSHA", "EVAL", "PUBLISH", "SUBSCRIBE", "MULTI", "EXEC", "SCAN", "KEYS", "XADD", "XREAD", "INCRBY"
    };

    private static String internOrNew(char[] c) {
        for (String s : INTERNED) {
            if (s.length() == c.length) {
                boolean same = true;
                for (int i = 0; i < c.length && same; i++) {
                    same = s.charAt(i) == c[i];
                }
                if (same) {
                    return s;
                }
            }
        }
        return new String(c);
    }

    /** request[0, end) (letters only) equals one of {@code words}, ignoring case. */
    private static boolean matches(byte[] b, int end, String[] words) {
        outer:
        for (String w : words) {
            if (w.length() != end) {
                continue;
            }
            for (int i = 0; i < end; i++) {
                if ((b[i] & 0xdf) != w.charAt(i)) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** End of the run of letters starting at {@code from} (the inline command word). */
    private static int wordEnd(byte[] b, int from) {
        int i = from;
        while (i < b.length && i - from <= MAX_COMMAND && isLetter(b[i])) {
            i++;
        }
        return i;
    }

    private static boolean isLetter(byte x) {
        return (x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z');
    }

    private static boolean isDigit(byte x) {
        return x >= '0' && x <= '9';
    }
}
