package io.peregrine.agent.l7;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.peregrine.agent.ebpf.GrpcBytes;
import io.peregrine.agent.l7.RecordingProxy.Captured;
import io.peregrine.kafka.EmbeddedKafka;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Captures the fixtures of the HTTP/1.x, HTTP/2, gRPC, Kafka and DNS decoders from real clients
 * talking to real servers on loopback through a {@link RecordingProxy}, and writes them as
 * {@code <dir>/<protocol>/<case>.req} and {@code .resp} (see the README of each folder).
 *
 * <pre>
 * cd edge-agent
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/test.cp) io.peregrine.agent.l7.FixtureCapture \
 *     src/test/resources/l7 [http|http2|grpc|kafka|dns ...]
 * </pre>
 *
 * (a plain JVM rather than exec:java: the embedded broker is started with this JVM's class path.)
 * Needs curl, nginx (nginx-light), dnsmasq and dig (bind9-dnsutils) on the PATH.
 */
public final class FixtureCapture {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private final Path out;
    private final Path work;

    private FixtureCapture(Path out) throws IOException {
        this.out = out;
        this.work = Files.createTempDirectory("peregrine-capture");
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/l7");
        List<String> which = args.length > 1 ? List.of(args).subList(1, args.length)
                : List.of("http", "http2", "grpc", "kafka", "dns");
        FixtureCapture capture = new FixtureCapture(out);
        for (String w : which) {
            switch (w) {
                case "http" -> capture.http();
                case "http2" -> capture.http2();
                case "grpc" -> capture.grpc();
                case "kafka" -> capture.kafka();
                case "dns" -> capture.dns();
                default -> throw new IllegalArgumentException("unknown protocol " + w);
            }
        }
        System.exit(0); // client libraries leave non-daemon threads behind
    }

    // ---------------------------------------------------------------- HTTP/1.x

    private void http() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            ex.getRequestBody().readAllBytes();
            if (path.startsWith("/hangup")) {
                ex.close(); // no status line: the client sees the connection close
                return;
            }
            int status = path.contains("/fail") ? 500 : path.contains("/missing") ? 404 : 200;
            byte[] body = ("status " + status + "\n").getBytes(StandardCharsets.US_ASCII);
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        Nginx nginx = Nginx.start(work.resolve("nginx-http1"));
        try (RecordingProxy jdk = RecordingProxy.tcp(new InetSocketAddress(LOOPBACK, server.getAddress().getPort()));
                RecordingProxy ngx = RecordingProxy.tcp(new InetSocketAddress(LOOPBACK, nginx.http1Port))) {
            String base = "http://127.0.0.1:" + jdk.port();
            curl("-H", "traceparent: " + TRACEPARENT, base + "/users/42/orders?page=2");
            save("http", "get-200-curl", only(jdk, 0));

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/items/550e8400-e29b-41d4-a716-446655440000/fail"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"qty\":3}")).build(), HttpResponse.BodyHandlers.ofString());
            save("http", "post-500-jdkclient", only(jdk, 0));

            curl("-o", "/dev/null", base + "/a/1", base + "/blobs/0bd32c4ff15489ca4b50df2056017c3323455478");
            save("http", "keepalive-second-curl", only(jdk, 1));

            curl(base + "/hangup/7");
            save("http", "no-response-curl", only(jdk, 0));

            curl("-H", "Expect: 100-continue", "--data-binary", "@" + bigFile(2000), base + "/upload/99");
            save("http", "expect-100-curl", only(jdk, 0));

            String ngxBase = "http://localhost:" + ngx.port();
            curl(ngxBase + "/missing/report-2024-01-15.pdf?download=1");
            save("http", "get-404-nginx", only(ngx, 0));

            curl(ngxBase + "/static/app.js");
            save("http", "get-200-nginx", only(ngx, 0));

            curl(ngxBase + "/search/" + "x9".repeat(700));
            save("http", "long-target-nginx", only(ngx, 0));
        } finally {
            server.stop(0);
            nginx.stop();
        }
    }

    // ---------------------------------------------------------------- HTTP/2 (h2c)

    private void http2() throws Exception {
        Nginx nginx = Nginx.start(work.resolve("nginx-http2"));
        try (RecordingProxy ngx = RecordingProxy.tcp(new InetSocketAddress(LOOPBACK, nginx.http2Port))) {
            String base = "http://localhost:" + ngx.port();
            curl("--http2-prior-knowledge", "-H", "traceparent: " + TRACEPARENT, base + "/static/app.js?v=3");
            save("http2", "get-200-curl", firstWithHeaders(ngx, 0));

            curl("--http2-prior-knowledge", base + "/missing/5f3a9c2e-1d4b-4e8a-9c7f-2b6d8e0a1c3f");
            save("http2", "get-404-curl", firstWithHeaders(ngx, 0));

            curl("--http2-prior-knowledge", base + "/fail/now");
            save("http2", "get-503-curl", firstWithHeaders(ngx, 0));

            // (curl 7.88 does not reuse an h2c prior-knowledge connection for a second URL, so a
            // request in the middle of a connection is captured from gRPC, see grpc/second-call.)
        } finally {
            nginx.stop();
        }
    }

    // ---------------------------------------------------------------- gRPC

    private void grpc() throws Exception {
        MethodDescriptor<byte[], byte[]> say =
                GrpcBytes.method(MethodDescriptor.MethodType.UNARY, "peregrine.test.Echo/Say");
        ServerServiceDefinition service = ServerServiceDefinition.builder("peregrine.test.Echo")
                .addMethod(say, ServerCalls.asyncUnaryCall((request, observer) -> {
                    String text = new String(request, StandardCharsets.UTF_8);
                    if (text.equals("missing")) {
                        observer.onError(Status.NOT_FOUND.withDescription("no such key").asRuntimeException());
                    } else if (text.equals("down")) {
                        observer.onError(Status.UNAVAILABLE.withDescription("backend down").asRuntimeException());
                    } else {
                        observer.onNext(request);
                        observer.onCompleted();
                    }
                }))
                .build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0)).addService(service).build().start();
        try (RecordingProxy proxy = RecordingProxy.tcp(new InetSocketAddress(LOOPBACK, server.getPort()))) {
            call(proxy, say, "hello", "hello");
            save("grpc", "unary-ok", firstWithHeaders(proxy, 0));
            call(proxy, say, "missing");
            save("grpc", "unary-not-found", firstWithHeaders(proxy, 0));
            call(proxy, say, "down");
            save("grpc", "unary-unavailable", firstWithHeaders(proxy, 0));
            call(proxy, say, "first", "second");
            save("grpc", "second-call", firstWithHeaders(proxy, 1));
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Calls {@code method} once per message on one new channel through {@code proxy}. */
    private static void call(RecordingProxy proxy, MethodDescriptor<byte[], byte[]> method, String... messages)
            throws InterruptedException {
        proxy.clear();
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), TRACEPARENT);
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", proxy.port()).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
        try {
            for (String m : messages) {
                try {
                    ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                            m.getBytes(StandardCharsets.UTF_8));
                } catch (StatusRuntimeException expected) {
                    System.out.println("gRPC " + m + ": " + expected.getStatus());
                }
            }
        } finally {
            channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
        }
        Thread.sleep(200);
    }

    // ---------------------------------------------------------------- Kafka

    private void kafka() throws Exception {
        int brokerPort;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            brokerPort = s.getLocalPort();
        }
        // Clients learn the broker's address from its metadata: advertise the proxy, so every
        // connection of the clients goes through it.
        try (RecordingProxy proxy = RecordingProxy.tcp(new InetSocketAddress(LOOPBACK, brokerPort));
                EmbeddedKafka kafka = EmbeddedKafka.builder()
                        .dataDir(work.resolve("kafka"))
                        .logFile(work.resolve("kafka/broker.log"))
                        .host("127.0.0.1")
                        .port(brokerPort)
                        .brokerProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + proxy.port())
                        .start()) {
            String bootstrap = "127.0.0.1:" + proxy.port();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "client.id", "fixture-admin"))) {
                admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("client.id", "fixture-producer");
            p.put("max.block.ms", "3000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("orders", "k1", "order 1")).get(30, TimeUnit.SECONDS);
                try {
                    producer.send(new ProducerRecord<>("no-such-topic", "k", "v")).get(10, TimeUnit.SECONDS);
                } catch (Exception expected) {
                    System.out.println("produce to a missing topic: " + expected);
                }
            }
            Properties c = new Properties();
            c.put("bootstrap.servers", bootstrap);
            c.put("client.id", "fixture-consumer");
            c.put("group.id", "fixture-group");
            c.put("auto.offset.reset", "earliest");
            c.put("enable.auto.commit", "false");
            c.put("heartbeat.interval.ms", "300");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("orders"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int seen = 0;
                while (seen == 0 && System.nanoTime() < deadline) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                    seen += records.count();
                }
                consumer.commitSync();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (System.nanoTime() < until) {
                    consumer.poll(Duration.ofMillis(200)); // heartbeats
                }
            }
            // the first two exchanges of each API of each client, named after the API
            Map<String, Integer> counts = new HashMap<>();
            for (RecordingProxy.Conversation conv : proxy.conversations()) {
                for (Captured x : conv.exchanges(false)) {
                    byte[] r = x.request();
                    if (r.length < 14) {
                        continue;
                    }
                    int key = ((r[4] & 0xFF) << 8) | (r[5] & 0xFF);
                    int version = ((r[6] & 0xFF) << 8) | (r[7] & 0xFF);
                    String clientId = new String(r, 14, Math.min(((r[12] & 0xFF) << 8) | (r[13] & 0xFF), r.length - 14),
                            StandardCharsets.US_ASCII);
                    if (!clientId.startsWith("fixture-producer") && !clientId.startsWith("fixture-consumer")
                            || !ApiKeys.hasId(key)) {
                        continue;
                    }
                    String api = ApiKeys.forId(key).name.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
                    String who = clientId.startsWith("fixture-producer") ? "producer" : "consumer";
                    String name = who + "-" + api + "-v" + version;
                    int n = counts.merge(name, 1, Integer::sum);
                    if (n <= 2) {
                        save("kafka", n == 1 ? name : name + "-2", x);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- DNS

    private void dns() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            port = s.getLocalPort();
        }
        int unsignedPort;
        int validatingPort;
        try (ServerSocket a = new ServerSocket(0, 1, LOOPBACK); ServerSocket b = new ServerSocket(0, 1, LOOPBACK)) {
            unsignedPort = a.getLocalPort();
            validatingPort = b.getLocalPort();
        }
        Process dnsmasq = dnsmasq("main", port,
                "--local-ttl=300",
                "--host-record=api.example.test,10.1.2.3,fd00::5",
                "--address=/multi.example.test/10.0.0.1", "--address=/multi.example.test/10.0.0.2",
                "--cname=www.example.test,api.example.test",
                "--address=/blocked.test/");
        // SERVFAIL from a validating resolver: upstream data without DNSSEC signatures under the
        // root trust anchor is bogus.
        Process unsigned = dnsmasq("unsigned", unsignedPort, "--address=/fail.test/10.9.9.9");
        Process validating = dnsmasq("validating", validatingPort, "--server=127.0.0.1#" + unsignedPort,
                "--dnssec", "--dnssec-check-unsigned",
                "--trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D");
        try (RecordingProxy udp = RecordingProxy.udp(new InetSocketAddress(LOOPBACK, port));
                RecordingProxy tcp = RecordingProxy.tcp(new InetSocketAddress(LOOPBACK, port));
                RecordingProxy validatingUdp = RecordingProxy.udp(new InetSocketAddress(LOOPBACK, validatingPort))) {
            Thread.sleep(500);
            dig(udp, "a-noerror", "api.example.test", "A");
            dig(udp, "aaaa-noerror", "api.example.test", "AAAA");
            dig(udp, "cname-chain", "WWW.Example.test", "A");
            dig(udp, "two-answers", "multi.example.test", "A");
            dig(udp, "nxdomain", "host.blocked.test", "A");
            dig(udp, "refused", "elsewhere.invalid", "A");
            dig(validatingUdp, "servfail", "x.fail.test", "A");
            dig(udp, "mx-refused", "api.example.test", "MX");
            run("dig", "@127.0.0.1", "-p", Integer.toString(tcp.port()), "+tcp", "+tries=1", "+time=3",
                    "api.example.test", "A");
            save("dns", "tcp-a-noerror", only(tcp, 0));
        } finally {
            for (Process p : List.of(dnsmasq, unsigned, validating)) {
                p.destroy();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private Process dnsmasq(String name, int port, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("dnsmasq", "--keep-in-foreground", "--port=" + port,
                "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--conf-file=/dev/null", "--pid-file=" + work.resolve(name + ".pid"), "--user=root"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile()).start();
    }

    private void dig(RecordingProxy udp, String name, String qname, String type) throws Exception {
        udp.clear();
        run("dig", "@127.0.0.1", "-p", Integer.toString(udp.port()), "+tries=1", "+time=3", qname, type);
        Thread.sleep(100);
        List<Captured> all = new ArrayList<>();
        for (RecordingProxy.Conversation c : udp.conversations()) {
            all.addAll(c.exchanges(true));
        }
        if (all.isEmpty()) {
            throw new IllegalStateException("no DNS exchange for " + name);
        }
        save("dns", name, all.get(0));
    }

    // ---------------------------------------------------------------- helpers

    private static Captured only(RecordingProxy proxy, int exchange) throws InterruptedException {
        return pick(proxy, exchange, false, x -> true);
    }

    /** The {@code n}-th exchange whose request holds an HTTP/2 HEADERS frame. */
    private static Captured firstWithHeaders(RecordingProxy proxy, int n) throws InterruptedException {
        return pick(proxy, n, true, x -> hasHeadersFrame(x.request()));
    }

    private static Captured pick(RecordingProxy proxy, int n, boolean multiplexed, Predicate<Captured> which)
            throws InterruptedException {
        Thread.sleep(200);
        List<Captured> all = new ArrayList<>();
        List<Captured> everything = new ArrayList<>();
        for (RecordingProxy.Conversation c : proxy.conversations()) {
            for (Captured x : c.exchanges(false, multiplexed)) {
                everything.add(x);
                if (which.test(x)) {
                    all.add(x);
                }
            }
        }
        proxy.clear();
        if (all.size() <= n) {
            for (Captured x : everything) {
                System.out.println("request frames " + frameTypes(x.request()) + " response frames " + frameTypes(x.response()));
            }
            throw new IllegalStateException("only " + all.size() + " exchanges recorded");
        }
        return all.get(n);
    }

    private static String frameTypes(byte[] b) {
        StringBuilder s = new StringBuilder();
        int at = b.length >= 24 && b[0] == 'P' && b[1] == 'R' && b[2] == 'I' ? 24 : 0;
        while (at + 9 <= b.length) {
            int len = ((b[at] & 0xFF) << 16) | ((b[at + 1] & 0xFF) << 8) | (b[at + 2] & 0xFF);
            s.append(b[at + 3]).append('/').append(b[at + 8]).append(' ');
            at += 9 + len;
        }
        return s.toString();
    }

    private static boolean hasHeadersFrame(byte[] b) {
        int at = b.length >= 24 && b[0] == 'P' && b[1] == 'R' && b[2] == 'I' ? 24 : 0;
        while (at + 9 <= b.length) {
            int len = ((b[at] & 0xFF) << 16) | ((b[at + 1] & 0xFF) << 8) | (b[at + 2] & 0xFF);
            if (b[at + 3] == 1) {
                return true;
            }
            at += 9 + len;
        }
        return false;
    }

    private void save(String protocol, String name, Captured x) throws IOException {
        Path dir = out.resolve(protocol);
        Files.createDirectories(dir);
        Files.write(dir.resolve(name + ".req"), x.request());
        Files.write(dir.resolve(name + ".resp"), x.response());
        System.out.printf("%s/%s: request %d bytes, response %d bytes%n", protocol, name, x.request().length,
                x.response().length);
    }

    private Path bigFile(int n) throws IOException {
        Path f = work.resolve("body-" + n);
        Files.write(f, "b".repeat(n).getBytes(StandardCharsets.US_ASCII));
        return f;
    }

    private static void curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "--max-time", "5"));
        cmd.addAll(List.of(args));
        run(cmd.toArray(String[]::new));
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroy();
            throw new IllegalStateException("timed out: " + String.join(" ", cmd));
        }
    }

    /** nginx-light with an HTTP/1.1 and an h2c (prior knowledge) server on free loopback ports. */
    private static final class Nginx {
        final Process process;
        final int http1Port;
        final int http2Port;

        private Nginx(Process process, int http1Port, int http2Port) {
            this.process = process;
            this.http1Port = http1Port;
            this.http2Port = http2Port;
        }

        static Nginx start(Path dir) throws Exception {
            Files.createDirectories(dir);
            int p1;
            int p2;
            try (ServerSocket a = new ServerSocket(0, 1, LOOPBACK); ServerSocket b = new ServerSocket(0, 1, LOOPBACK)) {
                p1 = a.getLocalPort();
                p2 = b.getLocalPort();
            }
            String locations = """
                        location /static/ { default_type application/javascript; return 200 "ok\\n"; }
                        location /fail/ { return 503; }
                        location / { return 404; }
                    """;
            String conf = "daemon off;\nworker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\n"
                    + "error_log " + dir.resolve("error.log") + ";\n"
                    + "events { worker_connections 64; }\n"
                    + "http {\n  access_log off;\n"
                    + "  client_body_temp_path " + dir + "/body;\n  proxy_temp_path " + dir + "/proxy;\n"
                    + "  fastcgi_temp_path " + dir + "/fastcgi;\n  uwsgi_temp_path " + dir + "/uwsgi;\n"
                    + "  scgi_temp_path " + dir + "/scgi;\n"
                    + "  server {\n    listen 127.0.0.1:" + p1 + ";\n" + locations + "  }\n"
                    + "  server {\n    listen 127.0.0.1:" + p2 + " http2;\n" + locations + "  }\n}\n";
            Path confFile = dir.resolve("nginx.conf");
            Files.writeString(confFile, conf);
            Process process = new ProcessBuilder("nginx", "-c", confFile.toString(), "-p", dir.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try (java.net.Socket s = new java.net.Socket(LOOPBACK, p2)) {
                    break;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline || !process.isAlive()) {
                        throw new IllegalStateException("nginx did not start: " + Files.readString(dir.resolve("stdout.log")));
                    }
                    Thread.sleep(50);
                }
            }
            return new Nginx(process, p1, p2);
        }

        void stop() throws InterruptedException {
            process.destroy();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
