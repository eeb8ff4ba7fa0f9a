package io.peregrine.agent.l7.mysql;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.PreparedStatements;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.agent.l7.sql.SqlNormalizer;
import io.peregrine.schema.Protocol;

/**
 * MySQL and MariaDB client/server protocol (https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html,
 * https://mariadb.com/kb/en/clientserver-protocol/): packets of a 3-byte little-endian length and a
 * sequence number; a command starts a new sequence (number 0).
 *
 * <p>Requests, by command byte:
 * <ul>
 *   <li>COM_QUERY: the SQL verb and the normalised text;
 *   <li>COM_STMT_PREPARE: method {@code PREPARE} and the normalised text;
 *   <li>COM_STMT_EXECUTE: the packet carries only the statement id the server handed out when it
 *       was prepared, in an earlier exchange; with the connection's {@link PreparedStatements}
 *       (each COM_STMT_PREPARE is recorded under the id its OK returns, each COM_STMT_CLOSE
 *       forgets it) the verb and the statement's normalised text, else {@code EXECUTE} and no
 *       resource. MariaDB's id -1 is the statement prepared last (sent in the same write as the
 *       prepare by MariaDB Connector/J: that exchange is then the statement's verb and text);
 *   <li>the other commands by name ({@code PING}, {@code QUIT}, {@code INIT_DB} with the schema as
 *       resource, {@code STMT_CLOSE}, {@code RESET_CONNECTION}, ...). COM_QUIT and COM_STMT_CLOSE
 *       have no response by design, so they are {@code ok} without one; a COM_STMT_CLOSE sent in
 *       the same write as the next command (as Connector/J does) is skipped for that command.
 * </ul>
 * The connection phase (HandshakeResponse, SSLRequest, and the authentication packets after them,
 * which all have a sequence number above 0) is {@link #recognizes recognised} so the connection is
 * classified, but it is no query: {@link #decode} returns null for it.
 *
 * <p>Responses: ERR gives status and statusCode = the error number ({@code 1146}) and error =
 * true (its SQLSTATE is not carried: L7Event has no field for it and the number is finer); OK, EOF,
 * a result set (column count), a prepared statement's OK and LOCAL INFILE give {@code ok}.
 */
public final class MysqlDecoder implements ProtocolDecoder {

    static final int COM_QUIT = 0x01;
    static final int COM_INIT_DB = 0x02;
    static final int COM_QUERY = 0x03;
    static final int COM_STMT_PREPARE = 0x16;
    static final int COM_STMT_EXECUTE = 0x17;
    static final int COM_STMT_SEND_LONG_DATA = 0x18;
    static final int COM_STMT_CLOSE = 0x19;
    /** MariaDB: a COM_STMT_EXECUTE of this id executes the statement prepared last on the connection. */
    static final long LAST_PREPARED = 0xffff_ffffL;

    private static final int CLIENT_PROTOCOL_41 = 0x200;

    /** Command byte to method; null where the byte is no command a client sends today. */
    private static final String[] COMMANDS = new String[0x20];

    static {
        COMMANDS[0x01] = "QUIT";
        COMMANDS[0x02] = "INIT_DB";
        COMMANDS[0x03] = "QUERY";
        COMMANDS[0x04] = "FIELD_LIST";
        COMMANDS[0x05] = "CREATE_DB";
        COMMANDS[0x06] = "DROP_DB";
        COMMANDS[0x07] = "REFRESH";
        COMMANDS[0x09] = "STATISTICS";
        COMMANDS[0x0a] = "PROCESS_INFO";
        COMMANDS[0x0c] = "PROCESS_KILL";
        COMMANDS[0x0d] = "DEBUG";
        COMMANDS[0x0e] = "PING";
        COMMANDS[0x11] = "CHANGE_USER";
        COMMANDS[0x12] = "BINLOG_DUMP";
        COMMANDS[0x15] = "REGISTER_SLAVE";
        COMMANDS[0x16] = "PREPARE";
        COMMANDS[0x17] = "EXECUTE";
        COMMANDS[0x18] = "STMT_SEND_LONG_DATA";
        COMMANDS[0x19] = "STMT_CLOSE";
        COMMANDS[0x1a] = "STMT_RESET";
        COMMANDS[0x1b] = "SET_OPTION";
        COMMANDS[0x1c] = "STMT_FETCH";
        COMMANDS[0x1f] = "RESET_CONNECTION";
    }

