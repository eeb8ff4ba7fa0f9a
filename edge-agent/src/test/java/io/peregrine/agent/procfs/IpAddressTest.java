package io.peregrine.agent.procfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpAddressTest {

  /** An IpAddress from a literal (no DNS: literals only), via the JDK's own parser. */
  static IpAddress ip(String literal) {
    try {
      byte[] b = InetAddress.getByName(literal).getAddress();
      ByteBuffer bb = ByteBuffer.wrap(b);
      return b.length == 4 ? IpAddress.ipv4(bb.getInt()) : IpAddress.ipv6(bb.getLong(), bb.getLong());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      // RFC 5952 section 4 and its examples
      "2001:0db8:0000:0000:0000:0000:0002:0001, 2001:db8::2:1",
      "2001:db8:0:1:1:1:1:1,                    2001:db8:0:1:1:1:1:1",   // 4.2.2: one 0 stays
      "2001:0:0:1:0:0:0:1,                      2001:0:0:1::1",          // 4.2.3: the longest run
      "2001:db8:0:0:1:0:0:1,                    2001:db8::1:0:0:1",      // 4.2.3: first on a tie
      "2001:DB8::AAAA,                          2001:db8::aaaa",         // 4.3: lower case
      "0:0:0:0:0:0:0:1,                         ::1",
      "0:0:0:0:0:0:0:0,                         ::",
      "1:0:0:0:0:0:0:0,                         1::",
      "fe80:0:0:0:0211:22ff:fe33:4455,          fe80::211:22ff:fe33:4455",
      "::7f00:1,                                ::7f00:1",               // IPv4-compatible: not mapped
      "127.0.0.1,                               127.0.0.1",
      "0.0.0.0,                                 0.0.0.0",
      "255.255.255.255,                         255.255.255.255"})
  void shouldRenderCanonicalText(String literal, String canonical) {
    assertThat(ip(literal).toString()).isEqualTo(canonical);
  }

  @Test
  void shouldNormaliseIpv4MappedAddressesToIpv4() {
    IpAddress mapped = IpAddress.ipv6(0, 0x0000_FFFF_7F00_0001L);
    assertThat(mapped.ipv4()).isTrue();
    assertThat(mapped).isEqualTo(IpAddress.ipv4(0x7F00_0001)).hasToString("127.0.0.1");
    assertThat(mapped.isLoopback()).isTrue();
  }

  @Test
  void shouldTellWildcardAndLoopback() {
    assertThat(IpAddress.IPV4_ANY.isAny()).isTrue();
    assertThat(IpAddress.IPV6_ANY.isAny()).isTrue();
    assertThat(IpAddress.IPV6_ANY).isNotEqualTo(IpAddress.IPV4_ANY);
    assertThat(ip("::1").isLoopback()).isTrue();
    assertThat(ip("127.8.9.10").isLoopback()).isTrue();
    assertThat(ip("10.0.0.1").isLoopback()).isFalse();
  }
}
