package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.notify.functions.PagerDutyRouter;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Alert;
import io.peregrine.schema.AlertStatus;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PagerDutyRouterTest {

    private KeyedOneInputStreamOperatorTestHarness<String, Alert, PagerDutyEvent> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new PagerDutyRouter("rk")),
                Alert::getFingerprint, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static Alert version(AlertStatus status, Severity severity, Instant startsAt, long updatedAtOffset) {
        Alert a = Alert.newBuilder(SampleRecords.alert()).setStatus(status).setSeverity(severity).setStartsAt(startsAt)
                .setUpdatedAt(startsAt.plusSeconds(updatedAtOffset)).build();
        if (status == AlertStatus.RESOLVED) {
            a.setEndsAt(a.getUpdatedAt());
        }
        return a;
    }

    private List<String> send(Alert a) throws Exception {
        harness.processElement(a, a.getUpdatedAt().toEpochMilli());
        List<String> out = harness.extractOutputValues().stream().map(e -> e.action() + " " + e.dedupKey()).toList();
        harness.getOutput().clear();
        return out;
    }

    @Test
    void shouldTriggerOnAPageAndResolveWhenItCalmsDownOrResolves() throws Exception {
        Instant t = Instant.parse("2025-06-02T10:15:40Z");
        String key = SampleRecords.alert().getFingerprint() + ":" + t.toEpochMilli();
        assertThat(send(version(AlertStatus.FIRING, Severity.PAGE, t, 0))).containsExactly("trigger " + key);
        assertThat(send(version(AlertStatus.FIRING, Severity.PAGE, t, 5))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        // Calmed to a ticket: the page is over for PagerDuty.
        assertThat(send(version(AlertStatus.FIRING, Severity.TICKET, t, 10))).containsExactly("resolve " + key);
        assertThat(send(version(AlertStatus.RESOLVED, Severity.TICKET, t, 20))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldIgnoreTicketsAndResolveAPageThatResolves() throws Exception {
        Instant t = Instant.parse("2025-06-02T10:15:40Z");
        assertThat(send(version(AlertStatus.FIRING, Severity.TICKET, t, 0))).isEmpty();
        assertThat(send(version(AlertStatus.RESOLVED, Severity.TICKET, t, 10))).isEmpty();
        Instant t2 = t.plusSeconds(3600);
        String key = SampleRecords.alert().getFingerprint() + ":" + t2.toEpochMilli();
        assertThat(send(version(AlertStatus.FIRING, Severity.TICKET, t2, 0))).isEmpty();
        assertThat(send(version(AlertStatus.FIRING, Severity.PAGE, t2, 10))).containsExactly("trigger " + key);
        assertThat(send(version(AlertStatus.RESOLVED, Severity.PAGE, t2, 20))).containsExactly("resolve " + key);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }
}