    /** A capture at least this long may end inside a packet; a shorter one is a whole write. */
    private static final int MIN_TRUNCATED = 256;

    @Override
    public Protocol protocol() {
        return Protocol.MYSQL;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        if (request.length < 5) {
            return false;
        }
        int len = uint24(request, 0);
        int seq = request[3] & 0xff;
        if (len == 0 || !lengthFits(request, 0, len)) {
            return false;
        }
        if (seq == 1) {
            return isHandshakeResponse(request, len);
        }
        if (seq != 0) {
            return false;
        }
        int cmd = request[4] & 0xff;
        if (cmd >= COMMANDS.length || COMMANDS[cmd] == null) {
            return false;
        }
        return switch (cmd) {
            case COM_QUERY, COM_STMT_PREPARE -> len >= 2 && startsLikeSql(request[5] & 0xff);
            case COM_INIT_DB -> len >= 2;
            case COM_STMT_EXECUTE -> len >= 10; // id, flags, iteration count
            case COM_STMT_CLOSE -> len == 5;
            case 0x01, 0x09, 0x0a, 0x0e, 0x1f -> len == 1; // QUIT, STATISTICS, PROCESS_INFO, PING, RESET_CONNECTION
            default -> true;
        };
    }

    /** The packet of {@code len} payload bytes at {@code at} ends within the capture, or the capture is cut. */
    private static boolean lengthFits(byte[] r, int at, int len) {
        long end = (long) at + 4 + len;
        return end <= r.length || r.length >= MIN_TRUNCATED;
    }

    /**
     * HandshakeResponse41 or SSLRequest (sequence 1, the answer to the server's greeting):
     * capabilities with CLIENT_PROTOCOL_41, max packet size, character set, 23 zero bytes.
     */
    private static boolean isHandshakeResponse(byte[] r, int len) {
        if (len < 32 || r.length < 4 + 32) {
            return false;
        }
        int caps = (r[4] & 0xff) | (r[5] & 0xff) << 8;
        if ((caps & CLIENT_PROTOCOL_41) == 0) {
            return false;
        }
        for (int i = 4 + 9; i < 4 + 32; i++) {
            if (r[i] != 0 && i < 4 + 9 + 19) { // MariaDB puts its extended capabilities in the last 4
                return false;
            }
        }
        return true;
    }

    private static boolean startsLikeSql(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '(' || c == '/' || c == '-'
                || c == '#' || c == ' ' || c == '\n' || c == '\t' || c == '\r'
                || c == 0; // MySQL 8 query attributes: parameter count 0, then the text
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        return decode(request, response, null);
    }

    @Override
    public boolean preparesStatements() {
        return true;
    }

