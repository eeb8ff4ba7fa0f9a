package io.peregrine.agent.l7.postgres;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.PreparedStatements;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.agent.l7.sql.SqlNormalizer;
import io.peregrine.schema.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * PostgreSQL frontend/backend protocol 3.0 (https://www.postgresql.org/docs/current/protocol-message-formats.html).
 *
 * <p>Requests: a simple Query ({@code Q}) or an extended-protocol batch (Parse {@code P}, Bind
 * {@code B}, Describe, Execute {@code E}, Close, Sync {@code S}, as JDBC and libpq send them in one
 * write). Method and resource:
 * <ul>
 *   <li>{@code Q}, or a batch with a Parse and an Execute: the SQL verb and the normalised text of
 *       the (first) statement;
 *   <li>a batch with a Parse and no Execute: {@code PREPARE} and the normalised text;
 *   <li>a batch that binds and executes an already prepared statement (no Parse in it, as JDBC does
 *       after {@code prepareThreshold} runs): the text went to the server in an earlier exchange,
 *       so with the connection's {@link PreparedStatements} (every named Parse is recorded there,
 *       every Close of a statement forgets it) the verb and the statement's normalised text, and
 *       without them, or for a statement not seen, {@code EXECUTE} and no resource;
 *   <li>FunctionCall: {@code FUNCTION_CALL}; Terminate: {@code TERMINATE}, answered by the close
 *       of the connection, so it is {@code ok} without a response.
 * </ul>
 * The startup phase (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest, password and SASL
 * messages) is {@link #recognizes recognised}, so the connection is classified, but it is not an
 * application query: {@link #decode} returns null for it, as for COPY data.
 *
 * <p>Responses: the first ErrorResponse gives status = its SQLSTATE ({@code C} field) and
 * error = true; otherwise CommandComplete, ReadyForQuery, EmptyQueryResponse or the start of a
 * result (ParseComplete, RowDescription, DataRow ...) give {@code ok}. Anything else (a response
 * that is not this protocol) gives a request-only exchange.
 */
public final class PostgresDecoder implements ProtocolDecoder {

    static final int PROTOCOL_3 = 196608;
    static final int SSL_REQUEST = 80877103;
    static final int GSSENC_REQUEST = 80877104;
    static final int CANCEL_REQUEST = 80877102;
    /** Longest message a client sends that we take for real (the server's own limit is 1 GB). */
    private static final int MAX_LENGTH = 1 << 30;

    @Override
    public Protocol protocol() {
        return Protocol.POSTGRES;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        if (request.length < 5) {
            return false;
        }
        if (request[0] == 0) {
            return isStartupPhase(request);
        }
        int type = request[0] & 0xff;
        int len = int32(request, 1);
        if (len < 4 || len > MAX_LENGTH) {
            return false;
        }
        switch (type) {
            case 'Q':
                // "Q", length, SQL text, NUL: the text starts like SQL and the NUL is where the length says.
                return len >= 5 && request.length > 5 && startsLikeSql(request[5] & 0xff)
                        && (request.length < 1 + len || request[len] == 0);
            case 'P':
                // "P", length, statement name (NUL-terminated), SQL text: the message ends in a
                // parameter count, so the next message type follows where the length says.
                return len >= 8 && nextMessageIsExtended(request, 1 + len) && cstringEnd(request, 5, Math.min(request.length, 1 + len)) > 0;
            case 'X':
                return len == 4 && request.length == 5; // Terminate, alone in its write
            case 'B':
            case 'E':
            case 'D':
            case 'C':
                return nextMessageIsExtended(request, 1 + len) && (request.length >= 1 + len + 5 || request.length < 1 + len);
            default:
                return false;
        }
    }

    /** A StartupMessage, SSLRequest, GSSENCRequest or CancelRequest: length then a known code. */
    private static boolean isStartupPhase(byte[] r) {
        if (r.length < 8) {
            return false;
        }
        int len = int32(r, 0);
        int code = int32(r, 4);
        return switch (code) {
            case SSL_REQUEST, GSSENC_REQUEST -> len == 8;
            case CANCEL_REQUEST -> len == 16;
            case PROTOCOL_3 -> len >= 9 && len <= 10_000;
            default -> false;
        };
    }

    /** True when the bytes at {@code at} are an extended-protocol message type, or the capture ends there. */
    private static boolean nextMessageIsExtended(byte[] r, int at) {
        if (at >= r.length) {
            return true;
        }
        return switch (r[at]) {
            case 'P', 'B', 'D', 'E', 'S', 'H', 'C' -> true;
            default -> false;
        };
    }

    private static boolean startsLikeSql(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '(' || c == '/' || c == '-'
                || c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == 0;
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        return decode(request, response, null);
    }

    @Override
    public boolean preparesStatements() {
        return true;
    }

    /**
     * A turn may hold several requests (libpq's pipeline mode, a driver writing batches ahead): a
     * simple Query each, and each extended-protocol batch up to and including its Sync. The server
     * ends its answer to each with ReadyForQuery, so the n-th answer is the responses up to the
     * n-th ReadyForQuery. (Executes within one Sync batch, as a JDBC executeBatch sends them, stay
     * one exchange: the batch is the unit the server answers and fails as one.)
     */
    @Override
    public List<Exchange> decodeTurn(byte[] request, byte[] response, PreparedStatements statements) {
        int reqEnd = requestEnd(request, 0);
        if (reqEnd < 0 || reqEnd >= request.length) {
            // one request (or a cut one): the common case, without copies
            Exchange x = decode(request, response, statements);
            return x == null ? List.of() : List.of(x);
        }
        List<Exchange> out = new ArrayList<>();
        int reqAt = 0;
        int respAt = 0;
        while (reqAt < request.length) {
            int end = requestEnd(request, reqAt);
            int answerEnd = answerEnd(response, respAt);
            Exchange x = decode(Arrays.copyOfRange(request, reqAt, end < 0 ? request.length : end),
                    Arrays.copyOfRange(response, respAt, answerEnd < 0 ? response.length : answerEnd), statements);
            if (x == null) {
                break; // not a request: what follows cannot be told apart
            }
            out.add(x);
            if (end < 0) {
                break; // the capture ends inside this request
            }
            reqAt = end;
            respAt = answerEnd < 0 ? response.length : answerEnd;
        }
        return out;
    }

    /**
     * Where the request starting at {@code at} ends: after a Query, after the Sync of an extended
     * batch, after a FunctionCall or Terminate; -1 when that end is not within the capture (or the
     * bytes are no messages).
     */
    static int requestEnd(byte[] r, int at) {
        while (at + 5 <= r.length) {
            int type = r[at] & 0xff;
            int len = int32(r, at + 1);
            if (len < 4 || len > MAX_LENGTH || (long) at + 1 + len > r.length) {
                return -1;
            }
            at += 1 + len;
            switch (type) {
                case 'Q', 'S', 'F', 'X':
                    return at;
                case 'P', 'B', 'E', 'D', 'C', 'H':
                    continue;
                default:
                    return -1;
            }
        }
        return -1;
    }

    /** Where the answer starting at {@code at} ends: after its ReadyForQuery; -1 when not within the capture. */
    static int answerEnd(byte[] r, int at) {
        while (at + 5 <= r.length) {
            int type = r[at] & 0xff;
            int len = int32(r, at + 1);
            if (len < 4 || len > MAX_LENGTH) {
                return -1;
            }
            at += 1 + len;
            if (type == 'Z') {
                return at <= r.length ? at : -1;
            }
        }
        return -1;
    }

    @Override
    public Exchange decode(byte[] request, byte[] response, PreparedStatements statements) {
        if (request.length < 5 || request[0] == 0) {
            return null; // startup phase, or not this protocol
        }
        String method;
        String resource = null;
        int type = request[0] & 0xff;
        switch (type) {
            case 'Q': {
                int len = int32(request, 1);
                if (len < 5 || len > MAX_LENGTH) {
                    return null;
                }
                resource = SqlNormalizer.POSTGRES.normalize(request, 5, Math.min(request.length, 1 + len));
                method = SqlNormalizer.verb(resource);
                break;
            }
            case 'P':
            case 'B':
            case 'E':
            case 'D':
            case 'C':
            case 'S':
            case 'H': {
                Batch batch = readBatch(request, statements);
                if (batch == null) {
                    return null;
                }
                if (batch.sqlFrom >= 0) {
                    resource = batch.sql != null ? batch.sql
                            : SqlNormalizer.POSTGRES.normalize(request, batch.sqlFrom, batch.sqlTo);
                    method = batch.execute ? SqlNormalizer.verb(resource) : "PREPARE";
                } else if (batch.execute || batch.bound != null) {
                    // A statement prepared in an earlier exchange, bound by name: its text if seen
                    // (its Execute may lie beyond a cut capture: a Bind is there to be executed).
                    resource = batch.bound;
                    method = resource != null ? SqlNormalizer.verb(resource) : "EXECUTE";
                } else if (batch.close) {
                    method = "CLOSE";
                } else {
                    method = "SYNC";
                }
                break;
            }
            case 'F':
                method = "FUNCTION_CALL";
                break;
            case 'X':
                if (int32(request, 1) != 4) {
                    return null;
                }
                // Terminate has no answer but the close of the connection.
                return new Exchange(Protocol.POSTGRES, "TERMINATE", null, null, "ok", null, false, null, null, null);
            default:
                return null; // 'p' password/SASL, 'd'/'c'/'f' COPY data: no query
        }
        return withResponse(method, resource, response);
    }

    /**
     * Where the first Parse's SQL is, the text of the statement the first Bind names (when it was
     * prepared earlier on the connection), and what else the batch holds.
     */
    private record Batch(int sqlFrom, int sqlTo, String sql, String bound, boolean execute, boolean close) {}

    /**
     * Reads an extended-protocol batch. With {@code statements}, records each named Parse's text
     * and forgets each statement Close names, in message order, so that a batch closing a
     * statement and preparing another under the same name leaves the new one.
     */
    private static Batch readBatch(byte[] r, PreparedStatements statements) {
        int sqlFrom = -1;
        int sqlTo = -1;
        String sql = null; // the first Parse's text, normalised once when it is recorded
        String bound = null;
        boolean bind = false;
        boolean execute = false;
        boolean close = false;
        int at = 0;
        int messages = 0;
        while (at + 5 <= r.length) {
            int type = r[at] & 0xff;
            int len = int32(r, at + 1);
            if (len < 4 || len > MAX_LENGTH) {
                return null;
            }
            int end = (int) Math.min((long) at + 1 + len, r.length); // the capture may cut the message
            switch (type) {
                case 'P': {
                    int nameEnd = cstringEnd(r, at + 5, end);
                    if (nameEnd < 0) {
                        if (end == r.length) {
                            break; // cut inside the statement name
                        }
                        return null;
                    }
                    int from = nameEnd + 1;
                    int sqlEnd = cstringEnd(r, from, end);
                    int to = sqlEnd < 0 ? end : sqlEnd;
                    // A text cut by the capture is remembered cut: better than none for its executions.
                    String text = statements == null ? null : SqlNormalizer.POSTGRES.normalize(r, from, to);
                    if (sqlFrom < 0) {
                        sqlFrom = from;
                        sqlTo = to;
                        sql = text;
                    }
                    if (statements != null) {
                        statements.prepared(ascii(r, at + 5, nameEnd), text);
                    }
                    break;
                }
                case 'B':
                    if (!bind) {
                        bind = true;
                        int portalEnd = cstringEnd(r, at + 5, end);
                        int nameEnd = portalEnd < 0 ? -1 : cstringEnd(r, portalEnd + 1, end);
                        if (nameEnd >= 0 && statements != null) {
                            bound = statements.text(ascii(r, portalEnd + 1, nameEnd));
                        }
                    }
                    break;
                case 'E':
                    execute = true;
                    break;
                case 'C':
                    close = true;
                    if (statements != null && at + 6 <= end && r[at + 5] == 'S') {
                        int nameEnd = cstringEnd(r, at + 6, end);
                        if (nameEnd >= 0) {
                            statements.closed(ascii(r, at + 6, nameEnd));
                        }
                    }
                    break;
                case 'D', 'S', 'H':
                    break;
                default:
                    return messages == 0 ? null : new Batch(sqlFrom, sqlTo, sql, bound, execute, close);
            }
            messages++;
            at += 1 + len;
        }
        return messages == 0 ? null : new Batch(sqlFrom, sqlTo, sql, bound, execute, close);
    }

    /** A statement name: identifiers, in practice ASCII (pgjdbc's S_1, libpq's the caller's). */
    private static String ascii(byte[] r, int from, int to) {
        return new String(r, from, to - from, StandardCharsets.UTF_8);
    }

    private static Exchange withResponse(String method, String resource, byte[] response) {
        int at = 0;
        while (at + 5 <= response.length) {
            int type = response[at] & 0xff;
            int len = int32(response, at + 1);
            if (len < 4 || len > MAX_LENGTH) {
                break;
            }
            switch (type) {
                case 'E': {
                    String sqlState = errorField(response, at + 5, (int) Math.min((long) at + 1 + len, response.length), 'C');
                    return new Exchange(Protocol.POSTGRES, method, resource, null,
                            sqlState != null ? sqlState : "error", null, true, null, null, null);
                }
                case 'C', 'Z', 'I':
                    return new Exchange(Protocol.POSTGRES, method, resource, null, "ok", null, false, null, null, null);
                case '1', '2', '3', 'T', 'D', 'n', 't', 's', 'N', 'S', 'A', 'G', 'H', 'W', 'V':
                    // the result is under way (or an asynchronous message): read on for an error
                    at += 1 + len;
                    continue;
                default:
                    return Exchange.requestOnly(Protocol.POSTGRES, method, resource);
            }
        }
        if (at > 0) {
            // Valid messages up to the end of the capture, none an error: a result too long to see whole.
            return new Exchange(Protocol.POSTGRES, method, resource, null, "ok", null, false, null, null, null);
        }
        return Exchange.requestOnly(Protocol.POSTGRES, method, resource);
    }

    /** The value of field {@code code} of an ErrorResponse whose fields are in r[from, to); null if absent. */
    static String errorField(byte[] r, int from, int to, char code) {
        int at = from;
        while (at < to && r[at] != 0) {
            int fieldCode = r[at] & 0xff;
            int end = cstringEnd(r, at + 1, to);
            if (end < 0) {
                return null;
            }
            if (fieldCode == code) {
                if (code == 'C' && end - (at + 1) != 5) {
                    return null; // SQLSTATE is always five characters
                }
                return new String(r, at + 1, end - (at + 1), StandardCharsets.UTF_8);
            }
            at = end + 1;
        }
        return null;
    }

    /** Index of the NUL ending the string starting at {@code from}, or -1 before {@code to}. */
    private static int cstringEnd(byte[] r, int from, int to) {
        for (int i = from; i < to; i++) {
            if (r[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static int int32(byte[] b, int at) {
        if (at + 4 > b.length) {
            return -1;
        }
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }
}
