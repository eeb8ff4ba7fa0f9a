package io.peregrine.flink.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.flink.notify.functions.IncidentChanges;
import io.peregrine.flink.notify.records.IncidentNotice;
import io.peregrine.schema.Incident;
import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.Severity;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IncidentChangesTest {

    private KeyedOneInputStreamOperatorTestHarness<String, Incident, IncidentNotice> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new IncidentChanges()),
                Incident::getId, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private List<String> send(Incident i) throws Exception {
        harness.processElement(i, i.getUpdatedAt().toEpochMilli());
        List<String> out = harness.extractOutputValues().stream()
                .map(n -> n.action().label() + " " + n.incident().getId() + " " + n.incident().getSeverity()).toList();
        harness.getOutput().clear();
        return out;
    }

    @Test
    void shouldNotifyOpenChangesThatPagersShowAndTheResolve() throws Exception {
        assertThat(send(Incidents.open("a", Severity.TICKET, 0))).containsExactly("trigger a TICKET");
        // New evidence, same severity and root cause: nothing a pager shows changed.
        assertThat(send(Incidents.open("a", Severity.TICKET, 5))).isEmpty();
        assertThat(send(Incidents.open("a", Severity.PAGE, 10))).containsExactly("update a PAGE");
        assertThat(send(Incident.newBuilder(Incidents.open("a", Severity.PAGE, 15)).setRootCause(SampleRecords.checkoutApp())
                .build())).containsExactly("update a PAGE");
        // A replayed older version changes nothing.
        assertThat(send(Incidents.open("a", Severity.TICKET, 1))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isEqualTo(2);
        assertThat(send(Incidents.resolved("a", 20))).containsExactly("resolve a PAGE");
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void shouldNotResolveWhatWasNeverNotified() throws Exception {
        assertThat(send(Incidents.resolved("b", 20))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(send(Incident.newBuilder(Incidents.open("c", Severity.PAGE, 0))
                .setStatus(io.peregrine.schema.IncidentStatus.UNKNOWN).build())).isEmpty();
    }

    @Test
    void shouldStayQuietWhileSilencedAndTriggerWhenTheSilenceEnds() throws Exception {
        Incident silenced = Incident.newBuilder(Incidents.open("s", Severity.PAGE, 0))
                .setSilencedBy(List.of("silence-1")).build();
        assertThat(send(silenced)).isEmpty();
        assertThat(send(Incident.newBuilder(silenced).setUpdatedAt(silenced.getUpdatedAt().plusSeconds(5)).build()))
                .isEmpty();
        assertThat(send(Incidents.open("s", Severity.PAGE, 10))).containsExactly("trigger s PAGE");
        assertThat(send(Incidents.resolved("s", 20))).containsExactly("resolve s PAGE");
        // Silenced from its first version to its resolve: no page, and no resolve of a page never sent.
        Incident quiet = Incident.newBuilder(Incidents.open("q", Severity.PAGE, 0)).setSilencedBy(List.of("x")).build();
        assertThat(send(quiet)).isEmpty();
        assertThat(send(Incidents.resolved("q", 20))).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }
}
