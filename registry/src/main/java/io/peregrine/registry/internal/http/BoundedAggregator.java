package io.peregrine.registry.internal.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;

/**
 * {@link HttpObjectAggregator} whose answer to an oversized body goes through the ordered
 * response path (a JSON 413 after the responses to earlier pipelined requests) instead of being
 * written directly. The aggregator then discards the rest of that body, so the connection stays
 * usable and the client, still sending, reads a proper 413 rather than a reset.
 */
final class BoundedAggregator extends HttpObjectAggregator {

  BoundedAggregator(int maxContentLength) {
    super(maxContentLength);
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    ctx.fireChannelRead(new HttpChannelHandler.Oversized(HttpUtil.isKeepAlive(oversized)));
  }
}
