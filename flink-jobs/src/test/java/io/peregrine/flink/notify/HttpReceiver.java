package io.peregrine.flink.notify;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A real HTTP receiver on 127.0.0.1 standing in for Slack, Opsgenie or a webhook endpoint: answers
 * each request with the next scripted answer ({@code okStatus} with {@code okBody} once the script
 * is used up) and records everything it received (method, path with query, headers, raw body).
 */
public final class HttpReceiver implements AutoCloseable {

    public record Answer(int status, Map<String, String> headers) {
        public static Answer of(int status) {
            return new Answer(status, Map.of());
        }
    }

    public record Received(long atNanos, String method, String pathAndQuery, Map<String, String> headers, byte[] raw,
                           int status) {
        public String body() {
            return new String(raw, StandardCharsets.UTF_8);
        }

        /** A header's value (names are case-insensitive in HTTP). */
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private final HttpServer server;
    private final int okStatus;
    private final String okBody;
    private final Deque<Answer> script = new ArrayDeque<>();
    private final List<Received> received = new ArrayList<>();

    public HttpReceiver(int okStatus, String okBody) throws IOException {
        this.okStatus = okStatus;
        this.okBody = okBody;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT),
                    String.join(",", v)));
            URI uri = exchange.getRequestURI();
            Answer a;
            synchronized (this) {
                a = script.isEmpty() ? Answer.of(okStatus) : script.poll();
                received.add(new Received(System.nanoTime(), exchange.getRequestMethod(),
                        uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()), headers, body,
                        a.status()));
                notifyAll();
            }
            a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            byte[] out = (a.status() == okStatus ? okBody : "scripted " + a.status()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(a.status(), out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        server.start();
    }

    public int okStatus() {
        return okStatus;
    }

    public synchronized HttpReceiver then(Answer... answers) {
        script.addAll(List.of(answers));
        return this;
    }

    public synchronized List<Received> received() {
        return List.copyOf(received);
    }

    /** Waits (bounded) until {@code n} requests arrived; returns what arrived by then. */
    public synchronized List<Received> await(int n, long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (received.size() < n && System.currentTimeMillis() < end) {
            wait(Math.max(1, end - System.currentTimeMillis()));
        }
        return List.copyOf(received);
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
