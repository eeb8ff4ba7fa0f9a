package io.peregrine.agent.container;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * One HTTP/1.1 GET over a unix domain socket, as the Docker Engine API is served, with a deadline
 * for the whole exchange (connect, request, response): the JDK's HTTP client speaks only TCP, and
 * a daemon that hangs must not hold the agent's scan. The answer is read until the length its
 * headers announce ({@code Content-Length} or {@code chunked}) or, without either, to the end of
 * the connection ({@code Connection: close} is sent).
 */
final class UnixSocketHttp {

  /** A complete answer. */
  record Response(int status, byte[] body) {
  }

  /** An answer that is not HTTP, or breaks its own framing. */
  static final class MalformedResponseException extends IOException {
    MalformedResponseException(String message) {
      super(message);
    }
  }

  private UnixSocketHttp() {
  }

  /**
   * @throws SocketTimeoutException when the deadline passes first
   * @throws MalformedResponseException for an answer that is not HTTP, or longer than maxBytes
   * @throws IOException when the socket is absent, refused, or closed early
   */
  static Response get(Path socket, String target, Duration timeout, int maxBytes) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] request = ("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: peregrine-agent\r\n"
        + "Accept: application/json\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = Selector.open()) {
      ch.configureBlocking(false);
      if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
        await(ch, selector, SelectionKey.OP_CONNECT, deadline);
        ch.finishConnect();
      }
      ByteBuffer out = ByteBuffer.wrap(request);
      while (out.hasRemaining()) {
        if (ch.write(out) == 0) {
          await(ch, selector, SelectionKey.OP_WRITE, deadline);
        }
      }
      byte[] buf = new byte[8192];
      int length = 0;
      while (true) {
        Response r = parse(buf, length, false);
        if (r != null) {
          return r;
        }
        if (length == buf.length) {
          if (buf.length >= maxBytes) {
            throw new MalformedResponseException("answer longer than " + maxBytes + " bytes");
          }
          buf = Arrays.copyOf(buf, Math.min(maxBytes, buf.length * 2));
        }
        int n = ch.read(ByteBuffer.wrap(buf, length, buf.length - length));
        if (n < 0) {
          r = parse(buf, length, true);
          if (r == null) {
            throw new IOException("connection closed after " + length + " bytes of the answer");
          }
          return r;
        }
        if (n == 0) {
          await(ch, selector, SelectionKey.OP_READ, deadline);
        }
        length += n;
      }
    }
  }

  private static void await(SocketChannel ch, Selector selector, int op, long deadline)
      throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException("no answer in time");
    }
    SelectionKey key = ch.register(selector, op);
    int ready = selector.select(Math.max(1, left / 1_000_000));
    key.interestOps(0);
    selector.selectedKeys().clear();
    if (ready == 0 && System.nanoTime() - deadline >= 0) {
      throw new SocketTimeoutException("no answer in time");
    }
  }

  /**
   * The answer in {@code buf[0, length)}, or null when more bytes are needed.
   *
   * @param closed the peer closed the connection: a body without framing ends here, and a framed
   *     one that is still short is an error rather than incomplete
   */
  static Response parse(byte[] buf, int length, boolean closed) throws MalformedResponseException {
    int headerEnd = indexOf(buf, 0, length, "\r\n\r\n");
    if (headerEnd < 0) {
      if (length >= 5 && !startsWith(buf, length, "HTTP/")) {
        throw new MalformedResponseException("not an HTTP answer");
      }
      if (closed) {
        throw new MalformedResponseException("connection closed inside the headers");
      }
      return null;
    }
    String head = new String(buf, 0, headerEnd, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n");
    String[] status = lines[0].split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/1.") || status[1].length() != 3) {
      throw new MalformedResponseException("bad status line");
    }
    int code;
    try {
      code = Integer.parseInt(status[1]);
    } catch (NumberFormatException e) {
      throw new MalformedResponseException("bad status code");
    }
    long contentLength = -1;
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new MalformedResponseException("bad header line");
      }
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      if (name.equals("content-length")) {
        try {
          contentLength = Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new MalformedResponseException("bad Content-Length");
        }
        if (contentLength < 0) {
          throw new MalformedResponseException("bad Content-Length");
        }
      } else if (name.equals("transfer-encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
      }
    }
    int bodyStart = headerEnd + 4;
    if (chunked) {
      return dechunk(buf, bodyStart, length, code, closed);
    }
    if (contentLength >= 0) {
      if (length - bodyStart >= contentLength) {
        return new Response(code, Arrays.copyOfRange(buf, bodyStart, bodyStart + (int) contentLength));
      }
      if (closed) {
        throw new MalformedResponseException("connection closed inside the body");
      }
      return null;
    }
    return closed ? new Response(code, Arrays.copyOfRange(buf, bodyStart, length)) : null;
  }

  private static Response dechunk(byte[] buf, int from, int length, int code, boolean closed)
      throws MalformedResponseException {
    byte[] body = new byte[Math.max(0, length - from)];
    int size = 0;
    int p = from;
    while (true) {
      int eol = indexOf(buf, p, length, "\r\n");
      if (eol < 0) {
        break;
      }
      int end = eol;
      int semicolon = indexOf(buf, p, eol, ";");
      if (semicolon >= 0) {
        end = semicolon;
      }
      long chunk = 0;
      if (end == p || end - p > 8) {
        throw new MalformedResponseException("bad chunk size");
      }
      for (int i = p; i < end; i++) {
        int d = Character.digit(buf[i], 16);
        if (d < 0) {
          throw new MalformedResponseException("bad chunk size");
        }
        chunk = chunk * 16 + d;
      }
      int data = eol + 2;
      if (chunk == 0) {
        return new Response(code, Arrays.copyOf(body, size));  // trailers, if any, are ignored
      }
      if (length - data < chunk + 2) {
        break;
      }
      if (buf[data + (int) chunk] != '\r' || buf[data + (int) chunk + 1] != '\n') {
        throw new MalformedResponseException("chunk longer than its size");
      }
      System.arraycopy(buf, data, body, size, (int) chunk);
      size += (int) chunk;
      p = data + (int) chunk + 2;
    }
    if (closed) {
      throw new MalformedResponseException("connection closed inside a chunk");
    }
    return null;
  }

  private static boolean startsWith(byte[] buf, int length, String prefix) {
    if (length < prefix.length()) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (buf[i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] buf, int from, int to, String s) {
    outer:
    for (int i = from; i <= to - s.length(); i++) {
      for (int j = 0; j < s.length(); j++) {
        if (buf[i + j] != s.charAt(j)) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
