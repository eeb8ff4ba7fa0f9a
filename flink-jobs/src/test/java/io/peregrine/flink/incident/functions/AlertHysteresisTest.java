package io.peregrine.flink.incident.functions;

import static io.peregrine.flink.incident.Fixtures.alert;
import static io.peregrine.flink.incident.Fixtures.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.incident.IncidentConfig;
import io.peregrine.flink.incident.records.Signal;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.Severity;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AlertHysteresisTest {

    private KeyedOneInputStreamOperatorTestHarness<String, Alert, Signal> harness;

    private void open(int fireAfter, int resolveAfter, int flapMaxChanges) throws Exception {
        open(fireAfter, resolveAfter, flapMaxChanges, Duration.ofDays(7));
    }

    private void open(int fireAfter, int resolveAfter, int flapMaxChanges, Duration stateTtl) throws Exception {
        IncidentConfig config = new IncidentConfig(Duration.ofSeconds(10), fireAfter, resolveAfter, flapMaxChanges,
                Duration.ofMinutes(15), Duration.ZERO, Duration.ofMinutes(5), stateTtl, stateTtl.dividedBy(2));
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AlertHysteresis(config)),
                Alert::getFingerprint, Types.STRING, 1, 1, 0);
        harness.setup(Signal.typeInfo().createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private List<String> send(Alert a) throws Exception {
        harness.processElement(a, a.getUpdatedAt().toEpochMilli());
        return drain();
    }

    private List<String> watermark(int seconds) throws Exception {
        harness.processWatermark(at(seconds));
        return drain();
    }

    /** "firing"/"resolved" (+ " flapping") and the signal's time in seconds after T0, of each output. */
    private List<String> drain() {
        List<String> out = harness.extractOutputValues().stream()
                .map(s -> (s.firing ? "firing" : "resolved") + (s.flapping ? " flapping" : "") + " @"
                        + (s.at - at(0)) / 1000)
                .toList();
        harness.getOutput().clear();
        return out;
    }

    private void assertNoStateOrTimers() {
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void shouldLeaveNoStateForAnAlertWhoseResolveNeverComesOnceItsTtlPassed() throws Exception {
        open(1, 1, 4, Duration.ofHours(1));
        harness.setStateTtlProcessingTime(0);
        assertThat(send(alert("db", AlertStatus.FIRING, 100, 100))).containsExactly("firing @100");
        assertThat(watermark(100 + 900)).isEmpty(); // its change left the flap window: no timer
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isOne();
        // An hour of processing time without a version: the state expired. Its resolve, should it
        // come after all, is news to no one, and leaves nothing behind.
        harness.setStateTtlProcessingTime(Duration.ofHours(1).toMillis());
        assertThat(send(alert("db", AlertStatus.RESOLVED, 100, 2_000))).isEmpty();
        assertThat(watermark(3_000)).isEmpty();
        assertNoStateOrTimers();
    }

    @Test
    void shouldSignalAFiringVersionWithANewStartRightAfterAFiringOneAsNews() throws Exception {
        open(1, 1, 4);
        assertThat(send(alert("db", AlertStatus.FIRING, 100, 100))).containsExactly("firing @100");
        // The same again, only later: nothing new.
        assertThat(send(alert("db", AlertStatus.FIRING, 100, 200))).isEmpty();
        // A new start without a resolve in between (it was lost): a new episode, which an incident
        // closed as stale meanwhile must hear of.
        assertThat(send(alert("db", AlertStatus.FIRING, 3_000, 3_000))).containsExactly("firing @3000");
    }

    @Test
    void shouldFireAfterThreeBadEvaluationsAndResolveAfterTwoGood() throws Exception {
        open(3, 2, 4);
        assertThat(send(alert("db", AlertStatus.FIRING, 100, 100))).isEmpty();
        assertThat(watermark(110)).isEmpty();
        assertThat(watermark(120)).containsExactly("firing @120");
        assertThat(send(alert("db", AlertStatus.RESOLVED, 100, 200))).isEmpty();
        assertThat(watermark(209)).isEmpty();
        assertThat(watermark(210)).containsExactly("resolved @210");
        // The two changes stay for flap detection until they leave the 15 min window, then nothing is left.
        assertThat(watermark(200 + 899)).isEmpty();
        assertThat(harness.numEventTimeTimers()).isOne();
        assertThat(watermark(200 + 900)).isEmpty();
        assertNoStateOrTimers();
    }

    @Test
    void shouldNeverSignalAnAlertThatResolvesBeforeItCounts() throws Exception {
        open(3, 1, 4);
        assertThat(send(alert("db", AlertStatus.FIRING, 100, 100))).isEmpty();
        assertThat(send(alert("db", AlertStatus.RESOLVED, 100, 110))).isEmpty();
        assertThat(watermark(2_000)).isEmpty();
        assertNoStateOrTimers();
    }

    @Test
    void shouldSwallowARecoveryShorterThanTheResolveHysteresis() throws Exception {
        open(1, 3, 4);
        assertThat(send(alert("db", AlertStatus.FIRING, 100, 100))).containsExactly("firing @100");
        assertThat(send(alert("db", AlertStatus.RESOLVED, 100, 150))).isEmpty();
        assertThat(watermark(160)).isEmpty();
        assertThat(send(alert("db", AlertStatus.FIRING, 165, 165))).isEmpty(); // same episode downstream
        assertThat(watermark(300)).isEmpty();
        assertThat(send(alert("db", AlertStatus.RESOLVED, 165, 400))).isEmpty();
        assertThat(watermark(420)).containsExactly("resolved @420");
        assertThat(watermark(2_000)).isEmpty();
        assertNoStateOrTimers();
    }

    @Test
    void shouldHoldAFlappingAlertOpenInsteadOfSignallingEveryToggle() throws Exception {
        open(1, 1, 4);
        assertThat(send(alert("db", AlertStatus.FIRING, 0, 0))).containsExactly("firing @0");
        assertThat(send(alert("db", AlertStatus.RESOLVED, 0, 60))).containsExactly("resolved @60");
        assertThat(send(alert("db", AlertStatus.FIRING, 120, 120))).containsExactly("firing @120");
        assertThat(send(alert("db", AlertStatus.RESOLVED, 120, 180))).containsExactly("resolved @180");
        // The fifth change in 15 minutes: flapping, signalled once, then held open through the toggles.
        assertThat(send(alert("db", AlertStatus.FIRING, 240, 240))).containsExactly("firing flapping @240");
        assertThat(send(alert("db", AlertStatus.RESOLVED, 240, 300))).isEmpty();
        assertThat(send(alert("db", AlertStatus.FIRING, 360, 360))).isEmpty();
        assertThat(send(alert("db", AlertStatus.RESOLVED, 360, 420))).isEmpty();
        // Changes leave the window one by one; at 15 min after the 4th-newest change (180 s) only 4 are
        // left (240, 300, 360, 420): no longer flapping, and resolved since 420, so it resolves.
        assertThat(watermark(1_079)).isEmpty();
        assertThat(watermark(1_080)).containsExactly("resolved @1080");
        assertThat(watermark(420 + 900)).isEmpty();
        assertNoStateOrTimers();
    }

    @Test
    void shouldDropDuplicateAndOutOfDateVersionsAndPassOnSeverityChanges() throws Exception {
        open(1, 1, 4);
        Alert first = alert("db", AlertStatus.FIRING, 100, 100);
        assertThat(send(first)).containsExactly("firing @100");
        assertThat(send(first)).isEmpty();
        assertThat(send(alert("db", AlertStatus.RESOLVED, 100, 90))).isEmpty(); // older than the latest
        Alert ticket = Alert.newBuilder(alert("db", AlertStatus.FIRING, 100, 130)).setSeverity(Severity.TICKET).build();
        assertThat(send(ticket)).containsExactly("firing @130");
        assertThat(send(Alert.newBuilder(alert("db", AlertStatus.FIRING, 100, 140)).setSeverity(Severity.TICKET).build()))
                .isEmpty();
        assertThat(send(Alert.newBuilder(alert("db", AlertStatus.UNKNOWN, 100, 150)).build())).isEmpty();
        assertThat(send(alert("db", AlertStatus.RESOLVED, 100, 160))).containsExactly("resolved @160");
        assertThat(send(alert("other", AlertStatus.RESOLVED, 100, 160))).isEmpty(); // resolves nothing known
        assertThat(watermark(5_000)).isEmpty();
        assertNoStateOrTimers();
    }
}
