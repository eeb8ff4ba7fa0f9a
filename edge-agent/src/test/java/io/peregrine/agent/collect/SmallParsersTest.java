package io.peregrine.agent.collect;

import static io.peregrine.agent.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.cgroup.IoStat;
import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.ProblemCounters;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** io.stat, fib_trie, if_inet6, fd names: the small formats the collectors read themselves. */
class SmallParsersTest {

  final ProblemCounters counters = new ProblemCounters();

  @Test
  void shouldSumIoStatOverDevicesAndReportBadFields() {
    byte[] b = text("259:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n"
        + "8:0 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0 cost.wait=9\n");
    assertThat(IoStat.parse(b, b.length, counters)).hasValue(new IoStat(101, 202, 4, 5));
    assertThat(IoStat.parse(new byte[0], 0, counters)).hasValue(new IoStat(0, 0, 0, 0));
    assertThat(counters.total()).isZero();

    byte[] bad = text("259:0 rbytes=x wbytes=2\nnodevice rbytes=5\n8:0 rbytes=7 wbytes=1");
    assertThat(IoStat.parse(bad, bad.length, counters)).hasValue(new IoStat(0, 2, 0, 0));
    assertThat(Fixtures.reported(counters)).containsExactlyInAnyOrder(
        "cgroup v2 io.stat BAD_NUMBER", "cgroup v2 io.stat MALFORMED_LINE", "cgroup v2 io.stat TRUNCATED");
  }

  @Test
  void shouldFindTheLocalIpv4AddressesOfANamespaceInItsFibTrie() {
    byte[] b = text(FixtureTree.fibTrie("10.244.1.5", "172.17.0.3"));
    List<IpAddress> out = new ArrayList<>();
    NetnsAddresses.parseFibTrie(b, b.length, out, counters);
    assertThat(out).extracting(Object::toString).containsExactly("10.244.1.5", "172.17.0.3");
    byte[] broken = text("Main:\n     |-- 10.999.1.5\n        /32 host LOCAL\n");
    out.clear();
    NetnsAddresses.parseFibTrie(broken, broken.length, out, counters);
    assertThat(out).isEmpty();
    assertThat(Fixtures.reported(counters)).containsExactly("/proc/<pid>/net/fib_trie MALFORMED_LINE");
  }

  @Test
  void shouldKeepGlobalIpv6AddressesOfIfInet6() throws Exception {
    byte[] b = text("00000000000000000000000000000001 01 80 10 80       lo\n"
        + "fe800000000000000c4f1afffe2b3c4d 02 40 20 80     eth0\n"
        + "2a0104f8c0c000000000000000000001 02 40 00 80     eth0\n"
        + "nonsense\n");
    List<IpAddress> out = new ArrayList<>();
    NetnsAddresses.parseIfInet6(b, b.length, out, counters);
    assertThat(out).extracting(Object::toString).containsExactly("2a01:4f8:c0c0::1");
    assertThat(Fixtures.reported(counters)).containsExactly("/proc/<pid>/net/if_inet6 MALFORMED_LINE");
    assertThat(InetAddress.getByName(out.get(0).toString())).isEqualTo(InetAddress.getByName("2a01:4f8:c0c0::1"));
  }

  @Test
  void shouldReadDescriptorNumbersOnly() {
    assertThat(SocketOwners.parseFd("0")).isZero();
    assertThat(SocketOwners.parseFd("1023")).isEqualTo(1023);
    assertThat(SocketOwners.parseFd("")).isEqualTo(-1);
    assertThat(SocketOwners.parseFd("3a")).isEqualTo(-1);
    assertThat(SocketOwners.parseFd("12345678901")).isEqualTo(-1);
  }

  @Test
  void shouldWriteInterfaceAddressesCanonically() throws Exception {
    assertThat(NetInterfaces.canonical(InetAddress.getByName("10.0.1.17"))).isEqualTo("10.0.1.17");
    assertThat(NetInterfaces.canonical(InetAddress.getByName("fe80:0:0:0:8f2:1cff:fe3a:9b21")))
        .isEqualTo("fe80::8f2:1cff:fe3a:9b21");
    assertThat(NetInterfaces.skipped("lo")).isTrue();
    assertThat(NetInterfaces.skipped("veth1a2b3c")).isTrue();
    assertThat(NetInterfaces.skipped("eth0")).isFalse();
  }
}
