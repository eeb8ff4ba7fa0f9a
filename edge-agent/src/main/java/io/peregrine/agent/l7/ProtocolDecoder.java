package io.peregrine.agent.l7;

import io.peregrine.schema.Protocol;

/**
 * Decodes one request/response exchange of one application protocol from the payload prefixes the
 * eBPF sensor captured (the first bytes of the request and of the response, at most the capture
 * size, so any length field may point past the end).
 *
 * <p>Implementations are pure functions over bytes: stateless, thread-safe, allocation-light, and
 * they never throw — garbage, truncated input, corrupt lengths and another protocol's bytes give
 * {@code null} from {@link #decode} (or a partially filled {@link Exchange} when the request was
 * readable and the response was not).
 */
public interface ProtocolDecoder {

    /** The protocol this decoder reads; never TCP or UNKNOWN. */
    Protocol protocol();

    /**
     * Whether {@code request} (the first bytes a client sent on a connection) looks like this
     * protocol's request. Cheap: called to classify connections the kernel did not recognise.
     * {@code serverPort} is a hint only (a well-known port never overrides the bytes).
     */
    boolean recognizes(byte[] request, int serverPort);

    /**
     * Decodes the exchange, or returns null when {@code request} is not a readable request of this
     * protocol. {@code response} is empty when no response came (the caller then reports a timeout
     * or reset; a decoder still fills method and resource).
     */
    Exchange decode(byte[] request, byte[] response);

    /**
     * Decodes the exchange as one of its connection's, whose prepared statements are in
     * {@code statements} (the caller keeps one per connection, in the order of its exchanges): a
     * decoder of a protocol that prepares statements by name or id records the ones this exchange
     * prepares or closes there, and gives an execution by name the statement's text. The default,
     * for protocols without prepared statements, is {@link #decode(byte[], byte[])}.
     */
    default Exchange decode(byte[] request, byte[] response, PreparedStatements statements) {
        return decode(request, response);
    }

    /**
     * The exchanges of one turn of the conversation, which may hold several requests written at
     * once (a Redis pipeline, PostgreSQL batches each ending in Sync) and their responses read at
     * once: one exchange per request whose start is in the captured {@code request} prefix, in
     * order, each with the response found for it in the captured {@code response} prefix (replies
     * pair with requests in order; a request whose reply lies beyond the capture is request-only).
     * Requests beyond the captured prefix are not seen and not counted. Empty when the request is
     * not this protocol's. The default, for protocols that are not pipelined here, is the one
     * exchange of {@link #decode(byte[], byte[], PreparedStatements)}.
     */
    default java.util.List<Exchange> decodeTurn(byte[] request, byte[] response, PreparedStatements statements) {
        Exchange x = decode(request, response, statements);
        return x == null ? java.util.List.of() : java.util.List.of(x);
    }

    /** Whether {@link #decode(byte[], byte[], PreparedStatements)} uses the statements. */
    default boolean preparesStatements() {
        return false;
    }
}
