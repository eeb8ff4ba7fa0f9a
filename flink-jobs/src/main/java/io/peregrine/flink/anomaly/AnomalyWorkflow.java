package io.peregrine.flink.anomaly;

import io.peregrine.flink.BufferTimeouts;
import io.peregrine.flink.anomaly.functions.AnomalyFunction;
import io.peregrine.flink.anomaly.records.SliSignals;
import io.peregrine.schema.Alert;
import io.peregrine.schema.Anomaly;
import io.peregrine.schema.ServiceSliWindow;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Anomaly detection on the SLI windows, as a pure builder: per application, request rate, error
 * rate and p99 latency against robust online baselines ({@link AnomalyFunction}).
 *
 * <pre>
 * SLI windows ─▶ anomaly-signals ─▶ key by app ─▶ anomaly-detect ─▶ ANOMALY alerts (returned; to alertSink)
 *                                                               └─▶ anomalies ─▶ anomalySink (peregrine.anomalies)
 * </pre>
 */
public final class AnomalyWorkflow {

    private AnomalyWorkflow() {
    }

    /**
     * Adds anomaly detection of {@code windows} (decoded, valid SLI windows with event-time
     * timestamps and watermarks) and returns the ANOMALY alert stream, also written to {@code alertSink}.
     */
    public static DataStream<Alert> define(DataStream<ServiceSliWindow> windows, Sink<Anomaly> anomalySink,
                                           Sink<Alert> alertSink, AnomalyConfig config) {
        SingleOutputStreamOperator<Alert> alerts = windows
                .map(SliSignals::of).name("anomaly-signals").uid("anomaly-signals")
                .setBufferTimeout(BufferTimeouts.SLI_WINDOWS_MS)
                .keyBy(SliSignals::appId)
                .process(new AnomalyFunction(config))
                .returns(new AvroTypeInfo<>(Alert.class))
                .name("anomaly-detect").uid("anomaly-detect")
                .setBufferTimeout(BufferTimeouts.ALERTS_MS);
        alerts.getSideOutput(AnomalyFunction.ANOMALIES)
                .sinkTo(anomalySink).name("anomaly-sink").uid("anomaly-sink");
        alerts.sinkTo(alertSink).name("anomaly-alert-sink").uid("anomaly-alert-sink");
        return alerts;
    }
}
