package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.peregrine.agent.cgroup.AppIdentifier;
import io.peregrine.agent.cgroup.CgroupReader;
import io.peregrine.agent.cgroup.ContainerMetadata;
import io.peregrine.agent.ebpf.ConnectionRecord;
import io.peregrine.agent.ebpf.EbpfSensor;
import io.peregrine.agent.ebpf.EbpfSensorConfig;
import io.peregrine.agent.ebpf.EbpfTestSupport;
import io.peregrine.agent.ebpf.GrpcBytes;
import io.peregrine.agent.ebpf.Http2Chunk;
import io.peregrine.agent.ebpf.L7Record;
import io.peregrine.agent.ebpf.ProcessRecord;
import io.peregrine.agent.ebpf.SensorListener;
import io.peregrine.agent.l7.Decoders;
import io.peregrine.agent.l7.http2.Http2Stats;
import io.peregrine.agent.procfs.ParseProblems;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.schema.L7Event;
import io.peregrine.schema.Protocol;
import io.peregrine.schema.Side;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 end to end, from real traffic to {@link L7Event}s: the sensor ships HTTP/2 connections as
 * chunks, {@link SensorEvents} follows them as the agent's collector does. Real servers and clients
 * on loopback: grpc-java (server and client in this JVM, one channel, unary calls with and without
 * errors and server-streaming calls), nginx (Debian's nginx-light, http_v2) over h2c driven by
 * curl with prior knowledge, and nginx over TLS (ALPN h2) through the OpenSSL probes. Ground truth
 * is what the clients report per request.
 *
 * <p>Needs root and BTF; skipped without them on a developer machine, failed in CI.
 */
class Http2TrafficIT {

  private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final Set<Integer> ports = ConcurrentHashMap.newKeySet();
  private static final List<L7Event> events = new ArrayList<>();
  private static SensorEvents mapper;
  private static EbpfSensor sensor;
  private static Process nginx;
  private static Path dir;
  private static int h2cPort;
  private static int tlsPort;

  @BeforeAll
  static void start() throws Exception {
    EbpfTestSupport.requireLoader();
    EbpfTestSupport.requireEbpfHost();
    EbpfTestSupport.require(Files.isExecutable(Path.of("/usr/sbin/nginx")), "nginx is not installed (nginx-light)");
    EbpfTestSupport.require(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
    EbpfTestSupport.require(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    ProcessIdentities ids = new ProcessIdentities(() -> null,
        new ProcFs(Path.of("/proc"), Path.of("/"), 100, ParseProblems.ignoring()),
        new CgroupReader(Path.of("/proc"), Path.of("/sys"), 100, ParseProblems.ignoring()),
        new AppIdentifier(ContainerMetadata.NONE), ParseProblems.ignoring(), 100);
    mapper = new SensorEvents(RecordStamp.counting(ListenTrackerTest.NODE, "run-1", 0), "l7", "conn", "life",
        Decoders.all(), ids, () -> null, SensorEvents.MAX_CONNECTIONS);
    // The sensor's thread feeds the mapper, as EbpfCollector's mapping thread does.
    sensor = EbpfTestSupport.startedSensor(Map.of(
        EbpfSensorConfig.IGNORE_OWN_PROCESS, "false",
        EbpfSensorConfig.POLL_MS, "20"), new SensorListener() {
          @Override
          public void onHttp2(Http2Chunk c) {
            if (ports.contains(c.side() == L7Record.Side.CLIENT ? c.remotePort() : c.localPort())) {
              List<L7Event> out = mapper.http2(c);
              synchronized (events) {
                events.addAll(out);
              }
            }
          }

          @Override
          public void onConnection(ConnectionRecord r) {
            List<L7Event> out = mapper.http2Closed(r);
            synchronized (events) {
              events.addAll(out);
            }
          }

          @Override
          public void onL7(L7Record r) {}

          @Override
          public void onProcess(ProcessRecord r) {}
        });
    startNginx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (nginx != null) {
      nginx.destroy();
      nginx.waitFor(10, TimeUnit.SECONDS);
    }
    if (sensor != null) {
      sensor.close();
    }
  }

  // ------------------------------------------------------------------------------------ gRPC

  private static final MethodDescriptor<byte[], byte[]> GET =
      GrpcBytes.method(MethodDescriptor.MethodType.UNARY, "peregrine.test.Store/Get");
  private static final MethodDescriptor<byte[], byte[]> WATCH =
      GrpcBytes.method(MethodDescriptor.MethodType.SERVER_STREAMING, "peregrine.test.Store/Watch");

  private static final ScheduledExecutorService WORK = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "grpc-test-work");
    t.setDaemon(true);
    return t;
  });

  /**
   * Get fails with NOT_FOUND for keys starting with "missing"; Watch streams three 2000-byte
   * messages. Each answers after {@code workMillis}, the time a real service works on a call.
   */
  private static Server grpcServer(int workMillis) throws IOException {
    ServerServiceDefinition service = ServerServiceDefinition.builder("peregrine.test.Store")
        .addMethod(GET, ServerCalls.asyncUnaryCall((request, observer) -> WORK.schedule(() -> {
          if (new String(request, StandardCharsets.UTF_8).startsWith("missing")) {
            observer.onError(Status.NOT_FOUND.withDescription("no such key").asRuntimeException());
          } else {
            observer.onNext(request);
            observer.onCompleted();
          }
        }, workMillis, TimeUnit.MILLISECONDS)))
        .addMethod(WATCH, ServerCalls.asyncServerStreamingCall((request, observer) -> WORK.schedule(() -> {
          for (int i = 0; i < 3; i++) {
            observer.onNext(new byte[2_000]); // DATA frames in one write with the trailers
          }
          observer.onCompleted();
        }, workMillis, TimeUnit.MILLISECONDS)))
        .build();
    return NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0)).directExecutor().addService(service)
        .build().start();
  }

  /**
   * The client's measurement of its calls, as a tracing interceptor takes it: from the call's start
   * to its close, which with a direct executor runs on the transport thread that read the trailers
   * (a blocking stub would add the wake-up of the waiting thread, milliseconds on a loaded host).
   */
  private static final class ClientTimer implements ClientInterceptor {
    final List<Long> nanos = new ArrayList<>();
    final List<Status.Code> codes = new ArrayList<>();

    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<A> listener, Metadata headers) {
          long t0 = System.nanoTime();
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              long t = System.nanoTime() - t0;
              synchronized (ClientTimer.this) {
                nanos.add(t);
                codes.add(status.getCode());
              }
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  }

  /**
   * Runs the calls one after the other on one channel; with a null timer, only to warm the JIT up.
   * Each call starts from the previous one's completion, on the channel's transport thread (direct
   * executor): the client's measurement then holds no hand-off between threads, which a loaded host
   * delays by milliseconds.
   */
  private static void grpcCalls(int port, int unary, int streaming, ClientTimer timer) throws Exception {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), TRACEPARENT);
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress("localhost", port).usePlaintext().directExecutor()
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    if (timer != null) {
      builder.intercept(timer);
    }
    ManagedChannel channel = builder.build();
    CompletableFuture<Void> all = new CompletableFuture<>();
    try {
      new Runnable() {
        int i;

        @Override
        public void run() {
          if (i == unary + streaming) {
            all.complete(null);
            return;
          }
          boolean stream = i >= unary;
          boolean missing = !stream && i % 10 == 9;
          byte[] message = ((missing ? "missing-" : "key-") + i).getBytes(StandardCharsets.UTF_8);
          Runnable next = this;
          StreamObserver<byte[]> observer = new StreamObserver<>() {
            int messages;

            @Override
            public void onNext(byte[] value) {
              messages++;
            }

            @Override
            public void onError(Throwable t) {
              end(missing && Status.fromThrowable(t).getCode() == Status.Code.NOT_FOUND, t.toString());
            }

            @Override
            public void onCompleted() {
              end(!missing && messages == (stream ? 3 : 1), messages + " messages");
            }

            private void end(boolean expected, String what) {
              if (!expected) {
                all.completeExceptionally(new AssertionError("call " + i + ": " + what));
                return;
              }
              i++;
              next.run();
            }
          };
          if (stream) {
            ClientCalls.asyncServerStreamingCall(channel.newCall(WATCH, CallOptions.DEFAULT), message, observer);
          } else {
            ClientCalls.asyncUnaryCall(channel.newCall(GET, CallOptions.DEFAULT), message, observer);
          }
        }
      }.run();
      all.get(60, TimeUnit.SECONDS);
    } finally {
      channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldReportEveryGrpcCallWithItsStatusAndTheClientsLatency() throws Exception {
    Server warmUp = grpcServer(0);
    try {
      grpcCalls(warmUp.getPort(), 200, 20, null); // not watched: its port is not among `ports`
    } finally {
      warmUp.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
    Server server = grpcServer(20);
    int port = server.getPort();
    ports.add(port);
    int unary = 300;
    int streaming = 20;
    int calls = unary + streaming;
    ClientTimer timer = new ClientTimer();
    try {
      grpcCalls(port, unary, streaming, timer);
    } finally {
      server.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
    List<String> expectedMethods = new ArrayList<>();
    List<String> expectedStatus = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      expectedMethods.add(i >= unary ? "/peregrine.test.Store/Watch" : "/peregrine.test.Store/Get");
      expectedStatus.add(i < unary && i % 10 == 9 ? "grpc:NOT_FOUND" : "grpc:OK");
    }
    assertThat(timer.codes.stream().map(c -> c == Status.Code.OK ? "grpc:OK" : "grpc:" + c).collect(Collectors.toList()))
        .isEqualTo(expectedStatus);
    for (Side side : List.of(Side.CLIENT, Side.SERVER)) {
      List<L7Event> got = await(port, side, calls);
      assertThat(got).allSatisfy(e -> {
        assertThat(e.getProtocol()).isEqualTo(Protocol.GRPC);
        assertThat(e.getMethod()).isEqualTo("POST");
        assertThat(e.getServerName()).isEqualTo("localhost");
        assertThat(e.getTraceparent()).isEqualTo(TRACEPARENT);
        assertThat(e.getTls()).isFalse();
        assertThat(e.getPid()).isEqualTo((int) ProcessHandle.current().pid());
        assertThat(e.getRequestBytes()).isPositive();
        assertThat(e.getResponseBytes()).isPositive();
      });
      // The calls are sequential, so the streams end in call order on both sides.
      assertThat(got.stream().map(L7Event::getResource).collect(Collectors.toList())).isEqualTo(expectedMethods);
      assertThat(got.stream().map(L7Event::getStatus).collect(Collectors.toList())).isEqualTo(expectedStatus);
      assertThat(got.stream().filter(L7Event::getError).count()).isEqualTo(30);
      assertThat(got.stream().filter(e -> "grpc:NOT_FOUND".equals(e.getStatus()))
          .allMatch(e -> e.getStatusCode() == 5)).isTrue();
      assertThat(got.subList(unary, calls)).allSatisfy(e -> assertThat(e.getResponseBytes()).isGreaterThan(6_000));
      // Each stream lies within the client's call (same monotonic clock): never longer than it,
      List<Long> off = new ArrayList<>();
      long[] diffs = new long[calls];
      for (int i = 0; i < calls; i++) {
        long sensor = got.get(i).getLatencyNs();
        long client = timer.nanos.get(i);
        // and never shorter than the service's 20 ms of work: it spans request HEADERS to trailers
        assertThat(sensor).as("call %d (%s)", i, side).isBetween(20_000_000L, client);
        diffs[i] = client - sensor;
        if (diffs[i] > Math.max(1_000_000, client / 10)) {
          off.add(diffs[i]);
        }
      }
      if (side == Side.CLIENT) {
        // Within 10% or 1 ms of the client's own measurement for the typical call (the median) of
        // 20 ms of service work. Not for every call: between the kernel and the client's code a
        // loaded host preempts the client's thread (with no service work, at load 14-21 on 2 cores,
        // the median gap was 0.3 to 1.4 ms, the p95 1.4 to 11 ms, the max up to 90 ms).
        java.util.Arrays.sort(diffs);
        long[] sortedClient = timer.nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("gRPC client latency minus sensor latency: median %d ns, p95 %d ns, max %d ns;"
            + " client median %d ns; %d of %d calls off by more than 10%% or 1 ms%n", diffs[calls / 2],
            diffs[calls * 95 / 100], diffs[calls - 1], sortedClient[calls / 2], off.size(), calls);
        assertThat(diffs[calls / 2]).isLessThanOrEqualTo(Math.max(1_000_000, sortedClient[calls / 2] / 10));
      }
    }
    assertThat(mapper.http2Stats().broken()).as("broken connections").isZero();
  }

  // ----------------------------------------------------------------------------- nginx + curl

  @Test
  void shouldReportH2cRequestsFromCurlToNginx() throws Exception {
    // One connection per request: curl 7.88 fails every reused h2c prior-knowledge connection after
    // its first stream ("Error in the HTTP2 framing layer", without the sensor too), and a POST
    // whose body nginx does not wait for (exit 92: it resets the stream after answering).
    curlAgainst(h2cPort, "http", "--http2-prior-knowledge", false, false);
  }

  @Test
  void shouldReportH2RequestsOverTlsThroughTheOpenSslProbes() throws Exception {
    curlAgainst(tlsPort, "https", "--http2", true, true);
  }

  /**
   * 60 requests: 200, 201, 404 and 503; with {@code reuse}, all on one connection (curl's --next
   * keeps it), so later streams index the HPACK entries of earlier ones, and the 201s are POSTs
   * with a body.
   */
  private static void curlAgainst(int port, String scheme, String mode, boolean tls, boolean reuse) throws Exception {
    ports.add(port);
    int requests = 60;
    List<String> expected = new ArrayList<>();
    List<String> resources = new ArrayList<>();
    List<List<String>> invocations = new ArrayList<>();
    List<String> command = null;
    for (int i = 0; i < requests; i++) {
      String path = switch (i % 6) {
        case 0, 1, 2 -> "/ok/" + i;
        case 3 -> "/users/" + (1000 + i) + "/orders";
        case 4 -> "/missing/" + i;
        default -> "/boom/" + i;
      };
      if (command == null || !reuse) {
        command = new ArrayList<>(List.of("curl"));
        invocations.add(command);
      } else {
        command.add("--next");
      }
      command.addAll(List.of("-sk", mode, "-H", "traceparent: " + TRACEPARENT, "-w", "%{http_code} %{http_version}\\n"));
      if (i % 6 == 3 && reuse) {
        command.addAll(List.of("-X", "POST", "--data-binary", "x".repeat(3_000)));
      }
      command.addAll(List.of("-o", "/dev/null", scheme + "://127.0.0.1:" + port + path));
      expected.add(switch (i % 6) {
        case 3 -> "201";
        case 4 -> "404";
        case 5 -> "503";
        default -> "200";
      });
      resources.add(switch (i % 6) {
        case 0, 1, 2 -> "/ok/{id}";
        case 3 -> "/users/{id}/orders";
        case 4 -> "/missing/{id}";
        default -> "/boom/{id}";
      });
    }
    List<String> lines = new ArrayList<>();
    for (List<String> c : invocations) {
      lines.addAll(run(c.toArray(String[]::new)).lines().collect(Collectors.toList()));
    }
    assertThat(lines).hasSize(requests).allSatisfy(l -> assertThat(l).endsWith(" 2"));
    assertThat(lines.stream().map(l -> l.split(" ")[0]).collect(Collectors.toList())).isEqualTo(expected);
    for (Side side : List.of(Side.CLIENT, Side.SERVER)) {
      List<L7Event> got = await(port, side, requests);
      assertThat(got).allSatisfy(e -> {
        assertThat(e.getProtocol()).isEqualTo(Protocol.HTTP2);
        assertThat(e.getServerName()).isEqualTo("127.0.0.1");
        assertThat(e.getTraceparent()).isEqualTo(TRACEPARENT);
        assertThat(e.getTls()).isEqualTo(tls);
        assertThat(e.getLatencyNs()).isPositive();
        assertThat(e.getResponseBytes()).isGreaterThan(9);
      });
      assertThat(got.stream().map(L7Event::getStatus).collect(Collectors.toList())).isEqualTo(expected);
      assertThat(got.stream().map(L7Event::getResource).collect(Collectors.toList())).isEqualTo(resources);
      assertThat(got.stream().map(L7Event::getMethod).collect(Collectors.toList()))
          .isEqualTo(expected.stream().map(s -> s.equals("201") && reuse ? "POST" : "GET").collect(Collectors.toList()));
      assertThat(got.stream().filter(L7Event::getError).count()).isEqualTo(requests / 6);
      // nginx answers "return 201" without reading the body: the stream ends with the response, and
      // the request bytes are those sent by then (at least the HEADERS frame).
      assertThat(got).allSatisfy(e -> assertThat(e.getRequestBytes()).isGreaterThan(9));
    }
    assertThat(mapper.http2Stats().broken()).as("broken connections").isZero();
  }

  private static List<L7Event> await(int port, Side side, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<L7Event> got = List.of();
    while (System.nanoTime() < deadline) {
      got = ofPort(port, side);
      if (got.size() >= n) {
        Thread.sleep(300); // a duplicate would show now
        got = ofPort(port, side);
        break;
      }
      Thread.sleep(20);
    }
    assertThat(got).as("%s events on port %d (%s)", side, port, statsText()).hasSize(n);
    return got;
  }

  private static List<L7Event> ofPort(int port, Side side) {
    synchronized (events) {
      return events.stream().filter(e -> e.getServerPort() == port && e.getSide() == side)
          .collect(Collectors.toList());
    }
  }

  private static String statsText() {
    Http2Stats s = mapper.http2Stats();
    StringBuilder b = new StringBuilder("connections=" + s.connections() + " streams=" + s.streams());
    for (Http2Stats.Break why : Http2Stats.Break.values()) {
      b.append(' ').append(why).append('=').append(s.broken(why));
    }
    return b.toString();
  }

  private static void startNginx() throws Exception {
    dir = Files.createTempDirectory("peregrine-h2-it");
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString());
    h2cPort = freePort();
    tlsPort = freePort();
    String locations = String.join("\n",
        "    location /ok/ { return 200 \"fine\\n\"; }",
        "    location /users/ { return 201 \"made\\n\"; }",
        "    location /boom/ { return 503 \"down\\n\"; }");
    Files.writeString(dir.resolve("nginx.conf"), EbpfTestSupport.nginxConf(dir, String.join("\n",
        "  server {",
        "    listen 127.0.0.1:" + h2cPort + " http2;",
        locations,
        "  }",
        "  server {",
        "    listen 127.0.0.1:" + tlsPort + " ssl http2;",
        "    ssl_certificate " + dir.resolve("cert.pem") + "; ssl_certificate_key " + dir.resolve("key.pem") + ";",
        locations,
        "  }")));
    // Started after the sensor, so its connections are accepted under watch.
    nginx = new ProcessBuilder("/usr/sbin/nginx", "-c", dir.resolve("nginx.conf").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    for (int port : new int[] {h2cPort, tlsPort}) {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (true) {
        try (Socket s = new Socket(LOOPBACK, port)) {
          break;
        } catch (IOException e) {
          if (System.nanoTime() > deadline || !nginx.isAlive()) {
            throw new AssertionError("nginx did not start: " + Files.readString(dir.resolve("nginx.out"))
                + (Files.exists(dir.resolve("error.log")) ? Files.readString(dir.resolve("error.log")) : ""));
          }
          Thread.sleep(50);
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      return s.getLocalPort();
    }
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s", command[0]).isZero();
    return out;
  }
}
