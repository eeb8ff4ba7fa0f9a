package io.peregrine.flink.incident.functions;

import io.peregrine.flink.incident.records.Control;
import io.peregrine.schema.ServiceSliWindow;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Turns the SLI windows into a trickle of {@link Control#heartbeat heartbeats}: at most one per
 * application every {@code every} of its windows' event time. An SLO alert is written only when it
 * changes, so a steady outage sends the correlator nothing for hours; a heartbeat tells it that the
 * application still reports, and that its incident is not stale ({@code stale_after}).
 *
 * <p>Chained to the SLI source, so the windows are not shuffled again; only heartbeats travel to
 * the correlator (applications / {@code every}, a few per second for thousands of applications).
 * What was last sent is kept in memory, not in state: after a restore every application just sends
 * one heartbeat early, and a heartbeat too many changes nothing. Applications that stopped
 * reporting are forgotten once per {@code every}.
 */
public final class AppHeartbeats extends ProcessFunction<ServiceSliWindow, Control> {
    private static final long serialVersionUID = 1L;

    private final long every;
    private transient Map<String, Long> sent;
    private transient long forgotten;

    public AppHeartbeats(Duration every) {
        this.every = Math.max(1, every.toMillis());
    }

    @Override
    public void open(OpenContext context) {
        sent = new HashMap<>();
        forgotten = Long.MIN_VALUE;
    }

    @Override
    public void processElement(ServiceSliWindow w, Context ctx, Collector<Control> out) {
        String app = w.getApp().getId();
        long end = w.getWindowEnd().toEpochMilli();
        Long last = sent.get(app);
        if (last == null || end >= last + every) {
            sent.put(app, end);
            out.collect(Control.heartbeat(app));
        }
        if (forgotten == Long.MIN_VALUE || end >= forgotten + every) {
            sent.values().removeIf(t -> t < end - 2 * every);
            forgotten = end;
        }
    }
}
