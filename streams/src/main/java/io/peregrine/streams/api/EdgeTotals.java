package io.peregrine.streams.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppKind;
import io.peregrine.schema.LatencySketch;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.streams.sketch.LatencyHistogram;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One edge of the service map summed over the windows of a query range: mergeable across windows
 * and across instances (through its JSON form, which carries the latency sketch).
 */
final class EdgeTotals {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    AppId client;
    AppId server;
    final Set<String> protocols = new LinkedHashSet<>();
    long requests;
    long errors;
    final LatencyHistogram latency = new LatencyHistogram();
    long bytesSent;
    long bytesReceived;
    long connectionsOpened;
    long failedConnects;
    long retransmits;
    double rttWeightedSum;
    long rttWindows;
    long rttMaxUs = -1;
    long windows;
    long firstWindowMs = Long.MAX_VALUE;
    long lastWindowEndMs = Long.MIN_VALUE;

    void add(ServiceEdgeWindow w) {
        client = w.getClient();
        server = w.getServer();
        protocols.add(w.getProtocol().name());
        requests += w.getRequests();
        errors += w.getErrors();
        latency.merge(w.getLatency());
        bytesSent += w.getBytesSent();
        bytesReceived += w.getBytesReceived();
        connectionsOpened += w.getConnectionsOpened();
        failedConnects += w.getFailedConnects();
        retransmits += w.getRetransmits();
        if (w.getRttAvgUs() != null) {
            rttWeightedSum += w.getRttAvgUs();
            rttWindows++;
        }
        if (w.getRttMaxUs() != null) {
            rttMaxUs = Math.max(rttMaxUs, w.getRttMaxUs());
        }
        windows++;
        firstWindowMs = Math.min(firstWindowMs, w.getWindowStart().toEpochMilli());
        lastWindowEndMs = Math.max(lastWindowEndMs, w.getWindowEnd().toEpochMilli());
    }

    void merge(EdgeTotals o) {
        client = o.client;
        server = o.server;
        protocols.addAll(o.protocols);
        requests += o.requests;
        errors += o.errors;
        latency.merge(o.latency);
        bytesSent += o.bytesSent;
        bytesReceived += o.bytesReceived;
        connectionsOpened += o.connectionsOpened;
        failedConnects += o.failedConnects;
        retransmits += o.retransmits;
        rttWeightedSum += o.rttWeightedSum;
        rttWindows += o.rttWindows;
        rttMaxUs = Math.max(rttMaxUs, o.rttMaxUs);
        windows += o.windows;
        firstWindowMs = Math.min(firstWindowMs, o.firstWindowMs);
        lastWindowEndMs = Math.max(lastWindowEndMs, o.lastWindowEndMs);
    }

    ObjectNode toJson(double rangeSeconds) {
        ObjectNode n = JSON.objectNode();
        n.set("client", app(client));
        n.set("server", app(server));
        ArrayNode p = n.putArray("protocols");
        protocols.forEach(p::add);
        n.put("requests", requests);
        n.put("errors", errors);
        n.put("error_rate", requests == 0 ? 0.0 : (double) errors / requests);
        n.put("requests_per_second", rangeSeconds <= 0 ? 0.0 : requests / rangeSeconds);
        n.set("latency", latency(latency));
        n.put("bytes_sent", bytesSent);
        n.put("bytes_received", bytesReceived);
        n.put("connections_opened", connectionsOpened);
        n.put("failed_connects", failedConnects);
        n.put("retransmits", retransmits);
        if (rttWindows > 0) {
            n.put("rtt_avg_us", rttWeightedSum / rttWindows);
        }
        if (rttMaxUs >= 0) {
            n.put("rtt_max_us", rttMaxUs);
        }
        n.put("windows", windows);
        n.put("first_window_start", java.time.Instant.ofEpochMilli(firstWindowMs).toString());
        n.put("last_window_end", java.time.Instant.ofEpochMilli(lastWindowEndMs).toString());
        // Internal fields to merge answers from several instances.
        n.put("rtt_sum_of_window_avgs_us", rttWeightedSum);
        n.put("rtt_windows", rttWindows);
        return n;
    }

