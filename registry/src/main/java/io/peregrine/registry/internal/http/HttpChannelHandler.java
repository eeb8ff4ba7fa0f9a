package io.peregrine.registry.internal.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.peregrine.registry.internal.api.RestError;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per connection. Turns aggregated requests into {@link HttpRequestData}, hands them to the
 * {@link Dispatcher}, and writes responses <em>in request order</em>: HTTP/1.1 pipelining requires
 * it, and a write (answered later, from the writer thread) may be followed by a read (answered at
 * once). Each request is chained after the previous one's response.
 *
 * <p>Invariant: {@code tail} and {@code inFlight} are touched only on this channel's event loop.
 * Reading pauses while too many requests are queued, so a client pipelining without bound cannot
 * make us buffer without bound.
 */
final class HttpChannelHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(HttpChannelHandler.class);
  private static final int MAX_QUEUED = 16;

  /** Sent by {@link BoundedAggregator} in place of a request whose body is too large. */
  record Oversized(boolean keepAlive) {}

  private final Dispatcher dispatcher;
  private final int maxRequestBytes;
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
  private int inFlight;

  HttpChannelHandler(Dispatcher dispatcher, int maxRequestBytes) {
    this.dispatcher = dispatcher;
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof FullHttpRequest request) {
      try {
        onRequest(ctx, request);
      } finally {
        request.release();
      }
    } else if (msg instanceof Oversized oversized) {
      RestError error = RestError.tooLarge(maxRequestBytes);
      enqueue(ctx, () -> CompletableFuture.completedFuture(Dispatcher.error(error, Dispatcher.V1_JSON)),
          oversized.keepAlive());
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onRequest(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (request.decoderResult().isFailure()) {
      // The stream may be out of sync (bad request line or headers): answer and close.
      Throwable cause = request.decoderResult().cause();
      RestError error = RestError.badRequest("Bad request: " + (cause == null ? "malformed HTTP" : cause.getMessage()));
      enqueue(ctx, () -> CompletableFuture.completedFuture(Dispatcher.error(error, Dispatcher.V1_JSON)), false);
      return;
    }
    HttpRequestData data;
    try {
      QueryStringDecoder uri = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8);
      List<String> segments = PathDecoder.segments(uri.rawPath());
      byte[] body = new byte[request.content().readableBytes()];
      request.content().getBytes(request.content().readerIndex(), body);
      data = new HttpRequestData(
          request.method().name(),
          segments,
          uri.parameters(),
          request.headers().get(HttpHeaderNames.CONTENT_TYPE),
          request.headers().get(HttpHeaderNames.ACCEPT),
          body);
    } catch (IllegalArgumentException e) {
      RestError error = RestError.badRequest("Malformed request URI: " + e.getMessage());
      enqueue(ctx, () -> CompletableFuture.completedFuture(Dispatcher.error(error, Dispatcher.V1_JSON)), keepAlive);
      return;
    }
    HttpRequestData finalData = data;
    enqueue(ctx, () -> dispatcher.dispatch(finalData), keepAlive);
  }

  private void enqueue(ChannelHandlerContext ctx, Supplier<CompletableFuture<HttpResponseData>> work, boolean keepAlive) {
    if (++inFlight >= MAX_QUEUED) {
      ctx.channel().config().setAutoRead(false);
    }
    tail = tail
        .thenCompose(ignored -> work.get())
        .thenCompose(response -> write(ctx, response, keepAlive))
        .handle((ignored, failure) -> {
          if (failure != null) {
            log.debug("Response on {} not written", ctx.channel(), failure);
          }
          ctx.executor().execute(() -> {
            if (--inFlight < MAX_QUEUED && !ctx.channel().config().isAutoRead()) {
              ctx.channel().config().setAutoRead(true);
            }
          });
          return null;
        });
  }

  private static CompletableFuture<Void> write(ChannelHandlerContext ctx, HttpResponseData response, boolean keepAlive) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!ctx.channel().isActive()) {
      done.complete(null);
      return done;
    }
    ByteBuf content = Unpooled.wrappedBuffer(response.body());
    FullHttpResponse out = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(response.status()), content);
    for (Map.Entry<String, String> h : response.headers().entrySet()) {
      out.headers().set(h.getKey(), h.getValue());
    }
    HttpUtil.setContentLength(out, content.readableBytes());
    out.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(out).addListener((ChannelFutureListener) f -> {
      if (!keepAlive) {
        f.channel().close();
      }
      if (f.isSuccess()) {
        done.complete(null);
      } else {
        done.completeExceptionally(f.cause());
      }
    });
    return done;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
    } else {
      super.userEventTriggered(ctx, evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Only this connection is affected (reset by peer, TLS garbage...).
    log.debug("Closing {} after {}", ctx.channel(), cause.toString());
    ctx.close();
  }
}
