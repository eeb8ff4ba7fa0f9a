package io.peregrine.agent.l7.memcached;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.schema.Protocol;

/**
 * Memcached, text protocol (https://github.com/memcached/memcached/blob/master/doc/protocol.txt,
 * classic and meta commands) and binary protocol (24-byte headers, magic 0x80/0x81).
 *
 * <p>Method and resource: the command as the text protocol spells it ({@code get}, {@code set},
 * {@code mg}, ...; binary opcodes map to the same names, quiet variants with a {@code q}), without
 * keys. Pipelined {@code get}s and quiet binary batches are one exchange to the eBPF sensor: this
 * decoder reports the first command; in binary the response is matched to it by the opaque field,
 * and a quiet command without a response to it succeeded (that is what quiet means).
 *
 * <p>Status: {@code ok} or {@code error}. Text: {@code ERROR}, {@code CLIENT_ERROR ...},
 * {@code SERVER_ERROR ...} are errors; hits, misses ({@code END}, {@code NOT_FOUND}, {@code EN}),
 * {@code NOT_STORED} and {@code EXISTS} are answers, not errors. Binary: statusCode is the
 * response status; 0, 1 (key not found), 2 (key exists) and 5 (not stored) are not errors.
 * A storage command with {@code noreply} and {@code quit} have no response by design: {@code ok}.
 */
public final class MemcachedDecoder implements ProtocolDecoder {

    private static final int REQUEST_MAGIC = 0x80;
    private static final int RESPONSE_MAGIC = 0x81;
    private static final int HEADER = 24;
    /** Largest body taken for real: memcached's item size limit is 1 MiB by default, at most 1 GiB. */
    private static final long MAX_BODY = 1L << 30;

    private static final String[] TEXT_COMMANDS = {
        "get", "gets", "gat", "gats", "set", "add", "replace", "append", "prepend", "cas", "delete", "incr",
        "decr", "touch", "stats", "version", "flush_all", "verbosity", "quit", "mg", "ms", "md", "ma", "mn",
        "me", "shutdown", "cache_memlimit", "lru_crawler", "slabs", "watch", "misbehave"
    };

    /** Starts of the text replies that answer a command (hits, misses, stored, meta flags ...). */
    private static final String[] ANSWERS = {"VALUE ", "END\r\n", "STORED\r\n", "NOT_STORED\r\n", "EXISTS\r\n",
        "NOT_FOUND\r\n", "DELETED\r\n", "TOUCHED\r\n", "OK\r\n", "STAT ", "VERSION ", "RESET\r\n", "HD", "VA ",
        "EN\r\n", "NF", "NS", "EX", "MN\r\n", "ME "};

    private static final String[] OPCODES = new String[0x25];

    static {
        String[] names = {
            "get", "set", "add", "replace", "delete", "incr", "decr", "quit", "flush_all", "getq", "noop",
            "version", "getk", "getkq", "append", "prepend", "stat", "setq", "addq", "replaceq", "deleteq",
            "incrq", "decrq", "quitq", "flush_allq", "appendq", "prependq", "verbosity", "touch", "gat", "gatq"
        };
        System.arraycopy(names, 0, OPCODES, 0, names.length);
        OPCODES[0x20] = "sasl_list_mechs";
        OPCODES[0x21] = "sasl_auth";
        OPCODES[0x22] = "sasl_step";
        OPCODES[0x23] = "gatk";
        OPCODES[0x24] = "gatkq";
    }

    @Override
    public Protocol protocol() {
        return Protocol.MEMCACHED;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        if (request.length >= HEADER && (request[0] & 0xff) == REQUEST_MAGIC) {
            return binaryHeaderValid(request, 0);
        }
        int end = wordEnd(request);
        if (end <= 0 || end >= request.length || (request[end] != ' ' && request[end] != '\r' && request[end] != '\n')) {
            return false;
        }
        String command = textCommand(request, end);
        return command != null && (!isStorage(command) || storageLine(request, end));
    }

    private static boolean isStorage(String command) {
        return switch (command) {
            case "set", "add", "replace", "append", "prepend", "cas" -> true;
            default -> false;
        };
    }

