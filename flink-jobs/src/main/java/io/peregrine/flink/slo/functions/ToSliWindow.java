package io.peregrine.flink.slo.functions;

import io.peregrine.flink.slo.records.SliWindow;
import io.peregrine.schema.ServiceSliWindow;
import org.apache.flink.api.common.functions.MapFunction;

/** Keeps the counts of an SLI window and drops the latency sketch before the key-by. */
public final class ToSliWindow implements MapFunction<ServiceSliWindow, SliWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public SliWindow map(ServiceSliWindow w) {
        return SliWindow.of(w);
    }
}
