package io.peregrine.agent.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.peregrine.agent.l7.Decoders;
import io.peregrine.agent.l7.Exchange;
import io.peregrine.schema.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Connections established BEFORE the sensor starts (a Redis client of redis-server, an HTTP/1.1
 * keep-alive connection to the JDK's HttpServer, one of whose requests is still being served when
 * the sensor starts): the sensor adopts them at its start, and every exchange after that is reported
 * exactly once per side, with the right client and server, and nothing from the exchange that
 * straddles the start. The adopted HTTP connection's close is seen and forgets its kernel state.
 * An HTTP/2 connection adopted after its preface (gRPC) cannot be decoded (no HPACK state): it is
 * skipped, not reported with wrong names.
 *
 * <p>Needs root, BTF and redis-server; skipped without them on a developer machine, failed in CI.
 */
class AdoptedConnectionsIT {

    private static final int PID = (int) ProcessHandle.current().pid();
    private static final int N = 100;
    private static final Duration BOUND = Duration.ofSeconds(20);

    private final Queue<L7Record> l7 = new ConcurrentLinkedQueue<>();
    private final Queue<ConnectionRecord> conns = new ConcurrentLinkedQueue<>();

    @Test
    void shouldReportEveryExchangeOfConnectionsOpenBeforeTheStart() throws Exception {
        EbpfTestSupport.requireLoader();
        EbpfTestSupport.requireEbpfHost();
        EbpfTestSupport.require(LocalServers.installed("redis-server"), "redis-server is not installed");
        CountDownLatch release = new CountDownLatch(1);
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/slow")) {
                try {
                    release.await(60, TimeUnit.SECONDS);  // answered once the sensor runs
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int status = switch (path) {
                case "/missing" -> 404;
                case "/fail" -> 500;
                default -> 200;
            };
            byte[] body = ("answer to " + path).getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        });
        http.start();
        int httpPort = http.getAddress().getPort();
        EbpfSensor sensor = null;
        try (LocalServers.Server redis = LocalServers.redis(); Jedis jedis = new Jedis("127.0.0.1", redis.port);
                Socket client = new Socket(InetAddress.getLoopbackAddress(), httpPort)) {
            // ---- before the sensor: exchanges on both connections, and one request left unanswered
            jedis.set("text", "not a number");
            for (int i = 0; i < 5; i++) {
                jedis.incr("before");
            }
            client.setTcpNoDelay(true);
            OutputStream out = client.getOutputStream();
            InputStream in = new java.io.BufferedInputStream(client.getInputStream(), 8192);
            for (int i = 0; i < 3; i++) {
                assertThat(exchange(out, in, "/ok")).isEqualTo(200);
            }
            request(out, "/slow");
            int redisClientPort = localPort(jedis);
            int httpClientPort = client.getLocalPort();

            sensor = start(new SensorListener() {
                @Override
                public void onConnection(ConnectionRecord r) {
                    if (r.localPort() == httpClientPort || r.remotePort() == httpClientPort
                            || r.localPort() == redisClientPort || r.remotePort() == redisClientPort) {
                        conns.add(r);
                    }
                }

                @Override
                public void onL7(L7Record r) {
                    if (r.clientPort() == httpClientPort || r.clientPort() == redisClientPort) {
                        l7.add(r);
                    }
                }

                @Override
                public void onProcess(ProcessRecord r) {}
            });

            // ---- adopted: both ends of both connections, each with its direction, and no OPEN
            List<ConnectionRecord> adopted = await(4, () -> conns.stream()
                    .filter(r -> r.kind() == ConnectionRecord.Kind.ADOPTED).toList(), "adopted connections");
            assertThat(adopted).allSatisfy(r -> {
                assertThat(r.adopted()).isTrue();
                assertThat(r.tcpState()).isEqualTo(1);
                boolean server = r.localPort() == httpPort || r.localPort() == redis.port;
                assertThat(r.direction()).isEqualTo(server
                        ? ConnectionRecord.Direction.INBOUND : ConnectionRecord.Direction.OUTBOUND);
                assertThat(r.pid()).isEqualTo(r.localPort() == redis.port ? (int) redis.pid() : PID);
            });
            assertThat(adopted).extracting(ConnectionRecord::localPort)
                    .containsExactlyInAnyOrder(httpClientPort, httpPort, redisClientPort, redis.port);

            // ---- the exchange that straddles the start: answered now, reported by neither side
            release.countDown();
            assertThat(response(in)).isEqualTo(200);

            List<Integer> httpTruth = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                String path = i % 10 == 3 ? "/missing" : i % 10 == 7 ? "/fail" : "/ok";
                httpTruth.add(exchange(out, in, path));
            }
            List<String> redisStatuses = new ArrayList<>();
            List<String> redisMethods = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                try {
                    if (i % 10 == 9) {
                        redisMethods.add("INCR");
                        jedis.incr("text"); // a string that is no number: -ERR
                    } else if (i % 2 == 0) {
                        redisMethods.add("SET");
                        jedis.set("k" + i, "v" + i);
                    } else {
                        redisMethods.add("GET");
                        jedis.get("k" + (i - 1));
                    }
                    redisStatuses.add("ok");
                } catch (JedisDataException expected) {
                    redisStatuses.add("error");
                }
            }
            assertThat(httpTruth).filteredOn(s -> s == 500).hasSize(10);
            assertThat(redisStatuses).filteredOn(s -> s.equals("error")).hasSize(10);

            Decoders decoders = Decoders.all();
            for (L7Record.Side side : L7Record.Side.values()) {
                // HTTP: both ends are this JVM.
                List<L7Record> h = settle(N, () -> sorted(l7.stream().filter(r -> r.side() == side
                        && r.clientPort() == httpClientPort).toList()), "HTTP " + side);
                assertThat(h).as("HTTP %s", side).allSatisfy(r -> {
                    assertThat(r.pid()).isEqualTo(PID);
                    assertThat(r.serverPort()).isEqualTo(httpPort);
                    assertThat(r.protocol()).isEqualTo(L7Record.Protocol.HTTP);
                    assertThat(r.noResponse()).isFalse();
                });
                assertThat(h).extracting(L7Record::status).as("HTTP %s statuses", side).isEqualTo(httpTruth);
                assertThat(h).extracting(r -> r.connectionId()).as("one connection id per side").containsOnly(
                        adoptedId(adopted, side == L7Record.Side.CLIENT ? httpClientPort : httpPort));

                // Redis: Jedis in this JVM, redis-server's own process on the other end.
                List<L7Record> r7 = settle(N, () -> sorted(l7.stream().filter(r -> r.side() == side
                        && r.clientPort() == redisClientPort).toList()), "Redis " + side);
                List<Exchange> decoded = new ArrayList<>();
                for (L7Record r : r7) {
                    assertThat(r.pid()).isEqualTo(side == L7Record.Side.CLIENT ? PID : (int) redis.pid());
                    assertThat(r.serverPort()).isEqualTo(redis.port);
                    assertThat(decoders.recognize(r.request(), r.serverPort())).as("Redis request %s", r)
                            .isSameAs(decoders.forProtocol(Protocol.REDIS));
                    decoded.addAll(decoders.forProtocol(Protocol.REDIS).decodeTurn(r.request(), r.response(), null));
                }
                assertThat(decoded).extracting(Exchange::method).as("Redis %s methods", side).isEqualTo(redisMethods);
                assertThat(decoded).extracting(Exchange::status).as("Redis %s statuses", side).isEqualTo(redisStatuses);
            }

            // ---- the adopted HTTP connection closes: both ends report it, and forget it in the kernel
            client.close();
            List<ConnectionRecord> closed = await(2, () -> conns.stream()
                    .filter(r -> r.kind() == ConnectionRecord.Kind.CLOSE
                            && (r.localPort() == httpClientPort || r.remotePort() == httpClientPort)).toList(),
                    "closes of the adopted HTTP connection");
            assertThat(closed).allSatisfy(r -> assertThat(r.adopted()).isTrue());
            assertThat(closed).extracting(ConnectionRecord::connectionId).containsExactlyInAnyOrder(
                    adoptedId(adopted, httpClientPort), adoptedId(adopted, httpPort));
            int loader = sensor.loader().orElseThrow().loaderPid();
            for (ConnectionRecord a : adopted) {
                if (a.localPort() == httpClientPort || a.localPort() == httpPort) {
                    assertThat(trackedEntries(loader, "conns", a.pid(), a.fd())).as("conns entry of %s", a).isZero();
                    assertThat(trackedEntries(loader, "socks", a.pid(), a.fd())).as("socks entry of %s", a).isZero();
                } else {
                    // the Redis connection is still open: its entries are there (the check can fail)
                    assertThat(trackedEntries(loader, "conns", a.pid(), a.fd())).as("conns entry of %s", a).isOne();
                }
            }
            assertThat(sensor.lastStats()).hasValueSatisfying(s -> assertThat(s.adoptedConnections()).isGreaterThanOrEqualTo(4));
        } finally {
            release.countDown();
            http.stop(0);
            if (sensor != null) {
                sensor.close();
                assertThat(sensor.restarts()).isZero();
                assertThat(sensor.badFrames()).isEmpty();
            }
        }
    }

    private static final MethodDescriptor<byte[], byte[]> GET =
            GrpcBytes.method(MethodDescriptor.MethodType.UNARY, "peregrine.test.Store/Get");

    @Test
    void shouldSkipAnHttp2ConnectionAdoptedAfterItsPreface() throws Exception {
        EbpfTestSupport.requireLoader();
        EbpfTestSupport.requireEbpfHost();
        ServerServiceDefinition service = ServerServiceDefinition.builder("peregrine.test.Store")
                .addMethod(GET, ServerCalls.asyncUnaryCall((request, observer) -> {
                    if (new String(request, StandardCharsets.UTF_8).startsWith("missing")) {
                        observer.onError(Status.NOT_FOUND.withDescription("no such key").asRuntimeException());
                    } else {
                        observer.onNext(request);
                        observer.onCompleted();
                    }
                }))
                .build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .directExecutor().addService(service).build().start();
        int port = server.getPort();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor()
                .build();
        Queue<Http2Chunk> chunks = new ConcurrentLinkedQueue<>();
        EbpfSensor sensor = null;
        try {
            for (int i = 0; i < 5; i++) { // the preface and the HPACK tables' first entries: before the sensor
                ClientCalls.blockingUnaryCall(channel, GET, CallOptions.DEFAULT, ("key" + i).getBytes(StandardCharsets.UTF_8));
            }
            sensor = start(new SensorListener() {
                @Override
                public void onConnection(ConnectionRecord r) {
                    if (r.localPort() == port || r.remotePort() == port) {
                        conns.add(r);
                    }
                }

                @Override
                public void onL7(L7Record r) {
                    if (r.serverPort() == port) {
                        l7.add(r);
                    }
                }

                @Override
                public void onHttp2(Http2Chunk c) {
                    if ((c.side() == L7Record.Side.CLIENT ? c.remotePort() : c.localPort()) == port) {
                        chunks.add(c);
                    }
                }

                @Override
                public void onProcess(ProcessRecord r) {}
            });
            List<ConnectionRecord> adopted = await(2, () -> conns.stream()
                    .filter(r -> r.kind() == ConnectionRecord.Kind.ADOPTED).toList(), "adopted gRPC connection");
            assertThat(adopted).extracting(ConnectionRecord::direction).containsExactlyInAnyOrder(
                    ConnectionRecord.Direction.INBOUND, ConnectionRecord.Direction.OUTBOUND);
            int errors = 0;
            for (int i = 0; i < N; i++) {
                try {
                    ClientCalls.blockingUnaryCall(channel, GET, CallOptions.DEFAULT,
                            ((i % 10 == 3 ? "missing" : "key") + i).getBytes(StandardCharsets.UTF_8));
                } catch (StatusRuntimeException e) {
                    errors++;
                }
            }
            assertThat(errors).isEqualTo(10);
            Thread.sleep(1_000); // what the sensor would report has come by now (poll 20 ms)
            assertThat(l7).as("paired records of the adopted HTTP/2 connection").isEmpty();
            assertThat(chunks).as("HTTP/2 chunks of the adopted connection").isEmpty();
            assertThat(conns).as("still the one adopted connection")
                    .allSatisfy(r -> assertThat(r.kind()).isEqualTo(ConnectionRecord.Kind.ADOPTED));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            if (sensor != null) {
                sensor.close();
                assertThat(sensor.restarts()).isZero();
                assertThat(sensor.badFrames()).isEmpty();
            }
        }
    }

    @Test
    void shouldLeaveConnectionsOpenBeforeTheStartAloneWhenAdoptionIsOff() throws Exception {
        EbpfTestSupport.requireLoader();
        EbpfTestSupport.requireEbpfHost();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 2);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write("ok".getBytes(StandardCharsets.US_ASCII));
            }
        });
        http.start();
        int httpPort = http.getAddress().getPort();
        EbpfSensor sensor = null;
        try (Socket before = new Socket(InetAddress.getLoopbackAddress(), httpPort)) {
            OutputStream out = before.getOutputStream();
            InputStream in = new java.io.BufferedInputStream(before.getInputStream(), 8192);
            assertThat(exchange(out, in, "/before")).isEqualTo(200);
            sensor = start(new SensorListener() {
                @Override
                public void onConnection(ConnectionRecord r) {
                    if (r.localPort() == httpPort || r.remotePort() == httpPort) {
                        conns.add(r);
                    }
                }

                @Override
                public void onL7(L7Record r) {
                    if (r.serverPort() == httpPort) {
                        l7.add(r);
                    }
                }

                @Override
                public void onProcess(ProcessRecord r) {}
            }, Map.of(EbpfSensorConfig.ADOPT_EXISTING, "false"));
            for (int i = 0; i < 10; i++) {
                assertThat(exchange(out, in, "/old")).isEqualTo(200);
            }
            // A connection opened after the start is followed: the sensor runs, and it is what tells.
            try (Socket after = new Socket(InetAddress.getLoopbackAddress(), httpPort)) {
                OutputStream o2 = after.getOutputStream();
                InputStream i2 = new java.io.BufferedInputStream(after.getInputStream(), 8192);
                for (int i = 0; i < 10; i++) {
                    assertThat(exchange(o2, i2, "/new")).isEqualTo(200);
                }
                int afterPort = after.getLocalPort();
                List<L7Record> fresh = await(20, () -> l7.stream().filter(r -> r.clientPort() == afterPort).toList(),
                        "exchanges of the new connection, both sides");
                assertThat(fresh).hasSize(20);
            }
            int beforePort = before.getLocalPort();
            assertThat(l7).noneMatch(r -> r.clientPort() == beforePort);
            assertThat(conns).noneMatch(r -> r.kind() == ConnectionRecord.Kind.ADOPTED);
            assertThat(sensor.lastStats()).hasValueSatisfying(s -> assertThat(s.adoptedConnections()).isZero());
        } finally {
            http.stop(0);
            if (sensor != null) {
                sensor.close();
                assertThat(sensor.badFrames()).isEmpty();
            }
        }
    }

    private static EbpfSensor start(SensorListener listener) throws InterruptedException {
        return start(listener, Map.of());
    }

    private static EbpfSensor start(SensorListener listener, Map<String, String> more) throws InterruptedException {
        Map<String, String> config = new java.util.HashMap<>(Map.of(
                EbpfSensorConfig.IGNORE_OWN_PROCESS, "false",
                EbpfSensorConfig.POLL_MS, "20",
                EbpfSensorConfig.STATS_MS, "200"));
        config.putAll(more);
        return EbpfTestSupport.startedSensor(config, listener);
    }

    private static long adoptedId(List<ConnectionRecord> adopted, int localPort) {
        return adopted.stream().filter(r -> r.localPort() == localPort).findFirst().orElseThrow().connectionId();
    }

    private static List<L7Record> sorted(List<L7Record> records) {
        return records.stream().sorted(Comparator.comparingLong(L7Record::startMonotonicNanos)).toList();
    }

    /** Waits until {@code get} has at least {@code n} elements. */
    private static <T> List<T> await(int n, Supplier<List<T>> get, String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        List<T> got = get.get();
        while (got.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
            got = get.get();
        }
        assertThat(got).as(what).hasSizeGreaterThanOrEqualTo(n);
        return got;
    }

    /** Waits for {@code n} elements, then a while longer, so that an extra one would show up. */
    private static <T> List<T> settle(int n, Supplier<List<T>> get, String what) throws InterruptedException {
        await(n, get, what);
        Thread.sleep(500);
        List<T> got = get.get();
        assertThat(got).as(what).hasSize(n);
        return got;
    }

    /** Entries of the loader's map {@code name} (conns: its key; socks: its value) for (pid, fd). */
    private static int trackedEntries(int loaderPid, String name, int pid, int fd) throws Exception {
        String id = null;
        // The loader's own maps (other sensors may run on the host): the map ids of its fds.
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc", Integer.toString(loaderPid), "fdinfo"))) {
            for (java.nio.file.Path f : fds.toList()) {
                Matcher m = Pattern.compile("map_id:\\s*(\\d+)").matcher(java.nio.file.Files.readString(f));
                if (m.find() && run("bpftool", "-j", "map", "show", "id", m.group(1)).contains("\"name\":\"" + name + "\"")) {
                    id = m.group(1);
                    break;
                }
            }
        }
        assertThat(id).as("map %s of loader %d", name, loaderPid).isNotNull();
        String dump = run("bpftool", "-j", "map", "dump", "id", id);
        Matcher e = Pattern.compile("\"tgid\":\\s*" + pid + ",\\s*\"fd\":\\s*" + fd + "\\b").matcher(dump);
        int n = 0;
        while (e.find()) {
            n++;
        }
        return n;
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as(String.join(" ", cmd)).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The client's port, as the server sees it (CLIENT INFO, before the sensor starts). */
    private static int localPort(Jedis jedis) {
        Matcher m = Pattern.compile("\\baddr=[^ ]*:(\\d+) ").matcher(jedis.clientInfo());
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static void request(OutputStream out, String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static int exchange(OutputStream out, InputStream in, String path) throws IOException {
        request(out, path);
        return response(in);
    }

    /** Reads one response with a Content-Length; returns its status. */
    private static int response(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in a response head");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        Matcher len = Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(text);
        if (!len.find()) {
            throw new IOException("no Content-Length in " + text);
        }
        in.readNBytes(Integer.parseInt(len.group(1)));
        return Integer.parseInt(text.substring(9, 12));
    }
}
