package io.peregrine.streams.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peregrine.schema.ServiceEdgeWindow;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.StoreNames;
import io.peregrine.streams.servicemap.AppSummary;
import io.peregrine.streams.sketch.LatencyHistogram;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query API over Interactive Queries, independent of the HTTP transport. Whole-map queries are
 * answered by every instance for its own partitions and merged by the one asked (scatter-gather,
 * {@code local=true} on the internal calls); per-application queries go to the instance that owns
 * the application's partition ({@link KafkaStreams#queryMetadataForKey}), forwarded if it is not
 * this one.
 *
 * <p>Completeness is counted in store partitions, not instances: each instance reads the
 * partitions whose tasks are active and running on it and says which; a merged answer is
 * {@code complete} only when every partition was read exactly once. While tasks move (an instance
 * stopped, a rebalance, a restore) the membership seen in the metadata and the tasks actually
 * running disagree for a moment; counting partitions keeps that from passing a partial map off as
 * the whole one. A partition read twice (two instances briefly both hold it) makes the answer a
 * retry-later {@code 503} rather than a double count.
 */
public final class QueryService {

    private static final Logger log = LoggerFactory.getLogger(QueryService.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SLI_PATH = Pattern.compile("^/api/v1/apps/(.+)/sli/?$");

    /** An HTTP answer: status and JSON body. */
    public record Response(int status, String body) {
    }

    private final Supplier<KafkaStreams> streams;
    private final Supplier<HostInfo> self;
    private final Duration windowSize;
    private final Duration retention;
    private final PipelineCounters counters;
    private final Clock clock;
    private final int partitions;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * @param partitions partitions of the window stores (those of the raw event topics, which the
     *                   repartition topic copies)
     */
    public QueryService(Supplier<KafkaStreams> streams, Supplier<HostInfo> self, int partitions, Duration windowSize,
                        Duration retention, PipelineCounters counters, Clock clock) {
        this.partitions = partitions;
        this.streams = streams;
        this.self = self;
        this.windowSize = windowSize;
        this.retention = retention;
        this.counters = counters;
        this.clock = clock;
    }

    /** Answers one request; never throws. */
    public Response handle(String method, String path, Map<String, List<String>> params) {
        try {
            if (!path.startsWith("/api/v1/")) {
                throw new ApiException(404, "no such resource: " + path);
            }
            if (!method.equals("GET")) {
                throw new ApiException(405, "only GET is supported, got " + method);
            }
            QueryParams q = new QueryParams(params);
            ObjectNode body;
            Matcher sli = SLI_PATH.matcher(path);
            if (path.equals("/api/v1/service-map") || path.equals("/api/v1/service-map/")) {
                q.allowOnly("from", "to", "local");
                body = serviceMap(q);
            } else if (path.equals("/api/v1/apps") || path.equals("/api/v1/apps/")) {
                q.allowOnly("local");
                body = apps(q);
            } else if (sli.matches()) {
                q.allowOnly("from", "to", "step");
                return sli(sli.group(1), q, params);
            } else if (path.equals("/api/v1/status")) {
                q.allowOnly();
                body = status();
            } else {
                throw new ApiException(404, "no such resource: " + path);
            }
            return new Response(200, body.toString());
        } catch (ApiException e) {
            return error(e.status, e.getMessage());
        } catch (InvalidStateStoreException e) {
            return error(503, "state is not queryable right now (starting or rebalancing), retry shortly: "
                    + e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Query {} {} failed", method, path, e);
            return error(500, "internal error: " + e);
        }
    }

    private static Response error(int status, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        n.put("status", status);
        return new Response(status, n.toString());
    }

    private KafkaStreams streams() {
        KafkaStreams s = streams.get();
        if (s == null) {
            throw new ApiException(503, "the streams application is not started");
        }
        return s;
    }

    // ------------------------------------------------------------------ service map

    private ObjectNode serviceMap(QueryParams q) {
        Instant[] range = q.range(clock.instant(), retention);
        boolean local = q.flag("local");
        Map<String, EdgeTotals> edges = new TreeMap<>();
        KafkaStreams s = streams();
        Set<Integer> answered = new TreeSet<>();
        for (int p = 0; p < partitions; p++) {
            ReadOnlyWindowStore<String, ServiceEdgeWindow> store = s.store(StoreQueryParameters.fromNameAndType(
                    StoreNames.SERVICE_MAP_WINDOWS, QueryableStoreTypes.<String, ServiceEdgeWindow>windowStore())
                    .withPartition(p));
            List<KeyValue<Windowed<String>, ServiceEdgeWindow>> rows = new ArrayList<>();
            // fetchAll takes window starts inclusive on both ends; the API range is [from, to).
            try (KeyValueIterator<Windowed<String>, ServiceEdgeWindow> it = store.fetchAll(range[0], range[1])) {
                it.forEachRemaining(rows::add);
            } catch (InvalidStateStoreException e) {
                continue; // not active and running here
            }
            answered.add(p);
            for (KeyValue<Windowed<String>, ServiceEdgeWindow> kv : rows) {
                if (kv.key.window().startTime().isBefore(range[1])) {
                    edges.computeIfAbsent(kv.key.key(), k -> new EdgeTotals()).add(kv.value);
                }
            }
        }
        List<String> missing = new ArrayList<>();
        if (!local) {
            for (JsonNode remote : fanOut("/api/v1/service-map", Map.of("from", range[0].toString(),
                    "to", range[1].toString()), missing)) {
                addPartitions(answered, remote);
                for (JsonNode e : remote.get("edges")) {
                    EdgeTotals t = EdgeTotals.fromJson(e);
                    edges.computeIfAbsent(t.client.getId() + "->" + t.server.getId(), k -> new EdgeTotals()).merge(t);
                }
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("from", range[0].toString());
        out.put("to", range[1].toString());
        out.put("window_ms", windowSize.toMillis());
        double seconds = Duration.between(range[0], range[1]).toMillis() / 1000.0;
        ArrayNode arr = out.putArray("edges");
        edges.values().forEach(e -> arr.add(e.toJson(seconds)));
        complete(out, missing, answered);
        return out;
    }

    // ------------------------------------------------------------------ apps

    private ObjectNode apps(QueryParams q) {
        boolean local = q.flag("local");
        Map<String, AppSummary> apps = new TreeMap<>();
        KafkaStreams ks = streams();
        Set<Integer> answered = new TreeSet<>();
        for (int p = 0; p < partitions; p++) {
            ReadOnlyKeyValueStore<String, byte[]> store = ks.store(StoreQueryParameters.fromNameAndType(
                    StoreNames.APPS, QueryableStoreTypes.<String, byte[]>keyValueStore()).withPartition(p));
            List<KeyValue<String, byte[]>> rows = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> it = store.all()) {
                it.forEachRemaining(rows::add);
            } catch (InvalidStateStoreException e) {
                continue; // not active and running here
            }
            answered.add(p);
            rows.forEach(kv -> apps.merge(kv.key, AppSummary.decode(kv.value), AppSummary::merge));
        }
        List<String> missing = new ArrayList<>();
        if (!local) {
            for (JsonNode remote : fanOut("/api/v1/apps", Map.of(), missing)) {
                addPartitions(answered, remote);
                for (JsonNode a : remote.get("apps")) {
                    AppSummary s = new AppSummary(EdgeTotals.app(a.get("app")),
                            Instant.parse(a.get("first_seen").asText()).toEpochMilli(),
                            Instant.parse(a.get("last_seen").asText()).toEpochMilli(),
                            a.get("roles").toString().contains("server"), a.get("roles").toString().contains("client"),
                            a.get("roles").toString().contains("usage"));
                    apps.merge(s.app().getId(), s, AppSummary::merge);
                }
            }
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode arr = out.putArray("apps");
        for (AppSummary s : apps.values()) {
            ObjectNode n = arr.addObject();
            n.set("app", EdgeTotals.app(s.app()));
            n.put("first_seen", Instant.ofEpochMilli(s.firstSeenMs()).toString());
            n.put("last_seen", Instant.ofEpochMilli(s.lastSeenMs()).toString());
            ArrayNode roles = n.putArray("roles");
            if (s.server()) {
                roles.add("server");
            }
            if (s.client()) {
                roles.add("client");
            }
            if (s.usage()) {
                roles.add("usage");
            }
        }
        complete(out, missing, answered);
        return out;
    }

    // ------------------------------------------------------------------ SLI of one app

    private Response sli(String app, QueryParams q, Map<String, List<String>> rawParams) {
        if (app.isBlank()) {
            throw ApiException.badRequest("empty application id");
        }
        Instant[] range = q.range(clock.instant(), retention);
        Duration step = q.step("step", windowSize, Duration.between(range[0], range[1]));
        KafkaStreams s = streams();
        KeyQueryMetadata md = s.queryMetadataForKey(StoreNames.SLI_WINDOWS, app, Serdes.String().serializer());
        if (md == null || md.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            throw new ApiException(503, "no instance owns application " + app + " right now (rebalancing), retry shortly");
        }
        HostInfo owner = md.activeHost();
        if (!owner.equals(self.get())) {
            Map<String, String> forward = new LinkedHashMap<>();
            rawParams.forEach((k, v) -> forward.put(k, v.get(0)));
            return forward(owner, "/api/v1/apps/" + URLEncoder.encode(app, StandardCharsets.UTF_8) + "/sli", forward);
        }
        // The owner's partition only: while it is not running here yet, that is a 503, not a 404.
        ReadOnlyKeyValueStore<String, byte[]> apps = s.store(StoreQueryParameters.fromNameAndType(
                StoreNames.APPS, QueryableStoreTypes.<String, byte[]>keyValueStore()).withPartition(md.partition()));
        byte[] summary = apps.get(app);
        if (summary == null) {
            throw new ApiException(404, "no data for application '" + app + "'; GET /api/v1/apps lists the known ones");
        }
        ReadOnlyWindowStore<String, ServiceSliWindow> store = s.store(StoreQueryParameters.fromNameAndType(
                StoreNames.SLI_WINDOWS, QueryableStoreTypes.<String, ServiceSliWindow>windowStore())
                .withPartition(md.partition()));
        long from = range[0].toEpochMilli();
        long stepMs = step.toMillis();
        long first = Math.floorDiv(from, stepMs) * stepMs;
        TreeMap<Long, List<ServiceSliWindow>> buckets = new TreeMap<>();
        for (long b = first; b < range[1].toEpochMilli(); b += stepMs) {
            buckets.put(b, new ArrayList<>());
        }
        try (WindowStoreIterator<ServiceSliWindow> it = store.fetch(app, range[0], range[1])) {
            while (it.hasNext()) {
                KeyValue<Long, ServiceSliWindow> kv = it.next();
                if (kv.key < range[1].toEpochMilli()) {
                    buckets.get(Math.floorDiv(kv.key, stepMs) * stepMs).add(kv.value);
                }
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("app", EdgeTotals.app(AppSummary.decode(summary).app()));
        out.put("from", range[0].toString());
        out.put("to", range[1].toString());
        out.put("step_ms", stepMs);
        ArrayNode points = out.putArray("points");
        long total = 0;
        long good = 0;
        long fast = 0;
        for (Map.Entry<Long, List<ServiceSliWindow>> b : buckets.entrySet()) {
            ObjectNode p = point(b.getKey(), b.getKey() + stepMs, b.getValue());
            points.add(p);
            total += p.get("total").asLong();
            good += p.get("availability_good").asLong();
            fast += p.get("latency_good").asLong();
        }
        ObjectNode totals = out.putObject("totals");
        totals.put("total", total);
        totals.put("availability_good", good);
        totals.put("latency_good", fast);
        if (total > 0) {
            totals.put("availability", (double) good / total);
            totals.put("latency_sli", (double) fast / total);
        }
        return new Response(200, out.toString());
    }

    private static ObjectNode point(long start, long end, List<ServiceSliWindow> windows) {
        ObjectNode p = JSON.createObjectNode();
        p.put("start", Instant.ofEpochMilli(start).toString());
        p.put("end", Instant.ofEpochMilli(end).toString());
        long requests = 0;
        long errors = 0;
        long total = 0;
        long good = 0;
        long fast = 0;
        Long threshold = null;
        String source = null;
        LatencyHistogram h = new LatencyHistogram();
        for (ServiceSliWindow w : windows) {
            requests += w.getRequests();
            errors += w.getErrors();
            total += w.getTotal();
            good += w.getAvailabilityGood();
            fast += w.getLatencyGood();
            h.merge(w.getLatency());
            threshold = w.getLatencyThresholdMs();
            source = source == null || source.equals(w.getSource().name()) ? w.getSource().name() : "MIXED";
        }
        p.put("requests", requests);
        p.put("errors", errors);
        p.put("total", total);
        p.put("availability_good", good);
        p.put("latency_good", fast);
        if (total > 0) {
            p.put("availability", (double) good / total);
            p.put("latency_sli", (double) fast / total);
        }
        if (threshold != null) {
            p.put("latency_threshold_ms", threshold);
        }
        if (source != null) {
            p.put("source", source);
        }
        ObjectNode latency = EdgeTotals.latency(h);
        latency.remove("sketch");
        p.set("latency", latency);
        return p;
    }

    // ------------------------------------------------------------------ status

    private ObjectNode status() {
        ObjectNode out = JSON.createObjectNode();
        KafkaStreams s = streams.get();
        out.put("state", s == null ? "NOT_STARTED" : s.state().name());
        out.put("self", self.get().host() + ":" + self.get().port());
        if (s != null) {
            ArrayNode instances = out.putArray("instances");
            for (StreamsMetadata m : s.metadataForAllStreamsClients()) {
                instances.add(m.hostInfo().host() + ":" + m.hostInfo().port());
            }
        }
        ObjectNode c = out.putObject("counters");
        counters.snapshot().forEach(c::put);
        return out;
    }

    // ------------------------------------------------------------------ other instances

    /** The local-only answers of every other instance; unreachable ones are listed in {@code missing}. */
    private List<JsonNode> fanOut(String path, Map<String, String> params, List<String> missing) {
        List<JsonNode> out = new ArrayList<>();
        HostInfo me = self.get();
        for (StreamsMetadata m : streams().metadataForAllStreamsClients()) {
            HostInfo h = m.hostInfo();
            if (h.equals(me) || h.equals(HostInfo.unavailable())) {
                continue;
            }
            Map<String, String> p = new LinkedHashMap<>(params);
            p.put("local", "true");
            Response r = forward(h, path, p);
            if (r.status() == 200) {
                try {
                    out.add(JSON.readTree(r.body()));
                } catch (IOException e) {
                    missing.add(h.host() + ":" + h.port());
                }
            } else {
                missing.add(h.host() + ":" + h.port());
            }
        }
        return out;
    }

    private Response forward(HostInfo host, String path, Map<String, String> params) {
        StringBuilder uri = new StringBuilder("http://").append(host.host()).append(':').append(host.port()).append(path);
        char sep = '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            uri.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri.toString()))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            return error(502, "instance " + host.host() + ":" + host.port() + " did not answer: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(503, "interrupted while asking " + host.host() + ":" + host.port());
        }
    }

    /** Adds the partitions a remote instance read; one read here too means ownership is moving. */
    private static void addPartitions(Set<Integer> answered, JsonNode remote) {
        for (JsonNode p : remote.path("partitions")) {
            if (!answered.add(p.asInt())) {
                throw new ApiException(503, "partition " + p.asInt() + " is held by two instances while it moves "
                        + "between them; retry shortly");
            }
        }
    }

    private void complete(ObjectNode out, List<String> missing, Set<Integer> answered) {
        ArrayNode read = out.putArray("partitions");
        answered.forEach(read::add);
        List<Integer> notRead = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (!answered.contains(p)) {
                notRead.add(p);
            }
        }
        out.put("complete", missing.isEmpty() && notRead.isEmpty());
        if (!missing.isEmpty()) {
            ArrayNode m = out.putArray("unreachable_instances");
            missing.forEach(m::add);
        }
        if (!notRead.isEmpty()) {
            ArrayNode m = out.putArray("missing_partitions");
            notRead.forEach(m::add);
        }
    }
}
