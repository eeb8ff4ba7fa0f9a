package io.peregrine.agent.l7;

import io.peregrine.agent.l7.dns.DnsDecoder;
import io.peregrine.agent.l7.http.Http1Decoder;
import io.peregrine.agent.l7.http2.GrpcDecoder;
import io.peregrine.agent.l7.http2.Http2Decoder;
import io.peregrine.agent.l7.kafka.KafkaDecoder;
import io.peregrine.agent.l7.memcached.MemcachedDecoder;
import io.peregrine.agent.l7.mongo.MongoDecoder;
import io.peregrine.agent.l7.mysql.MysqlDecoder;
import io.peregrine.agent.l7.postgres.PostgresDecoder;
import io.peregrine.agent.l7.redis.RedisDecoder;
import io.peregrine.schema.Protocol;
import java.util.List;

/**
 * The protocol decoders the agent knows, and the choice of one for an exchange: the protocol
 * already known for the connection if any, else the first decoder that
 * {@link ProtocolDecoder#recognizes recognizes} the request bytes.
 */
public final class Decoders {

    private final List<ProtocolDecoder> decoders;

    public Decoders(List<ProtocolDecoder> decoders) {
        this.decoders = List.copyOf(decoders);
    }

    /**
     * Every decoder of this module, the most specific recognizers first: HTTP/1 and HTTP/2 (gRPC
     * before HTTP/2: the same connections, gRPC the more specific), MongoDB (a 16-byte header with
     * an opcode), the other binary protocols, then the text ones; Redis before Memcached, because
     * an inline {@code get k} is Memcached's unless the port is Redis's. Each recognizer is tested
     * against the other protocols' fixtures, so the order only breaks ties.
     */
    public static Decoders all() {
        return new Decoders(List.of(
                new Http1Decoder(),
                new GrpcDecoder(),
                new Http2Decoder(),
                new MongoDecoder(),
                new PostgresDecoder(),
                new MysqlDecoder(),
                new KafkaDecoder(),
                new DnsDecoder(),
                new RedisDecoder(),
                new MemcachedDecoder()));
    }

    public List<ProtocolDecoder> list() {
        return decoders;
    }

    /** The decoder for {@code protocol}, or null. */
    public ProtocolDecoder forProtocol(Protocol protocol) {
        for (ProtocolDecoder d : decoders) {
            if (d.protocol() == protocol) {
                return d;
            }
        }
        return null;
    }

    /** The first decoder that recognizes {@code request}, or null when none does. */
    public ProtocolDecoder recognize(byte[] request, int serverPort) {
        for (ProtocolDecoder d : decoders) {
            if (d.recognizes(request, serverPort)) {
                return d;
            }
        }
        return null;
    }
}
