package io.peregrine.flink.slo.functions;

import io.peregrine.flink.slo.records.SliWindow;
import io.peregrine.schema.AppId;
import io.peregrine.schema.SampleRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Generated SLI windows of one application: 10 s windows from a start, with chosen counts. */
final class Traffic {

    static final Duration WINDOW = Duration.ofSeconds(10);
    /** A minute-aligned start, so that bucket arithmetic in expectations stays simple. */
    static final Instant T0 = Instant.parse("2025-06-02T10:00:00Z");

    private final AppId app;
    private final List<SliWindow> windows = new ArrayList<>();
    private Instant next;

    Traffic(AppId app, Instant start) {
        this.app = app;
        this.next = start;
    }

    static Traffic checkout() {
        return new Traffic(SampleRecords.checkoutApp(), T0);
    }

    /** {@code count} windows of {@code total} requests, {@code bad} of them errors (slow requests none). */
    Traffic windows(int count, long total, long bad) {
        for (int i = 0; i < count; i++) {
            windows.add(new SliWindow(app, next, next.plus(WINDOW), total, total - bad, total - bad, 500));
            next = next.plus(WINDOW);
        }
        return this;
    }

    /** {@code count} windows where {@code slow} of {@code total} requests succeeded too slowly. */
    Traffic slowWindows(int count, long total, long slow) {
        for (int i = 0; i < count; i++) {
            windows.add(new SliWindow(app, next, next.plus(WINDOW), total, total, total - slow, 500));
            next = next.plus(WINDOW);
        }
        return this;
    }

    Traffic healthy(Duration d, long perWindow) {
        return windows((int) (d.toMillis() / WINDOW.toMillis()), perWindow, 0);
    }

    /** No traffic for {@code d}: no SLI window is produced. */
    Traffic silence(Duration d) {
        next = next.plus(d);
        return this;
    }

    Instant now() {
        return next;
    }

    List<SliWindow> drain() {
        List<SliWindow> out = List.copyOf(windows);
        windows.clear();
        return out;
    }
}
