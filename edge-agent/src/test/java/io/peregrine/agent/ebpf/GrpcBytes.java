package io.peregrine.agent.ebpf;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/** gRPC methods on raw bytes, for tests that drive real grpc-java traffic without generated stubs. */
public final class GrpcBytes {

  private GrpcBytes() {
  }

  public static final MethodDescriptor.Marshaller<byte[]> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  /** A method of {@code type} named {@code fullName} ({@code package.Service/Method}) taking and returning bytes. */
  public static MethodDescriptor<byte[], byte[]> method(MethodDescriptor.MethodType type, String fullName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type).setFullMethodName(fullName)
        .setRequestMarshaller(MARSHALLER).setResponseMarshaller(MARSHALLER).build();
  }
}
