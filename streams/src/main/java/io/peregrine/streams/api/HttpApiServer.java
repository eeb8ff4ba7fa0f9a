package io.peregrine.streams.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP listener of the query API (Netty, HTTP/1.1, keep-alive). Queries block on state stores
 * and on other instances, so they run on a small bounded pool, never on the event loop; when the
 * pool is full the answer is 503.
 */
public final class HttpApiServer implements AutoCloseable {

    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService queries;
    private final Channel channel;

    private HttpApiServer(EventLoopGroup boss, EventLoopGroup workers, ExecutorService queries, Channel channel) {
        this.boss = boss;
        this.workers = workers;
        this.queries = queries;
        this.channel = channel;
    }

    /** Binds {@code host:port} (0 picks a free port) and serves {@code service}. */
    public static HttpApiServer start(String host, int port, QueryService service) throws InterruptedException {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("api-http-boss", true),
                NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("api-http", true),
                NioIoHandler.newFactory());
        ExecutorService queries = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
                new DefaultThreadFactory("api-query", true));
        try {
            Channel ch = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 128)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline()
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                    .addLast(new Handler(service, queries));
                        }
                    })
                    .bind(host, port).sync().channel();
            return new HttpApiServer(boss, workers, queries, ch);
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            queries.shutdownNow();
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        queries.shutdownNow();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boss.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
        workers.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final QueryService service;
        private final ExecutorService queries;

        Handler(QueryService service, ExecutorService queries) {
            this.service = service;
            this.queries = queries;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (!request.decoderResult().isSuccess()) {
                write(ctx, new QueryService.Response(400, "{\"error\":\"malformed HTTP request\",\"status\":400}"),
                        false);
                return;
            }
            String method = request.method().name();
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            try {
                queries.execute(() -> write(ctx, service.handle(method, uri.path(), uri.parameters()), keepAlive));
            } catch (RejectedExecutionException e) {
                write(ctx, new QueryService.Response(503, "{\"error\":\"too many queries in flight\",\"status\":503}"),
                        false);
            }
        }

        private static void write(ChannelHandlerContext ctx, QueryService.Response r, boolean keepAlive) {
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(body));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
