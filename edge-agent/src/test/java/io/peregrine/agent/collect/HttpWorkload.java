package io.peregrine.agent.collect;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A process for the agent to watch (the agent ignores its own): a JDK HttpServer on loopback and
 * a JDK HttpClient (HTTP/1.1) that sends it {@code args[0]} GETs, every {@code args[1]}-th of
 * which the server answers 500. Prints its ground truth as one line,
 * {@code result port=<server port> <status>=<count>...}, and exits 0. JDK classes only, so it runs
 * from the test classes directory alone.
 */
public final class HttpWorkload {

  private HttpWorkload() {
  }

  public static void main(String[] args) throws Exception {
    int requests = Integer.parseInt(args[0]);
    int failEvery = Integer.parseInt(args[1]);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 50);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    server.setExecutor(pool);
    server.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
        in.readAllBytes();
        boolean fail = exchange.getRequestURI().getPath().startsWith("/fail");
        byte[] body = (fail ? "boom" : "ok").getBytes(StandardCharsets.US_ASCII);
        exchange.sendResponseHeaders(fail ? 500 : 200, body.length);
        out.write(body);
      }
    });
    server.start();
    int port = server.getAddress().getPort();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    TreeMap<Integer, Integer> statuses = new TreeMap<>();
    for (int i = 0; i < requests; i++) {
      String path = (i % failEvery == 0 ? "/fail/" : "/ok/") + i;
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      statuses.merge(r.statusCode(), 1, Integer::sum);
    }
    StringBuilder line = new StringBuilder("result port=").append(port);
    statuses.forEach((s, n) -> line.append(' ').append(s).append('=').append(n));
    System.out.println(line);
    System.out.flush();
    server.stop(0);
    pool.shutdownNow();
    if (statuses.values().stream().mapToInt(Integer::intValue).sum() != requests) {
      throw new IOException("lost requests: " + statuses);
    }
    System.exit(0);
  }
}
