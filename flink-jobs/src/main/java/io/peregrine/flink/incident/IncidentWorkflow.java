package io.peregrine.flink.incident;

import io.peregrine.flink.BufferTimeouts;
import io.peregrine.flink.incident.functions.AlertHysteresis;
import io.peregrine.flink.incident.functions.AppHeartbeats;
import io.peregrine.flink.incident.functions.ChangelogWatermarks;
import io.peregrine.flink.incident.functions.IncidentCorrelator;
import io.peregrine.flink.incident.functions.ToControl;
import io.peregrine.flink.incident.records.Control;
import io.peregrine.flink.incident.records.Signal;
import io.peregrine.flink.kafka.DeadLetterSplitter;
import io.peregrine.flink.kafka.Decoded;
import io.peregrine.schema.Alert;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.Incident;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.ServiceSliWindow;
import io.peregrine.schema.Silence;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Noise reduction into incidents, as a pure builder on an alert stream of the same job (SLO
 * alerts today, anomaly alerts through the same type): sources and sinks come from the entry point.
 *
 * <pre>
 * alerts ─▶ key by fingerprint ─▶ hysteresis, flapping, dedup ─▶ signals ─┐
 * topology source ─▶ to control ─┐                                        ├─▶ one key ─▶ correlate ─▶ incidents sink
 * silences source ─▶ to control ─┤                                        │                   └─▶ (returned, for notifiers)
 * SLI windows ─▶ heartbeats ─────┴──────────────────────────── union ─────┘
 *       └─ dead letters ─▶ dead-letter sink
 * </pre>
 *
 * Every operator has a name and a stable uid. See {@link AlertHysteresis} and
 * {@link IncidentCorrelator} for the semantics, and why the correlator runs on one key.
 */
public final class IncidentWorkflow {

    private IncidentWorkflow() {
    }

    /**
     * Adds the workflow and returns the incident stream (also written to {@code incidentSink}).
     * {@code windows} are the SLI windows the alerts come from: evidence that an application still
     * reports, so that its open incident is not stale while its alert fires unchanged.
     */
    public static DataStream<Incident> define(DataStream<Alert> alerts, DataStream<ServiceSliWindow> windows,
                                              Source<Decoded<ServiceEdge>, ?, ?> topology,
                                              Source<Decoded<Silence>, ?, ?> silences, Sink<Incident> incidentSink,
                                              Sink<DeadLetter> deadLetterSink, IncidentConfig config) {
        var env = alerts.getExecutionEnvironment();
        SingleOutputStreamOperator<Signal> signals = alerts
                .keyBy(Alert::getFingerprint)
                .process(new AlertHysteresis(config))
                .returns(Signal.typeInfo())
                .name("incident-hysteresis").uid("incident-hysteresis")
                .setBufferTimeout(BufferTimeouts.ALERTS_MS);

        SingleOutputStreamOperator<Control> edges = env
                .fromSource(topology, ChangelogWatermarks.strategy(), "topology-source").uid("incident-topology-source")
                // One reader holding every partition of the (small) changelog: a reader without
                // splits would never mark itself idle, and hold the correlator's event time back.
                .setParallelism(1)
                .process(ToControl.edges()).returns(Control.typeInfo()).setParallelism(1)
                .name("topology-changes").uid("incident-topology-changes");
        SingleOutputStreamOperator<Control> silenceChanges = env
                .fromSource(silences, ChangelogWatermarks.strategy(), "silences-source").uid("incident-silences-source")
                .setParallelism(1)
                .process(ToControl.silences()).returns(Control.typeInfo()).setParallelism(1)
                .name("silence-changes").uid("incident-silence-changes");
        SingleOutputStreamOperator<Control> heartbeats = windows
                .process(new AppHeartbeats(config.heartbeatEvery())).returns(Control.typeInfo())
                .name("incident-heartbeats").uid("incident-heartbeats")
                // Applied on arrival like the changelogs, and idle like them: event time stays the signals'.
                .assignTimestampsAndWatermarks(ChangelogWatermarks.strategy())
                .name("incident-heartbeat-watermarks").uid("incident-heartbeat-watermarks");
        edges.getSideOutput(DeadLetterSplitter.DEAD_LETTERS)
                .union(silenceChanges.getSideOutput(DeadLetterSplitter.DEAD_LETTERS))
                .sinkTo(deadLetterSink).name("incident-dead-letter-sink").uid("incident-dead-letter-sink");

        SingleOutputStreamOperator<Incident> incidents = signals
                .keyBy(new Scope<>())
                .connect(edges.union(silenceChanges, heartbeats).keyBy(new Scope<>()))
                .process(new IncidentCorrelator(config))
                .returns(new AvroTypeInfo<>(Incident.class))
                // One key: more instances would idle (see IncidentCorrelator).
                .setParallelism(1)
                .name("incident-correlate").uid("incident-correlate")
                .setBufferTimeout(BufferTimeouts.ALERTS_MS);
        // As many writers as correlators (one), chained: with more, versions of one incident would
        // be spread over writers and could reach the topic out of order.
        incidents.sinkTo(incidentSink).setParallelism(1).name("incident-sink").uid("incident-sink");
        return incidents;
    }

    /** Keys everything by {@link IncidentCorrelator#SCOPE}. */
    private static final class Scope<T> implements KeySelector<T, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(T value) {
            return IncidentCorrelator.SCOPE;
        }
    }
}