    static EdgeTotals fromJson(JsonNode n) {
        EdgeTotals t = new EdgeTotals();
        t.client = app(n.get("client"));
        t.server = app(n.get("server"));
        n.get("protocols").forEach(p -> t.protocols.add(p.asText()));
        t.requests = n.get("requests").asLong();
        t.errors = n.get("errors").asLong();
        t.latency.merge(sketch(n.get("latency").get("sketch")));
        t.bytesSent = n.get("bytes_sent").asLong();
        t.bytesReceived = n.get("bytes_received").asLong();
        t.connectionsOpened = n.get("connections_opened").asLong();
        t.failedConnects = n.get("failed_connects").asLong();
        t.retransmits = n.get("retransmits").asLong();
        t.rttWeightedSum = n.path("rtt_sum_of_window_avgs_us").asDouble();
        t.rttWindows = n.path("rtt_windows").asLong();
        t.rttMaxUs = n.has("rtt_max_us") ? n.get("rtt_max_us").asLong() : -1;
        t.windows = n.get("windows").asLong();
        t.firstWindowMs = java.time.Instant.parse(n.get("first_window_start").asText()).toEpochMilli();
        t.lastWindowEndMs = java.time.Instant.parse(n.get("last_window_end").asText()).toEpochMilli();
        return t;
    }

    // ------------------------------------------------------------------ shared JSON shapes

    static ObjectNode app(AppId a) {
        ObjectNode n = JSON.objectNode();
        n.put("id", a.getId());
        n.put("kind", a.getKind().name());
        n.put("name", a.getName());
        if (a.getNamespace() != null) {
            n.put("namespace", a.getNamespace());
        }
        if (a.getWorkload() != null) {
            n.put("workload", a.getWorkload());
        }
        if (a.getContainer() != null) {
            n.put("container", a.getContainer());
        }
        return n;
    }

    static AppId app(JsonNode n) {
        AppKind kind;
        try {
            kind = AppKind.valueOf(n.get("kind").asText());
        } catch (IllegalArgumentException e) {
            kind = AppKind.UNKNOWN;
        }
        return AppId.newBuilder().setKind(kind).setId(n.get("id").asText()).setName(n.get("name").asText())
                .setNamespace(text(n, "namespace")).setWorkload(text(n, "workload")).setContainer(text(n, "container"))
                .build();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** Percentiles in ms for people, the sketch for merging. */
    static ObjectNode latency(LatencyHistogram h) {
        ObjectNode n = JSON.objectNode();
        n.put("count", h.count());
        if (h.count() > 0) {
            n.put("mean_ms", h.sum() / 1e6 / h.count());
            n.put("p50_ms", h.quantile(0.50) / 1e6);
            n.put("p90_ms", h.quantile(0.90) / 1e6);
            n.put("p95_ms", h.quantile(0.95) / 1e6);
            n.put("p99_ms", h.quantile(0.99) / 1e6);
        }
        n.set("sketch", sketch(h.toAvro()));
        return n;
    }

    static ObjectNode sketch(LatencySketch s) {
        ObjectNode n = JSON.objectNode();
        n.put("relative_accuracy", s.getRelativeAccuracy());
        n.put("bin_offset", s.getBinOffset());
        ArrayNode bins = n.putArray("bin_counts");
        s.getBinCounts().forEach(bins::add);
        n.put("zero_count", s.getZeroCount());
        n.put("count", s.getCount());
        n.put("sum_ns", s.getSumNs());
        if (s.getMinNs() != null) {
            n.put("min_ns", s.getMinNs());
            n.put("max_ns", s.getMaxNs());
        }
        return n;
    }

    static LatencySketch sketch(JsonNode n) {
        List<Long> bins = new ArrayList<>();
        n.get("bin_counts").forEach(b -> bins.add(b.asLong()));
        return LatencySketch.newBuilder()
                .setRelativeAccuracy(n.get("relative_accuracy").asDouble())
                .setBinOffset(n.get("bin_offset").asInt())
                .setBinCounts(bins)
                .setZeroCount(n.get("zero_count").asLong())
                .setCount(n.get("count").asLong())
                .setSumNs(n.get("sum_ns").asLong())
                .setMinNs(n.has("min_ns") ? n.get("min_ns").asLong() : null)
                .setMaxNs(n.has("max_ns") ? n.get("max_ns").asLong() : null)
                .build();
    }
}
