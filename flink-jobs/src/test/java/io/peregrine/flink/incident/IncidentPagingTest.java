package io.peregrine.flink.incident;

import static io.peregrine.flink.incident.Fixtures.alert;
import static io.peregrine.flink.incident.Fixtures.at;
import static io.peregrine.flink.incident.Fixtures.edge;
import static io.peregrine.flink.incident.Fixtures.firing;
import static io.peregrine.flink.incident.Fixtures.resolved;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.incident.functions.IncidentCorrelator;
import io.peregrine.flink.incident.records.Control;
import io.peregrine.flink.incident.records.Signal;
import io.peregrine.flink.notify.functions.IncidentChanges;
import io.peregrine.flink.notify.functions.PagerDutyRouter;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.Severity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What pagers hear when incidents merge: the correlator's versions fed, as in the job, to the
 * PagerDuty router and to a receiver's change filter (Slack, Opsgenie, webhooks), with checkpoints
 * taken and restored in between.
 */
class IncidentPagingTest {

    private static final IncidentConfig CONFIG = new IncidentConfig(Duration.ofSeconds(10), 1, 1, 4,
            Duration.ofMinutes(15), Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofDays(7), Duration.ofHours(1));

    private KeyedTwoInputStreamOperatorTestHarness<String, Signal, Control, Incident> correlator;
    private KeyedOneInputStreamOperatorTestHarness<String, Incident, PagerDutyEvent> pagerDuty;
    private KeyedOneInputStreamOperatorTestHarness<String, Incident, IncidentNotice> changes;
    /** Processing time (ms). */
    private long wall = Long.MIN_VALUE;
    /** Every version written, in order. */
    private final List<Incident> written = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        open(null, null, null);
    }

    private void open(OperatorSubtaskState c, OperatorSubtaskState p, OperatorSubtaskState n) throws Exception {
        correlator = new KeyedTwoInputStreamOperatorTestHarness<>(
                new KeyedCoProcessOperator<>(new IncidentCorrelator(CONFIG)),
                s -> IncidentCorrelator.SCOPE, x -> IncidentCorrelator.SCOPE, Types.STRING);
        pagerDuty = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new PagerDutyRouter("rk")),
                Incident::getId, Types.STRING);
        changes = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new IncidentChanges()),
                Incident::getId, Types.STRING);
        if (c != null) {
            correlator.initializeState(c);
            pagerDuty.initializeState(p);
            changes.initializeState(n);
        }
        // The clock does not restart with the job.
        correlator.setProcessingTime(wall);
        correlator.open();
        pagerDuty.open();
        changes.open();
        correlator.processWatermarkStatus2(WatermarkStatus.IDLE);
    }

    @AfterEach
    void close() throws Exception {
        correlator.close();
        pagerDuty.close();
        changes.close();
    }

    private record Heard(List<String> pagerDuty, List<String> receiver) {
    }

    private void signal(Signal s) throws Exception {
        correlator.processElement1(s, s.at);
    }

    /** Advances event time; what PagerDuty and a receiver are told as a result. */
    private Heard watermark(int seconds) throws Exception {
        correlator.processWatermark1(new Watermark(at(seconds)));
        return heard();
    }

    /** Advances processing time (timers and TTL); what PagerDuty and a receiver are told as a result. */
    private Heard wallClock(Duration sinceStart) throws Exception {
        wall = sinceStart.toMillis();
        for (var h : List.of(correlator, pagerDuty, changes)) {
            h.setStateTtlProcessingTime(sinceStart.toMillis());
        }
        correlator.setProcessingTime(sinceStart.toMillis());
        return heard();
    }

    private Heard heard() throws Exception {
        List<Incident> versions = List.copyOf(correlator.extractOutputValues());
        correlator.getOutput().clear();
        written.addAll(versions);
        for (Incident i : versions) {
            pagerDuty.processElement(i, i.getUpdatedAt().toEpochMilli());
            changes.processElement(i, i.getUpdatedAt().toEpochMilli());
        }
        List<String> pd = pagerDuty.extractOutputValues().stream().map(e -> e.action() + " " + name(e.dedupKey())).toList();
        List<String> rx = changes.extractOutputValues().stream()
                .map(n -> n.action().label() + " " + name(n.incident().getId())).toList();
        pagerDuty.getOutput().clear();
        changes.getOutput().clear();
        return new Heard(pd, rx);
    }

    /** Incidents named by the app that opened them, for readable assertions. */
    private String name(String id) {
        for (String app : List.of("orders", "cart", "db", "web")) {
            if (written.stream().anyMatch(i -> i.getId().equals(id) && i.getAlertFingerprints().get(0).equals("fp-" + app))) {
                return app;
            }
        }
        return id;
    }

    private void checkpointAndRestore() throws Exception {
        OperatorSubtaskState c = correlator.snapshot(1, 1);
        OperatorSubtaskState p = pagerDuty.snapshot(1, 1);
        OperatorSubtaskState n = changes.snapshot(1, 1);
        close();
        open(c, p, n);
    }

    /** orders and cart each call db; nothing else. */
    private void topology() throws Exception {
        correlator.processElement2(edge("orders", "db"), 0L);
        correlator.processElement2(edge("cart", "db"), 0L);
    }

    private static Signal ticket(String app, int startS) {
        Signal s = firing(app, startS);
        s.alert.setSeverity(Severity.TICKET);
        return s;
    }

    @Test
    void shouldKeepOnePageOpenWhenTwoPagedIncidentsMerge() throws Exception {
        topology();
        signal(firing("orders", 100));
        signal(firing("cart", 105));
        assertThat(watermark(110)).isEqualTo(new Heard(List.of("trigger orders"), List.of("trigger orders")));
        assertThat(watermark(115)).isEqualTo(new Heard(List.of("trigger cart"), List.of("trigger cart")));
        checkpointAndRestore();

        // db relates both: cart's incident is merged into the older one, whose page stays open.
        signal(firing("db", 120));
        Heard merge = watermark(120);
        assertThat(merge.pagerDuty()).containsExactly("resolve cart");
        assertThat(merge.receiver()).containsExactly("resolve cart", "update orders");
        Incident absorbed = written.get(written.size() - 2);
        assertThat(absorbed.getStatus()).isEqualTo(IncidentStatus.RESOLVED);
        assertThat(io.peregrine.flink.incident.functions.Incidents.mergedInto(absorbed)).contains(written.get(0).getId());

        // Restored after the merge: nothing is sent again, and the survivor resolves once.
        checkpointAndRestore();
        assertThat(watermark(150)).isEqualTo(new Heard(List.of(), List.of()));
        for (String app : List.of("orders", "cart", "db")) {
            signal(resolved(app, app.equals("orders") ? 100 : app.equals("cart") ? 105 : 120, 200));
        }
        assertThat(watermark(200)).isEqualTo(new Heard(List.of("resolve orders"), List.of("resolve orders")));
        assertThat(watermark(10_000)).isEqualTo(new Heard(List.of(), List.of()));
        // Nothing left but the service map.
        assertThat(pagerDuty.numKeyedStateEntries()).isZero();
        assertThat(changes.numKeyedStateEntries()).isZero();
        assertThat(correlator.numKeyedStateEntries()).isOne();
        assertThat(correlator.numEventTimeTimers()).isZero();
    }

    @Test
    void shouldResolveTheOpenPageOfAStaleIncidentOnceAcrossRestoresAndPageAnewWhenItFiresAgain() throws Exception {
        wallClock(Duration.ZERO);
        topology();
        signal(firing("db", 100));
        signal(firing("orders", 100));
        assertThat(watermark(110)).isEqualTo(new Heard(List.of("trigger db"), List.of("trigger db")));
        // The agent dies: nothing more is heard. The job restarts at 10m; its downtime is not
        // silence, so the incident has stale_after (1h) from the restart to hear from its apps.
        wallClock(Duration.ofMinutes(10));
        checkpointAndRestore();
        assertThat(wallClock(Duration.ofMinutes(10))).isEqualTo(new Heard(List.of(), List.of()));
        assertThat(wallClock(Duration.ofMinutes(60))).isEqualTo(new Heard(List.of(), List.of()));
        OperatorSubtaskState c = correlator.snapshot(2, 2);
        OperatorSubtaskState p = pagerDuty.snapshot(2, 2);
        OperatorSubtaskState n = changes.snapshot(2, 2);
        Heard stale = wallClock(Duration.ofMinutes(70));
        assertThat(stale).isEqualTo(new Heard(List.of("resolve db"), List.of("resolve db")));
        Incident last = written.get(written.size() - 1);
        assertThat(io.peregrine.flink.incident.functions.Incidents.staleReason(last)).isPresent();

        // Restored from the checkpoint taken before it (the resolve's transaction was aborted): it is
        // decided again, once. Restored after it: not again.
        close();
        open(c, p, n);
        assertThat(wallClock(Duration.ofMinutes(129))).isEqualTo(new Heard(List.of(), List.of()));
        assertThat(wallClock(Duration.ofMinutes(130))).isEqualTo(new Heard(List.of("resolve db"), List.of("resolve db")));
        checkpointAndRestore();
        assertThat(wallClock(Duration.ofMinutes(300))).isEqualTo(new Heard(List.of(), List.of()));

        // A late resolve of a member pages nothing; the alert firing again is a new incident, paged once.
        signal(resolved("orders", 100, 5_000));
        assertThat(watermark(5_000)).isEqualTo(new Heard(List.of(), List.of()));
        signal(firing("db", 5_100));
        Heard again = watermark(5_110);
        assertThat(again.pagerDuty()).singleElement().satisfies(e -> assertThat(e).startsWith("trigger "));
        assertThat(written.get(written.size() - 1).getId()).isNotEqualTo(last.getId());
        signal(resolved("db", 5_100, 5_200));
        assertThat(watermark(5_200).pagerDuty()).singleElement().satisfies(e -> assertThat(e).startsWith("resolve "));
        assertThat(pagerDuty.numKeyedStateEntries()).isZero();
        assertThat(changes.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldMergeIntoThePagedIncidentRatherThanAnOlderOneThatNeverPaged() throws Exception {
        topology();
        signal(ticket("orders", 100));
        signal(firing("cart", 105));
        assertThat(watermark(110)).isEqualTo(new Heard(List.of(), List.of("trigger orders")));
        assertThat(watermark(115)).isEqualTo(new Heard(List.of("trigger cart"), List.of("trigger cart")));
        signal(firing("db", 120));
        Heard merge = watermark(120);
        // No second page for the same outage: orders' ticket goes into cart's paged incident.
        assertThat(merge.pagerDuty()).isEmpty();
        assertThat(merge.receiver()).containsExactly("resolve orders", "update cart");
        checkpointAndRestore();
        for (String app : List.of("orders", "cart", "db")) {
            signal(resolved(app, app.equals("orders") ? 100 : app.equals("cart") ? 105 : 120, 200));
        }
        assertThat(watermark(200)).isEqualTo(new Heard(List.of("resolve cart"), List.of("resolve cart")));
    }

    @Test
    void shouldMergeIntoThePagedIncidentRatherThanAnOlderOneNotYetWritten() throws Exception {
        topology();
        signal(firing("orders", 100));
        assertThat(watermark(110)).isEqualTo(new Heard(List.of("trigger orders"), List.of("trigger orders")));
        // cart's alert started before orders' but only counts now (its signal is late): an older
        // incident, still in group_wait when db joins both.
        signal(Signal.of(alert("cart", AlertStatus.FIRING, 95, 112), true, false, at(112)));
        assertThat(watermark(112)).isEqualTo(new Heard(List.of(), List.of()));
        signal(firing("db", 115));
        assertThat(watermark(115)).isEqualTo(new Heard(List.of(), List.of("update orders")));
        assertThat(watermark(125)).isEqualTo(new Heard(List.of(), List.of()));
        for (String app : List.of("orders", "cart", "db")) {
            signal(resolved(app, app.equals("orders") ? 100 : app.equals("cart") ? 95 : 115, 200));
        }
        assertThat(watermark(200)).isEqualTo(new Heard(List.of("resolve orders"), List.of("resolve orders")));
        assertThat(written).extracting(Incident::getId).containsOnly(written.get(0).getId());
    }
}
