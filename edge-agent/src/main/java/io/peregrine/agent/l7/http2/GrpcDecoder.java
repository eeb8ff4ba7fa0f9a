package io.peregrine.agent.l7.http2;

import io.peregrine.agent.l7.Exchange;
import io.peregrine.agent.l7.ProtocolDecoder;
import io.peregrine.schema.Protocol;

/**
 * gRPC: an HTTP/2 connection whose first request has content-type {@code application/grpc*}.
 * Registered before {@link Http2Decoder} so such connections are classified GRPC; decoding is the
 * HTTP/2 decoder's, which tells gRPC from plain HTTP/2 for each exchange by its content-type, and,
 * on a connection known to be gRPC, takes an exchange whose content-type was indexed before the
 * capture (so cannot be read) for gRPC too.
 */
public final class GrpcDecoder implements ProtocolDecoder {

    private final Http2Decoder http2 = new Http2Decoder();

    @Override
    public Protocol protocol() {
        return Protocol.GRPC;
    }

    @Override
    public boolean recognizes(byte[] request, int serverPort) {
        return http2.recognizesGrpc(request);
    }

    @Override
    public Exchange decode(byte[] request, byte[] response) {
        return http2.decode(request, response, true);
    }
}
