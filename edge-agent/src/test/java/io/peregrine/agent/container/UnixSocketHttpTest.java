package io.peregrine.agent.container;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.agent.container.UnixSocketHttp.MalformedResponseException;
import io.peregrine.agent.container.UnixSocketHttp.Response;
import org.junit.jupiter.api.Test;

/** The framing of answers, byte by byte: complete, incomplete, closed early, not HTTP. */
class UnixSocketHttpTest {

  private static Response parse(String s, boolean closed) throws MalformedResponseException {
    byte[] b = s.getBytes(US_ASCII);
    return UnixSocketHttp.parse(b, b.length, closed);
  }

  @Test
  void shouldReadABodyOfAnnouncedLength() throws Exception {
    Response r = parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", false);
    assertThat(r.status()).isEqualTo(200);
    assertThat(new String(r.body(), US_ASCII)).isEqualTo("{}");
    assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}", false)).isNull();
    assertThat(parse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false).status()).isEqualTo(404);
  }

  @Test
  void shouldJoinChunksAndWaitForTheLastOne() throws Exception {
    String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    Response r = parse(head + "3\r\n{\"a\r\nC;ext=1\r\n\":\"0123456\"}\r\n0\r\n\r\n", false);
    assertThat(new String(r.body(), US_ASCII)).isEqualTo("{\"a\":\"0123456\"}");
    assertThat(parse(head + "3\r\n{\"a\r\n", false)).isNull();
    assertThat(parse(head + "3\r\n{\"", false)).isNull();
    assertThatThrownBy(() -> parse(head + "3\r\n{\"a\r\n", true))
        .isInstanceOf(MalformedResponseException.class).hasMessageContaining("inside a chunk");
    assertThatThrownBy(() -> parse(head + "zz\r\nab\r\n", false))
        .isInstanceOf(MalformedResponseException.class).hasMessageContaining("chunk size");
    assertThatThrownBy(() -> parse(head + "1\r\nabc\r\n0\r\n\r\n", false))
        .isInstanceOf(MalformedResponseException.class).hasMessageContaining("longer than its size");
    assertThatThrownBy(() -> parse(head + "fffffffff\r\n", false))
        .isInstanceOf(MalformedResponseException.class).hasMessageContaining("chunk size");
  }

  @Test
  void shouldReadAnUnframedBodyToTheEndOfTheConnection() throws Exception {
    assertThat(parse("HTTP/1.0 200 OK\r\n\r\n{\"x\":1}", false)).isNull();
    assertThat(new String(parse("HTTP/1.0 200 OK\r\n\r\n{\"x\":1}", true).body(), US_ASCII)).isEqualTo("{\"x\":1}");
  }

  @Test
  void shouldRefuseWhatIsNotHttp() {
    assertThatThrownBy(() -> parse("SSH-2.0-OpenSSH_9.2\r\n", false)).isInstanceOf(MalformedResponseException.class);
    assertThatThrownBy(() -> parse("HTTP/1.1 2x0 OK\r\n\r\n", false)).isInstanceOf(MalformedResponseException.class);
    assertThatThrownBy(() -> parse("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", false))
        .isInstanceOf(MalformedResponseException.class);
    assertThatThrownBy(() -> parse("HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n", false))
        .isInstanceOf(MalformedResponseException.class);
    assertThatThrownBy(() -> parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", false))
        .isInstanceOf(MalformedResponseException.class);
    assertThatThrownBy(() -> parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", true))
        .isInstanceOf(MalformedResponseException.class).hasMessageContaining("inside the body");
    assertThatThrownBy(() -> parse("HTTP/1.1 200 OK\r\nContent-Le", true))
        .isInstanceOf(MalformedResponseException.class).hasMessageContaining("inside the headers");
  }

  @Test
  void shouldWaitForTheStatusLine() throws Exception {
    assertThat(parse("", false)).isNull();
    assertThat(parse("HTT", false)).isNull();
    assertThat(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", false)).isNull();
  }
}
