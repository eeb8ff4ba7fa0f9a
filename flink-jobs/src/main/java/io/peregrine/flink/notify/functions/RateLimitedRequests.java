package io.peregrine.flink.notify.functions;

import io.peregrine.flink.notify.IncidentReceiver;
import io.peregrine.flink.notify.IncidentReceiver.NotifyAction;
import io.peregrine.flink.notify.http.HttpNotification;
import io.peregrine.flink.notify.http.RateLimit;
import io.peregrine.flink.notify.records.IncidentNotice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns incident notices into a receiver's requests under its {@link RateLimit}, a token bucket in
 * processing time (notifications are about people's time, not event time). Keyed by the receiver's
 * name, so one bucket per receiver. While the bucket has a token a notice leaves at once, as its own
 * request. When it is empty, notices are held (the latest version per incident; a notice for an
 * incident already held joins it rather than overtaking it) and, as soon as the next token is
 * earned, all that is held leaves as one digest request that lists them: over-limit notifications
 * are summarised, never dropped. Held notices are keyed state, so they survive a restore.
 */
public final class RateLimitedRequests extends KeyedProcessFunction<String, IncidentNotice, HttpNotification> {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(RateLimitedRequests.class);

    private final IncidentReceiver receiver;
    private final RateLimit limit;

    /** Tokens in the bucket and when they were counted (ms, processing time). */
    public record Bucket(double tokens, long at) {
    }

    private transient ValueState<Bucket> bucket;
    private transient MapState<String, IncidentNotice> held;
    /** Versions held since the last digest (more than {@code held}'s size when one incident changed twice). */
    private transient ValueState<Long> heldVersions;
    private transient ValueState<Long> timer;
    private transient Counter summarised;
    private transient Counter digests;

    public RateLimitedRequests(IncidentReceiver receiver) {
        this.receiver = receiver;
        this.limit = receiver.rateLimit();
    }

    @Override
    public void open(OpenContext context) {
        bucket = getRuntimeContext().getState(new ValueStateDescriptor<>("bucket", TypeInformation.of(Bucket.class)));
        held = getRuntimeContext().getMapState(new MapStateDescriptor<>("held", Types.STRING,
                TypeInformation.of(IncidentNotice.class)));
        heldVersions = getRuntimeContext().getState(new ValueStateDescriptor<>("held-versions", Long.class));
        timer = getRuntimeContext().getState(new ValueStateDescriptor<>("timer", Long.class));
        summarised = getRuntimeContext().getMetricGroup().counter("rateLimitedNotices");
        digests = getRuntimeContext().getMetricGroup().counter("rateLimitDigests");
    }

    @Override
    public void processElement(IncidentNotice notice, Context ctx, Collector<HttpNotification> out) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        Bucket b = refill(bucket.value(), now);
        String id = notice.incident().getId();
        if (b.tokens() >= 1 && !held.contains(id)) {
            bucket.update(new Bucket(b.tokens() - 1, now));
            out.collect(receiver.notification(notice.incident(), notice.action()));
            return;
        }
        bucket.update(b);
        IncidentNotice before = held.get(id);
        held.put(id, before == null ? notice : new IncidentNotice(notice.incident(), merged(before, notice)));
        Long versions = heldVersions.value();
        heldVersions.update(versions == null ? 1 : versions + 1);
        summarised.inc();
        if (versions == null) {
            log.warn("{}: rate limit of {}/min reached; holding notifications for one summary", receiver.name(),
                    limit.perMinute());
        }
        if (timer.value() == null) {
            long due = now + (long) Math.ceil((1 - b.tokens()) * limit.msPerToken());
            ctx.timerService().registerProcessingTimeTimer(due);
            timer.update(due);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<HttpNotification> out) throws Exception {
        timer.clear();
        Bucket b = refill(bucket.value(), timestamp);
        if (b.tokens() < 1) {
            long due = timestamp + (long) Math.ceil((1 - b.tokens()) * limit.msPerToken());
            ctx.timerService().registerProcessingTimeTimer(due);
            timer.update(due);
            bucket.update(b);
            return;
        }
        List<IncidentNotice> notices = new ArrayList<>();
        for (IncidentNotice n : held.values()) {
            notices.add(n);
        }
        if (!notices.isEmpty()) {
            notices.sort(Comparator.comparing((IncidentNotice n) -> n.incident().getUpdatedAt())
                    .thenComparing(n -> n.incident().getId()));
            long versions = heldVersions.value() == null ? notices.size() : heldVersions.value();
            if (notices.size() == 1) {
                out.collect(receiver.notification(notices.get(0).incident(), notices.get(0).action()));
            } else {
                out.collect(receiver.digest(notices, versions));
                digests.inc();
            }
            b = new Bucket(b.tokens() - 1, timestamp);
        }
        held.clear();
        heldVersions.clear();
        bucket.update(b);
    }

    /** The action of two held notices of one incident taken together: the receiver heard neither. */
    static NotifyAction merged(IncidentNotice before, IncidentNotice now) {
        if (now.action() == NotifyAction.RESOLVE) {
            return NotifyAction.RESOLVE;
        }
        return before.action() == NotifyAction.TRIGGER ? NotifyAction.TRIGGER : now.action();
    }

    private Bucket refill(Bucket b, long now) {
        if (b == null) {
            return new Bucket(limit.burst(), now);
        }
        double earned = Math.max(0, now - b.at()) / limit.msPerToken();
        return new Bucket(Math.min(limit.burst(), b.tokens() + earned), Math.max(now, b.at()));
    }
}
