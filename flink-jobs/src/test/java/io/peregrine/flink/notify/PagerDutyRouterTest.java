package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.notify.functions.PagerDutyRouter;
import io.peregrine.flink.notify.records.PagerDutyEvent;
import io.peregrine.schema.Incident;
import io.peregrine.schema.IncidentStatus;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PagerDutyRouterTest {

    private KeyedOneInputStreamOperatorTestHarness<String, Incident, PagerDutyEvent> harness;
    private long clock = SampleRecords.incident().getUpdatedAt().toEpochMilli();

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new PagerDutyRouter("rk")),
                Incident::getId, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static Incident version(IncidentStatus status, Severity severity, List<String> silencedBy) {
        return Incident.newBuilder(SampleRecords.incident()).setStatus(status).setSeverity(severity)
                .setSilencedBy(silencedBy).build();
    }

    private List<String> send(Incident i) throws Exception {
        harness.processElement(i, clock++);
        List<String> out = harness.extractOutputValues().stream().map(e -> e.action() + " " + e.dedupKey()).toList();
        harness.getOutput().clear();
        return out;
    }

    @Test
    void shouldTriggerOnceWhenAnIncidentPagesAndResolveItOnce() throws Exception {
        String id = SampleRecords.incident().getId();
        assertThat(send(version(IncidentStatus.OPEN, Severity.PAGE, List.of()))).containsExactly("trigger " + id);
        // New members, a new root cause, a silence added after the page: PagerDuty has it open already.
        assertThat(send(version(IncidentStatus.OPEN, Severity.PAGE, List.of()))).isEmpty();
        assertThat(send(version(IncidentStatus.OPEN, Severity.PAGE, List.of("s1")))).isEmpty();
        assertThat(send(version(IncidentStatus.OPEN, Severity.TICKET, List.of()))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        assertThat(send(version(IncidentStatus.RESOLVED, Severity.PAGE, List.of()))).containsExactly("resolve " + id);
        assertThat(send(version(IncidentStatus.RESOLVED, Severity.PAGE, List.of()))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldNotPageTicketsOrSilencedIncidentsButPageWhenTheyEscalateOrTheSilenceEnds() throws Exception {
        String id = SampleRecords.incident().getId();
        assertThat(send(version(IncidentStatus.OPEN, Severity.TICKET, List.of()))).isEmpty();
        assertThat(send(version(IncidentStatus.OPEN, Severity.PAGE, List.of("s1")))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(send(version(IncidentStatus.OPEN, Severity.PAGE, List.of()))).containsExactly("trigger " + id);
        assertThat(send(version(IncidentStatus.RESOLVED, Severity.PAGE, List.of()))).containsExactly("resolve " + id);

        // Silenced throughout: never paged, so nothing to resolve either.
        Incident other = Incident.newBuilder(version(IncidentStatus.OPEN, Severity.PAGE, List.of("s1"))).setId("other").build();
        assertThat(send(other)).isEmpty();
        assertThat(send(Incident.newBuilder(other).setStatus(IncidentStatus.RESOLVED).build())).isEmpty();
        assertThat(send(Incident.newBuilder(other).setStatus(IncidentStatus.UNKNOWN).build())).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }
}
