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

/**
 * A real HTTP receiver on 127.0.0.1 standing in for PagerDuty's Events API: answers each request
 * with the next scripted status (202 once the script is used up) and records what it received.
 */
public final class PagerDutyReceiver implements AutoCloseable {

    public record Answer(int status, Map<String, String> headers) {
        public static Answer of(int status) {
            return new Answer(status, Map.of());
        }
    }

    public record Received(long atNanos, String body, int status) {
    }

    private final HttpServer server;
    private final Deque<Answer> script = new ArrayDeque<>();
    private final List<Received> received = new ArrayList<>();

    public PagerDutyReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v2/enqueue", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Answer a;
            synchronized (this) {
                a = script.isEmpty() ? Answer.of(202) : script.poll();
                received.add(new Received(System.nanoTime(), body, a.status()));
            }
            a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            byte[] out = (a.status() == 202 ? "{\"status\":\"success\",\"message\":\"Event processed\"}"
                    : "{\"status\":\"error\",\"message\":\"scripted " + a.status() + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(a.status(), out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        server.start();
    }

    public synchronized PagerDutyReceiver then(Answer... answers) {
        script.addAll(List.of(answers));
        return this;
    }

    public synchronized List<Received> received() {
        return List.copyOf(received);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v2/enqueue");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
