package io.peregrine.agent.ebpf;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connections that change process at fork, against a real forking server (perl from the Debian
 * base system, whose sockets are close-on-exec like most runtimes'):
 * <ul>
 *   <li>pre-fork: the parent accepts, forks a child that serves the connection, and closes its
 *       own copy (PostgreSQL's postmaster, inetd, Python's ForkingMixIn do this);
 *   <li>spawn: the parent accepts, forks a helper that execs another program (the connection's fd
 *       closed on exec) which opens files on the freed fd numbers, and serves the connection itself:
 *       the helper's file I/O is no exchange and its closes no CLOSE of the connection.
 * </ul>
 * Each connection must be reported once: OPEN by the parent, every exchange by the process that
 * served it, one CLOSE by the process that held the last reference.
 */
class ForkedServerIT {

    private static final Duration BOUND = Duration.ofSeconds(20);
    private static final int EXCHANGES = 20;

    /** A line server: "+PONG" for each line; forks per connection as the mode says. */
    private static final String SERVER = """
            use IO::Socket::INET;
            $SIG{CHLD} = 'IGNORE';
            my $mode = shift;
            my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16, ReuseAddr => 1)
                or die "listen: $!";
            $| = 1;
            print $l->sockport, "\\n";
            while (1) {
                my $c = $l->accept or next;
                my $pid = fork;
                die "fork: $!" unless defined $pid;
                if ($mode eq 'prefork') {
                    if ($pid == 0) { close $l; serve($c); exit 0; }
                    close $c;
                } else {
                    # the helper opens files on the fd numbers exec freed, the connection's among them
                    if ($pid == 0) { exec 'perl', '-e', 'for (1..8) { open(my $f, "<", "/proc/self/stat") or die; my $x = <$f>; push @k, $f } select(undef, undef, undef, 0.2); close $_ for @k'; exit 127; }
                    serve($c);
                    close $c;
                }
            }
            sub serve { my $c = shift; $c->autoflush(1); while (defined(my $line = <$c>)) { print $c "+PONG\\r\\n"; } }
            """;

    private static final Queue<L7Record> l7 = new ConcurrentLinkedQueue<>();
    private static final Queue<ConnectionRecord> conns = new ConcurrentLinkedQueue<>();
    private static final java.util.Set<Integer> ports = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static EbpfSensor sensor;

    @BeforeAll
    static void startSensor() throws Exception {
        EbpfTestSupport.requireLoader();
        EbpfTestSupport.requireEbpfHost();
        EbpfTestSupport.require(LocalServers.installed("perl"), "perl is not installed");
        sensor = EbpfTestSupport.startedSensor(Map.of(
                EbpfSensorConfig.IGNORE_OWN_PROCESS, "false",
                EbpfSensorConfig.POLL_MS, "20"), new SensorListener() {
                    @Override
                    public void onConnection(ConnectionRecord r) {
                        if (ports.contains(r.localPort()) || ports.contains(r.remotePort())) {
                            conns.add(r);
                        }
                    }

                    @Override
                    public void onL7(L7Record r) {
                        if (ports.contains(r.serverPort())) {
                            l7.add(r);
                        }
                    }

                    @Override
                    public void onProcess(ProcessRecord r) {}
                });
    }

    @AfterAll
    static void stopSensor() {
        if (sensor != null) {
            sensor.close();
            assertThat(sensor.badFrames()).isEmpty();
        }
    }

    @Test
    void shouldFollowAConnectionIntoTheChildThatServesIt() throws Exception {
        runServer("prefork", true);
    }

    @Test
    void shouldKeepAConnectionWithTheParentWhenTheForkedChildExecs() throws Exception {
        runServer("spawn", false);
    }

    private void runServer(String mode, boolean servedByChild) throws Exception {
        Process server = new ProcessBuilder("perl", "-e", SERVER, mode).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), US_ASCII));
            int port = Integer.parseInt(out.readLine().trim());
            int parent = (int) server.pid();
            ports.add(port);
            List<Long> ids = new java.util.ArrayList<>();
            for (int connection = 0; connection < 3; connection++) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setTcpNoDelay(true);
                    OutputStream o = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] reply = new byte[7];
                    for (int i = 0; i < EXCHANGES; i++) {
                        o.write("PING\r\n".getBytes(US_ASCII));
                        o.flush();
                        int got = 0;
                        while (got < reply.length) {
                            int n = in.read(reply, got, reply.length - got);
                            assertThat(n).as("reply").isPositive();
                            got += n;
                        }
                        assertThat(new String(reply, US_ASCII)).isEqualTo("+PONG\r\n");
                    }
                    int localPort = s.getLocalPort();
                    // the server side of this connection: its exchanges, then its records
                    List<L7Record> served = await(EXCHANGES, () -> l7.stream()
                            .filter(r -> r.side() == L7Record.Side.SERVER && r.clientPort() == localPort).toList(),
                            mode + " server-side exchanges");
                    long id = served.get(0).connectionId();
                    ids.add(id);
                    int server0 = served.get(0).pid();
                    assertThat(served).allSatisfy(r -> {
                        assertThat(r.connectionId()).isEqualTo(id);
                        assertThat(r.pid()).isEqualTo(server0);
                        assertThat(new String(r.request(), US_ASCII)).isEqualTo("PING\r\n");
                        assertThat(new String(r.response(), US_ASCII)).isEqualTo("+PONG\r\n");
                    });
                    if (servedByChild) {
                        assertThat(server0).as("served by the forked child").isNotEqualTo(parent);
                    } else {
                        assertThat(server0).as("served by the parent").isEqualTo(parent);
                    }
                    s.close();
                    List<ConnectionRecord> records = await(2, () -> lifecycle(id), mode + " connection records");
                    assertThat(records).extracting(ConnectionRecord::kind)
                            .containsExactly(ConnectionRecord.Kind.OPEN, ConnectionRecord.Kind.CLOSE);
                    assertThat(records.get(0).pid()).as("accepted by the parent").isEqualTo(parent);
                    assertThat(records.get(1).pid()).as("closed by the server").isEqualTo(server0);
                    assertThat(records.get(1).bytesReceived()).isEqualTo(6L * EXCHANGES);
                    assertThat(records.get(1).bytesSent()).isEqualTo(7L * EXCHANGES);
                }
            }
            // Once every forked process is gone: nothing more of these connections (a helper's
            // file I/O on a freed fd number would show up here as exchanges or a CLOSE).
            Thread.sleep(1_500);
            for (long id : ids) {
                assertThat(l7.stream().filter(r -> r.connectionId() == id)).as("exchanges of %d", id).hasSize(EXCHANGES);
                assertThat(lifecycle(id)).as("records of %d", id).hasSize(2);
            }
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Waits until the query has {@code n} items, then a little more for any extra; exactly n. */
    /** A connection's OPEN and CLOSE records; retransmits are the loopback's under load, not its lifecycle. */
    private static List<ConnectionRecord> lifecycle(long id) {
        return conns.stream().filter(r -> r.connectionId() == id && r.kind() != ConnectionRecord.Kind.RETRANSMIT).toList();
    }

    private static <T> List<T> await(int n, Supplier<List<T>> query, String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        List<T> got = query.get();
        while (got.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
            got = query.get();
        }
        Thread.sleep(300);
        got = query.get();
        assertThat(got).as(what).hasSize(n);
        return got;
    }
}
