package io.peregrine.streams;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the pipeline dropped or rejected, by cause: one per (stage, reason) for records
 * sent to the DLQ, plus duplicates and late events. Thread-safe; shared by all stream threads of
 * an instance and exposed by the query API ({@code /api/v1/status}).
 *
 * <p>Counts are per process and at-least-once (a record reprocessed after a failure is counted
 * again); the DLQ topic itself is exactly-once.
 */
public final class PipelineCounters {

    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    public void increment(String name) {
        counters.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    public void add(String name, long n) {
        counters.computeIfAbsent(name, k -> new LongAdder()).add(n);
    }

    /** A record of {@code stage} rejected to the DLQ for {@code reason}. */
    public void rejected(String stage, String reason) {
        increment("dlq." + stage + "." + reason);
    }

    public long get(String name) {
        LongAdder a = counters.get(name);
        return a == null ? 0 : a.sum();
    }

    /** Sum of every counter whose name starts with {@code prefix}. */
    public long sum(String prefix) {
        long s = 0;
        for (Map.Entry<String, LongAdder> e : counters.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                s += e.getValue().sum();
            }
        }
        return s;
    }

    /** Every counter, sorted by name. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    public static final String DUPLICATES = "ingest.duplicates";
    public static final String LATE_EVENTS = "ingest.late-events";
    public static final String LATE_PARTIALS = "windows.late-partials";
    public static final String INGESTED = "ingest.events";
    public static final String GLOBAL_REJECTED = "global.rejected";
}
