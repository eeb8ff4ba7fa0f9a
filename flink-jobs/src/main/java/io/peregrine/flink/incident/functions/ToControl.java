package io.peregrine.flink.incident.functions;

import io.peregrine.flink.incident.records.Control;
import io.peregrine.flink.kafka.DeadLetterSplitter;
import io.peregrine.flink.kafka.Decoded;
import io.peregrine.schema.ServiceEdge;
import io.peregrine.schema.Silence;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * First operator after the topology or silences source: values and tombstones (both matter on a
 * compacted topic) become {@link Control} changes, dead letters go to
 * {@link DeadLetterSplitter#DEAD_LETTERS}.
 */
public final class ToControl<V> extends ProcessFunction<Decoded<V>, Control> {
    private static final long serialVersionUID = 1L;

    private final Control.Kind kind;

    private ToControl(Control.Kind kind) {
        this.kind = kind;
    }

    public static ToControl<ServiceEdge> edges() {
        return new ToControl<>(Control.Kind.EDGE);
    }

    public static ToControl<Silence> silences() {
        return new ToControl<>(Control.Kind.SILENCE);
    }

    @Override
    public void processElement(Decoded<V> in, Context ctx, Collector<Control> out) {
        if (in.deadLetter != null) {
            ctx.output(DeadLetterSplitter.DEAD_LETTERS, in.deadLetter);
        } else if (in.key == null) {
            // A compacted topic's record without a key cannot be updated or deleted: nothing to apply.
            return;
        } else if (kind == Control.Kind.EDGE) {
            out.collect(Control.edge(in.key, (ServiceEdge) in.value));
        } else {
            out.collect(Control.silence(in.key, (Silence) in.value));
        }
    }
}
