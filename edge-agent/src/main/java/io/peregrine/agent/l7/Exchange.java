package io.peregrine.agent.l7;

import io.peregrine.schema.DnsDetails;
import io.peregrine.schema.KafkaDetails;
import io.peregrine.schema.Protocol;

/**
 * What a {@link ProtocolDecoder} read from one exchange: the protocol-specific fields of an
 * {@code L7Event} (see L7Event.avsc for each field's meaning and vocabulary).
 *
 * @param method operation (HTTP method, SQL verb, Redis command, Kafka API name, DNS opcode), or null
 * @param resource low-cardinality name of what was asked (route template, normalized SQL, ...), or null
 * @param serverName HTTP Host / :authority without port, or null
 * @param status status text ({@code 200}, {@code grpc:UNAVAILABLE}, {@code ok}, {@code error},
 *     SQLSTATE, {@code NXDOMAIN}); null when there was no (readable) response
 * @param statusCode numeric status where the protocol has one, else null
 * @param error whether the exchange failed from the caller's point of view
 * @param traceparent W3C traceparent header, verbatim, or null
 * @param dns DNS question and answers when protocol is DNS, else null
 * @param kafka Kafka request header fields when protocol is KAFKA, else null
 */
public record Exchange(
        Protocol protocol,
        String method,
        String resource,
        String serverName,
        String status,
        Integer statusCode,
        boolean error,
        String traceparent,
        DnsDetails dns,
        KafkaDetails kafka) {

    /** An exchange with only the request side decoded (no or unreadable response). */
    public static Exchange requestOnly(Protocol protocol, String method, String resource) {
        return new Exchange(protocol, method, resource, null, null, null, false, null, null, null);
    }
}
