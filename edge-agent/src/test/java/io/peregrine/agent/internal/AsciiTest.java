package io.peregrine.agent.internal;

import static io.peregrine.agent.internal.AsciiCursor.NO_VALUE;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AsciiTest {

  static Stream<Arguments> longs() {
    return Stream.of(
        Arguments.of("0", 0L),
        Arguments.of("1128093", 1128093L),
        Arguments.of("-1", -1L),
        Arguments.of("9223372036854775807", Long.MAX_VALUE),
        Arguments.of("9223372036854775808", NO_VALUE),        // overflow
        Arguments.of("18446744073709551615", NO_VALUE),       // u64 max, as /proc/<pid>/stat rsslim
        Arguments.of("", NO_VALUE),
        Arguments.of("-", NO_VALUE),
        Arguments.of("12a", NO_VALUE),
        Arguments.of("1.5", NO_VALUE),
        Arguments.of("+3", NO_VALUE));
  }

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @MethodSource("longs")
  void shouldParseDecimalLongsOrReportNoValue(String text, long expected) {
    byte[] b = text.getBytes(US_ASCII);
    assertThat(Ascii.parseLong(b, 0, b.length)).isEqualTo(expected);
  }

  static Stream<Arguments> hexes() {
    return Stream.of(
        Arguments.of("0A", 10L),
        Arguments.of("0100007F", 0x0100007FL),
        Arguments.of("ffffffff", 0xFFFFFFFFL),
        Arguments.of("BBDA", 0xBBDAL),
        Arguments.of("0G", NO_VALUE),
        Arguments.of("", NO_VALUE),
        Arguments.of("1234567890ABCDEF", NO_VALUE));  // 16 digits could go negative: refused
  }

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @MethodSource("hexes")
  void shouldParseHexOrReportNoValue(String text, long expected) {
    byte[] b = text.getBytes(US_ASCII);
    assertThat(Ascii.parseHex(b, 0, b.length)).isEqualTo(expected);
  }

  static Stream<Arguments> decimals() {
    return Stream.of(
        Arguments.of("0.12", 0.12),
        Arguments.of("53.19", 53.19),
        Arguments.of("100.00", 100.0),
        Arguments.of("2097.70", 2097.70),
        Arguments.of("7", 7.0),
        Arguments.of("-0.5", -0.5),
        Arguments.of("1.2.3", Double.NaN),
        Arguments.of(".", Double.NaN),
        Arguments.of("", Double.NaN),
        Arguments.of("1e5", Double.NaN));
  }

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @MethodSource("decimals")
  void shouldParseDecimalsExactlyAsJavaDoes(String text, double expected) {
    byte[] b = text.getBytes(US_ASCII);
    // Boxed, so that NaN equals NaN.
    assertThat(Double.valueOf(Ascii.parseDecimal(b, 0, b.length))).isEqualTo(Double.valueOf(expected));
  }

  @Test
  void shouldReturnOnlyCompleteLinesAndFlagATruncatedTail() {
    byte[] b = "a 1\n\nb 2\nc 3".getBytes(US_ASCII);
    AsciiCursor c = new AsciiCursor(b, b.length);
    assertThat(c.nextLine()).isTrue();
    assertThat(c.nextToken()).isTrue();
    assertThat(c.tokenIs("a")).isTrue();
    assertThat(c.nextLong()).isEqualTo(1);
    assertThat(c.nextToken()).isFalse();
    assertThat(c.nextLine()).isTrue();
    assertThat(c.lineIsBlank()).isTrue();
    assertThat(c.nextLine()).isTrue();
    assertThat(c.nextToken() && c.tokenIs("b")).isTrue();
    assertThat(c.nextLine()).isFalse();
    assertThat(c.truncatedTail()).isTrue();
  }

  @Test
  void shouldMatchKeysWithOrWithoutTheirColon() {
    byte[] b = "MemTotal:   24684084 kB\nread_bytes: 4096\nanon 12\n".getBytes(US_ASCII);
    long[] values = new long[4];
    long found = KeyedValues.parse(b, b.length,
        new String[] {"MemTotal", "read_bytes", "anon", "absent"}, values);
    assertThat(found).isEqualTo(0b0111);
    assertThat(values).containsExactly(24684084, 4096, 12, NO_VALUE);
  }
}