    @Override
    public Exchange decode(byte[] request, byte[] response, PreparedStatements statements) {
        if (request.length < 5 || (request[3] & 0xff) != 0) {
            return null; // the connection phase, or not this protocol
        }
        int at = 0;
        int len = uint24(request, 0);
        int cmd = request[4] & 0xff;
        // A statement closed in the same write as the next command: the command is the request.
        while (cmd == COM_STMT_CLOSE && len == 5 && at + 9 + 5 <= request.length && (request[at + 9 + 3] & 0xff) == 0) {
            if (statements != null) {
                statements.closed(uint32(request, at + 5));
            }
            at += 9;
            len = uint24(request, at);
            cmd = request[at + 4] & 0xff;
        }
        if (len == 0 || cmd >= COMMANDS.length || COMMANDS[cmd] == null) {
            return null;
        }
        int payloadEnd = (int) Math.min((long) at + 4 + len, request.length);
        String method;
        String resource = null;
        switch (cmd) {
            case COM_QUERY: {
                int from = at + 5;
                // MySQL 8 with query attributes: parameter count and parameter set count first (both 0, 1).
                if (from + 2 <= payloadEnd && request[from] == 0 && request[from + 1] == 1) {
                    from += 2;
                }
                resource = SqlNormalizer.MYSQL.normalize(request, from, payloadEnd);
                method = SqlNormalizer.verb(resource);
                break;
            }
            case COM_STMT_PREPARE: {
                resource = SqlNormalizer.MYSQL.normalize(request, at + 5, payloadEnd);
                method = "PREPARE";
                // The statement id is in the OK that answers it (0x00, id): from then on, executions name it.
                if (statements != null && response.length >= 9 && (response[3] & 0xff) == 1 && response[4] == 0) {
                    statements.prepared(uint32(response, 5), resource);
                }
                // MariaDB's pipelined prepare: COM_STMT_EXECUTE of id -1 ("the statement just
                // prepared") in the same write. The response starts with the prepare's OK.
                int next = at + 4 + len;
                if (next + 9 <= request.length && (request[next + 3] & 0xff) == 0
                        && (request[next + 4] & 0xff) == COM_STMT_EXECUTE && uint32(request, next + 5) == LAST_PREPARED) {
                    method = SqlNormalizer.verb(resource);
                }
                break;
            }
            case COM_STMT_EXECUTE: {
                // The text went in an earlier exchange: the connection's statements may know it.
                if (statements != null && at + 9 <= payloadEnd) {
                    long id = uint32(request, at + 5);
                    resource = id == LAST_PREPARED ? statements.lastPrepared() : statements.text(id);
                }
                method = resource != null ? SqlNormalizer.verb(resource) : "EXECUTE";
                break;
            }
            case COM_INIT_DB:
                method = "INIT_DB";
                resource = payloadEnd > at + 5 ? new String(request, at + 5, Math.min(payloadEnd - (at + 5), 64),
                        java.nio.charset.StandardCharsets.UTF_8) : null;
                break;
            case COM_STMT_CLOSE:
                if (statements != null && at + 9 <= payloadEnd) {
                    statements.closed(uint32(request, at + 5));
                }
                // fall through: no response by design
            case COM_QUIT:
            case COM_STMT_SEND_LONG_DATA:
                if (response.length == 0) { // no response by design
                    return new Exchange(Protocol.MYSQL, COMMANDS[cmd], null, null, "ok", null, false, null, null, null);
                }
                method = COMMANDS[cmd];
                break;
            default:
                method = COMMANDS[cmd];
        }
        return withResponse(method, resource, response);
    }

    private static Exchange withResponse(String method, String resource, byte[] response) {
        if (response.length < 5) {
            return Exchange.requestOnly(Protocol.MYSQL, method, resource);
        }
        int len = uint24(response, 0);
        int seq = response[3] & 0xff;
        if (len == 0 || seq == 0 || !lengthFits(response, 0, len)) {
            return Exchange.requestOnly(Protocol.MYSQL, method, resource);
        }
        int first = response[4] & 0xff;
        if (first == 0xff) {
            if (len < 3 || response.length < 7) {
                return new Exchange(Protocol.MYSQL, method, resource, null, "error", null, true, null, null, null);
            }
            int errno = (response[5] & 0xff) | (response[6] & 0xff) << 8;
            return new Exchange(Protocol.MYSQL, method, resource, null, Integer.toString(errno), errno, true,
                    null, null, null);
        }
        boolean ok = first == 0x00 // OK, or a prepared statement's OK
                || (first == 0xfe && len < 9) // EOF (an OK with CLIENT_DEPRECATE_EOF)
                || first == 0xfb // LOCAL INFILE request
                || (first >= 0x01 && first <= 0xfa) // column count of a result set, or STATISTICS text
                || first == 0xfc || first == 0xfd;
        if (!ok) {
            return Exchange.requestOnly(Protocol.MYSQL, method, resource);
        }
        return new Exchange(Protocol.MYSQL, method, resource, null, "ok", null, false, null, null, null);
    }

    /** A 4-byte little-endian unsigned value (a statement id), as a long. */
    private static long uint32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }

    private static int uint24(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16;
    }
}
