package io.peregrine.agent.publish;

import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.collect.ProcessIdentities;
import io.peregrine.agent.collect.RecordStamp;
import io.peregrine.agent.collect.SensorEvents;
import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.l7.Decoders;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.NodeId;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * CPU per L7 record of the agent's mapping thread without Kafka: {@link SensorEvents#l7} (protocol,
 * HTTP/1.x decoder, identity, addresses) then the Avro binary of the event, for the wrk/nginx
 * exchange of {@code AgentBenchmark} on both sides. Measured in the thread's own CPU time, so a
 * busy machine changes it little; run it with the agent's JIT (the default tiered one; C1 alone,
 * {@code -XX:TieredStopAtLevel=1}, was ~1,270 ns against C2's ~385):
 * <pre>
 * cd edge-agent
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/test.cp) \
 *     io.peregrine.agent.publish.L7PathCpuBenchmark [cpu-seconds, default 5]
 * </pre>
 */
public final class L7PathCpuBenchmark {

  private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1:38591\r\n\r\n"
      .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
      + "Date: Wed, 25 Nov 2026 01:31:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n"
      + "Connection: keep-alive\r\n\r\nok\n").getBytes(StandardCharsets.US_ASCII);

  private L7PathCpuBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    Path noProc = Files.createTempDirectory("l7-path-bench-");
    ProcessIdentities ids = new ProcessIdentities(() -> null,
        new ProcFs(noProc, Path.of("/"), 100, ParseProblems.ignoring()),
        new CgroupReader(noProc, Path.of("/sys"), 100, ParseProblems.ignoring()),
        new AppIdentifier(ContainerMetadata.NONE), ParseProblems.ignoring(), 100);
    RecordStamp stamp = RecordStamp.counting(new NodeId("bench-host", "machine-0123456789abcdef"), "run-1", 5_000);
    SensorEvents events = new SensorEvents(stamp, "l7", "conn", "life", Decoders.all(), ids, () -> null, 65_536);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long sink = 0;
    for (int round = 0; round < 4; round++) {  // the first rounds warm up
      long n = 0;
      long cpu0 = mx.getCurrentThreadCpuTime();
      long budget = (long) (seconds * 1e9);
      while (mx.getCurrentThreadCpuTime() - cpu0 < budget) {
        for (int i = 0; i < 1_000; i++, n++) {
          sink += oneRecord(events, n);
        }
      }
      double nanos = (mx.getCurrentThreadCpuTime() - cpu0) / (double) n;
      System.out.printf(Locale.ROOT, "round %d: %.0f ns of CPU per L7 record (%d records)%n", round, nanos, n);
    }
    System.out.println(sink == 42 ? "" : "done");
  }

  /** One record as the sensor's thread builds it (fresh addresses, payload arrays), mapped and encoded. */
  private static int oneRecord(SensorEvents events, long n) throws Exception {
    InetAddress client = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    InetAddress server = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    boolean serverSide = (n & 1) == 0;
    L7Record r = new L7Record(Instant.ofEpochMilli(1_795_000_000_000L + n), n, 1 + (n & 63), 4242, 7,
        L7Record.Protocol.HTTP, serverSide ? L7Record.Side.SERVER : L7Record.Side.CLIENT, "GET", 200, 0,
        serverSide ? server : client, serverSide ? 38591 : 40000 + (int) (n & 63), serverSide ? client : server,
        serverSide ? 40000 + (int) (n & 63) : 38591, 300_000, REQUEST.length, RESPONSE.length,
        REQUEST.clone(), RESPONSE.clone());
    L7Event e = events.l7(r);
    return AvroBinary.encode(e).length;
  }
}
