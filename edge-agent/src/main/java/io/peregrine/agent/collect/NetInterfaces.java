package io.peregrine.agent.collect;

import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.agent.procfs.NetDevStat;
import io.peregrine.schema.NetInterfaceStats;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Network interfaces of the host namespace: counters from /proc/net/dev, state from sysfs
 * ({@code <sys-root>/class/net/<if>/flags} and {@code operstate}), addresses from the JDK's view
 * of the interfaces (getifaddrs(3), which is what rtnetlink answers). The loopback interface and
 * the host ends of container veth pairs are left out: the first carries no node traffic, the
 * second the traffic of containers already counted on their bridge.
 */
final class NetInterfaces {

  private static final int IFF_UP = 0x1;

  private final Path sysRoot;

  NetInterfaces(Path sysRoot) {
    this.sysRoot = sysRoot;
  }

  static boolean skipped(String name) {
    return name.equals("lo") || name.startsWith("veth");
  }

  List<NetInterfaceStats> sample(List<NetDevStat> counters) {
    Map<String, List<String>> addresses = addresses();
    List<NetInterfaceStats> out = new ArrayList<>(counters.size());
    for (NetDevStat d : counters) {
      if (skipped(d.name())) {
        continue;
      }
      out.add(NetInterfaceStats.newBuilder()
          .setName(d.name())
          .setUp(up(d.name()))
          .setAddresses(addresses.getOrDefault(d.name(), List.of()))
          .setRxBytesTotal(d.rxBytes())
          .setTxBytesTotal(d.txBytes())
          .setRxPacketsTotal(d.rxPackets())
          .setTxPacketsTotal(d.txPackets())
          .setRxErrorsTotal(d.rxErrors())
          .setTxErrorsTotal(d.txErrors())
          .setRxDropsTotal(d.rxDrops())
          .setTxDropsTotal(d.txDrops())
          .build());
    }
    return out;
  }

  /**
   * IFF_UP and IFF_RUNNING. sysfs {@code flags} holds the administrative flags only; RUNNING is
   * what the kernel derives from the operational state (up, or unknown for drivers that do not
   * track it), as dev_get_flags() does.
   */
  boolean up(String name) {
    Path dir = sysRoot.resolve("class/net").resolve(name);
    try {
      String flags = Files.readString(dir.resolve("flags"), StandardCharsets.US_ASCII).trim();
      long f = Long.decode(flags);
      String oper = Files.readString(dir.resolve("operstate"), StandardCharsets.US_ASCII).trim();
      return (f & IFF_UP) != 0 && (oper.equals("up") || oper.equals("unknown"));
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  private static Map<String, List<String>> addresses() {
    Map<String, List<String>> out = new HashMap<>();
    try {
      Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
      while (all != null && all.hasMoreElements()) {
        NetworkInterface ni = all.nextElement();
        List<String> list = new ArrayList<>(2);
        Enumeration<InetAddress> as = ni.getInetAddresses();
        while (as.hasMoreElements()) {
          String text = canonical(as.nextElement());
          if (text != null && !list.contains(text)) {
            list.add(text);
          }
        }
        out.put(ni.getName(), List.copyOf(list));
      }
    } catch (SocketException e) {
      // No addresses this time; counters are still worth sending.
    }
    return out;
  }

  /** IPv4 dotted, IPv6 in RFC 5952 form without a zone. */
  static String canonical(InetAddress a) {
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      return IpAddress.ipv4(ByteBuffer.wrap(b).getInt()).toString();
    }
    if (a instanceof Inet6Address) {
      ByteBuffer buf = ByteBuffer.wrap(b);
      return IpAddress.ipv6(buf.getLong(), buf.getLong()).toString();
    }
    return null;
  }
}
