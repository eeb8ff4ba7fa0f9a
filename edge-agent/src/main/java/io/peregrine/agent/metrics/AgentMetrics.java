package io.peregrine.agent.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The agent's own metrics, rendered in the Prometheus text format (version 0.0.4). Counters are
 * cheap to bump from any thread; gauges are read when scraped.
 */
public final class AgentMetrics {

    private record Key(String name, String labels) {
    }

    private final Map<Key, LongAdder> counters = new ConcurrentHashMap<>();
    private final Map<Key, DoubleSupplier> gauges = new ConcurrentHashMap<>();
    private final Map<Key, LongSupplier> counterViews = new ConcurrentHashMap<>();
    private final Map<String, String> help = new ConcurrentHashMap<>();

    /** A counter; {@code labels} alternate names and values: {@code "kind", "l7"}. */
    public LongAdder counter(String name, String help, String... labels) {
        this.help.putIfAbsent(name, help);
        return counters.computeIfAbsent(new Key(name, labels(labels)), k -> new LongAdder());
    }

    /**
     * A counter whose value someone else keeps (e.g. the eBPF sensor's loader restarts), read when
     * scraped; {@code value} must never decrease.
     */
    public void counter(String name, String help, LongSupplier value, String... labels) {
        this.help.putIfAbsent(name, help);
        counterViews.put(new Key(name, labels(labels)), value);
    }

    public void gauge(String name, String help, DoubleSupplier value, String... labels) {
        this.help.putIfAbsent(name, help);
        gauges.put(new Key(name, labels(labels)), value);
    }

    /** Current value of a counter, 0 if it was never bumped. */
    public long count(String name, String... labels) {
        Key key = new Key(name, labels(labels));
        LongAdder a = counters.get(key);
        if (a != null) {
            return a.sum();
        }
        LongSupplier view = counterViews.get(key);
        return view == null ? 0 : view.getAsLong();
    }

    public String render() {
        Map<String, StringBuilder> byName = new TreeMap<>();
        counters.forEach((k, v) -> line(byName, k, "counter", Long.toString(v.sum())));
        counterViews.forEach((k, v) -> line(byName, k, "counter", Long.toString(v.getAsLong())));
        gauges.forEach((k, v) -> line(byName, k, "gauge", format(v.getAsDouble())));
        StringBuilder out = new StringBuilder();
        byName.values().forEach(out::append);
        return out.toString();
    }

    private void line(Map<String, StringBuilder> byName, Key k, String type, String value) {
        StringBuilder sb = byName.computeIfAbsent(k.name(), n -> new StringBuilder()
                .append("# HELP ").append(n).append(' ').append(help.getOrDefault(n, n)).append('\n')
                .append("# TYPE ").append(n).append(' ').append(type).append('\n'));
        sb.append(k.name()).append(k.labels()).append(' ').append(value).append('\n');
    }

    private static String format(double v) {
        if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static String labels(String[] labels) {
        if (labels.length == 0) {
            return "";
        }
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name/value pairs");
        }
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < labels.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(labels[i]).append("=\"")
                    .append(labels[i + 1].replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                    .append('"');
        }
        return sb.append('}').toString();
    }
}
