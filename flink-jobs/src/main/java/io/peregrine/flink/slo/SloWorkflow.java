package io.peregrine.flink.slo;

import io.peregrine.flink.BufferTimeouts;
import io.peregrine.flink.kafka.DeadLetterSplitter;
import io.peregrine.flink.kafka.Decoded;
import io.peregrine.flink.kafka.ValueWatermarks;
import io.peregrine.flink.kafka.SharedAvroTypeInfo;
import io.peregrine.flink.slo.functions.BurnRateFunction;
import io.peregrine.flink.slo.functions.ToSliWindow;
import io.peregrine.flink.slo.records.SliWindow;
import io.peregrine.schema.Alert;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.ServiceSliWindow;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The SLO burn-rate alerting job, as a pure builder: SLI windows in, alerts and dead letters out.
 * Sources and sinks come from the entry point ({@code FlinkJobs}) or a test, never from here.
 *
 * <pre>
 * sli source ─▶ dead letters split ─▶ to counts ─▶ key by app ─▶ burn rate ─▶ alerts sink
 *                     └────────────────────────────────────────────────────▶ dead-letter sink
 * </pre>
 *
 * Every operator has a name and a stable uid, so savepoints survive changes to the graph.
 */
public final class SloWorkflow {

    /** Job name, as shown by Flink. */
    public static final String JOB_NAME = "peregrine-slo";

    private SloWorkflow() {
    }

    /**
     * Adds the workflow to {@code env} and returns the alert stream (also written to {@code alertSink}),
     * for operators that follow in the same job, such as notifiers.
     */
    public static DataStream<Alert> define(StreamExecutionEnvironment env, Source<Decoded<ServiceSliWindow>, ?, ?> sliSource,
                                           Sink<Alert> alertSink, Sink<DeadLetter> deadLetterSink, SloConfig config) {
        return alerts(windows(env, sliSource, deadLetterSink, config), alertSink, config);
    }

    /**
     * The first half of {@link #define}: the decoded SLI windows, with event-time timestamps (a
     * window's end) and watermarks, bad records split off to {@code deadLetterSink}; for the
     * burn-rate evaluation and any other detector that reads the same windows.
     */
    public static SingleOutputStreamOperator<ServiceSliWindow> windows(StreamExecutionEnvironment env,
            Source<Decoded<ServiceSliWindow>, ?, ?> sliSource, Sink<DeadLetter> deadLetterSink, SloConfig config) {
        // An SLI window's event time is its end: that is when its counts are complete.
        WatermarkStrategy<Decoded<ServiceSliWindow>> watermarks = ValueWatermarks.of(
                w -> w.getWindowEnd().toEpochMilli(), config.outOfOrderness(), config.idleness());

        SingleOutputStreamOperator<ServiceSliWindow> windows = env
                .fromSource(sliSource, watermarks, "sli-source").uid("slo-sli-source")
                .process(new DeadLetterSplitter<ServiceSliWindow>())
                // Decoded windows are never modified: passed on, not deep-copied, to both detectors.
                .returns(new SharedAvroTypeInfo<>(ServiceSliWindow.class))
                .name("sli-dead-letters").uid("slo-sli-dead-letters")
                .setBufferTimeout(BufferTimeouts.SLI_WINDOWS_MS);

        windows.getSideOutput(DeadLetterSplitter.DEAD_LETTERS)
                .sinkTo(deadLetterSink).name("dead-letter-sink").uid("slo-dead-letter-sink");
        return windows;
    }

    /** The second half of {@link #define}: burn-rate alerts of {@code windows}, also written to {@code alertSink}. */
    public static DataStream<Alert> alerts(DataStream<ServiceSliWindow> windows, Sink<Alert> alertSink, SloConfig config) {
        SingleOutputStreamOperator<Alert> alerts = windows
                .map(new ToSliWindow()).name("sli-counts").uid("slo-sli-counts")
                .setBufferTimeout(BufferTimeouts.SLI_WINDOWS_MS)
                .keyBy(SliWindow::appId)
                .process(new BurnRateFunction(config))
                .returns(new AvroTypeInfo<>(Alert.class))
                .name("burn-rate").uid("slo-burn-rate")
                .setBufferTimeout(BufferTimeouts.ALERTS_MS);

        alerts.sinkTo(alertSink).name("alert-sink").uid("slo-alert-sink");
        return alerts;
    }
}