    /** {@code <command> <key> <flags> <exptime> <bytes> ...}: three numbers after the key (not Redis's {@code set k v}). */
    private static boolean storageLine(byte[] r, int end) {
        int i = end;
        int tokens = 0;
        while (i < r.length && r[i] != '\r' && r[i] != '\n' && tokens <= 4) {
            while (i < r.length && r[i] == ' ') {
                i++;
            }
            int from = i;
            boolean digits = true;
            while (i < r.length && r[i] != ' ' && r[i] != '\r' && r[i] != '\n') {
                digits &= (r[i] >= '0' && r[i] <= '9') || (r[i] == '-' && i == from);
                i++;
            }
            if (i == from) {
                break;
            }
            tokens++;
            if (tokens >= 2 && tokens <= 4 && !digits) {
                return false;
            }
        }
        return tokens >= 4;
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        if (request.length >= HEADER && (request[0] & 0xff) == REQUEST_MAGIC) {
            return decodeBinary(request, response);
        }
        int end = wordEnd(request);
        if (end <= 0 || end >= request.length || (request[end] != ' ' && request[end] != '\r' && request[end] != '\n')) {
            return null;
        }
        String command = textCommand(request, end);
        if (command == null) {
            return null;
        }
        if (response.length == 0 && (command.equals("quit") || noReply(request, end))) {
            return new Exchange(Protocol.MEMCACHED, command, command, null, "ok", null, false, null, null, null);
        }
        Boolean error = textReplyIsError(response);
        if (error == null) {
            return Exchange.requestOnly(Protocol.MEMCACHED, command, command);
        }
        return new Exchange(Protocol.MEMCACHED, command, command, null, error ? "error" : "ok", null, error,
                null, null, null);
    }

    /** The request line ends in {@code noreply}. */
    private static boolean noReply(byte[] r, int from) {
        int eol = from;
        while (eol < r.length && r[eol] != '\r' && r[eol] != '\n') {
            eol++;
        }
        return eol - from >= 8 && startsWith(r, eol - 7, "noreply") && r[eol - 8] == ' ';
    }

    /** True for an error reply, false for an answer, null when the bytes are no text reply. */
    private static Boolean textReplyIsError(byte[] p) {
        if (startsWith(p, 0, "ERROR") || startsWith(p, 0, "CLIENT_ERROR") || startsWith(p, 0, "SERVER_ERROR")) {
            return Boolean.TRUE;
        }
        for (String a : ANSWERS) {
            if (startsWith(p, 0, a)) {
                return Boolean.FALSE;
            }
        }
        // incr/decr: the new value
        int i = 0;
        while (i < p.length && i < 21 && p[i] >= '0' && p[i] <= '9') {
            i++;
        }
        return i > 0 && i + 1 < p.length && p[i] == '\r' && p[i + 1] == '\n' ? Boolean.FALSE : null;
    }

    private Exchange decodeBinary(byte[] request, byte[] response) {
        if (!binaryHeaderValid(request, 0)) {
            return null;
        }
        int opcode = request[1] & 0xff;
        String command = OPCODES[opcode];
        int opaque = int32(request, 12);
        int at = 0;
        while (at + HEADER <= response.length && (response[at] & 0xff) == RESPONSE_MAGIC) {
            long body = int32(response, at + 8) & 0xffffffffL;
            if (body > MAX_BODY) {
                break;
            }
            if (int32(response, at + 12) == opaque && (response[at + 1] & 0xff) == opcode) {
                int status = (response[at + 6] & 0xff) << 8 | (response[at + 7] & 0xff);
                boolean error = !(status == 0 || status == 1 || status == 2 || status == 5);
                return new Exchange(Protocol.MEMCACHED, command, command, null, error ? "error" : "ok", status, error,
                        null, null, null);
            }
            at += HEADER + (int) body;
        }
        if (command.endsWith("q") && (at > 0 || response.length == 0)) {
            // a quiet command answers only on failure: the replies seen (or none) were to later commands
            return new Exchange(Protocol.MEMCACHED, command, command, null, "ok", null, false, null, null, null);
        }
        return Exchange.requestOnly(Protocol.MEMCACHED, command, command);
    }

    private static boolean binaryHeaderValid(byte[] r, int at) {
        int opcode = r[at + 1] & 0xff;
        if (opcode >= OPCODES.length || OPCODES[opcode] == null || r[at + 5] != 0) {
            return false; // unknown opcode, or a data type other than raw bytes
        }
        int keyLength = (r[at + 2] & 0xff) << 8 | (r[at + 3] & 0xff);
        int extras = r[at + 4] & 0xff;
        long body = int32(r, at + 8) & 0xffffffffL;
        return body <= MAX_BODY && keyLength + extras <= body;
    }

    private static String textCommand(byte[] r, int end) {
        for (String c : TEXT_COMMANDS) {
            if (c.length() == end && startsWith(r, 0, c)) {
                return c;
            }
        }
        return null;
    }

    /** End of the leading run of lower-case letters and underscores (text commands are lower case). */
    private static int wordEnd(byte[] r) {
        int i = 0;
        while (i < r.length && i < 16 && ((r[i] >= 'a' && r[i] <= 'z') || r[i] == '_')) {
            i++;
        }
        return i;
    }

    private static boolean startsWith(byte[] b, int at, String s) {
        if (at < 0 || at + s.length() > b.length) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (b[at + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }
}
