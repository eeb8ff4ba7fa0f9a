package io.peregrine.flink.kafka;

import io.peregrine.schema.DeadLetter;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * First operator after a source: decoded values go on, dead letters go to the side output
 * {@link #DEAD_LETTERS} (for the DLQ sink). Tombstones are dropped: the stages using this splitter
 * read event streams, where a delete means nothing.
 */
public final class DeadLetterSplitter<V> extends ProcessFunction<Decoded<V>, V> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    public static TypeInformation<DeadLetter> deadLetterType() {
        return new AvroTypeInfo<>(DeadLetter.class);
    }

    @Override
    public void processElement(Decoded<V> in, Context ctx, Collector<V> out) {
        if (in.deadLetter != null) {
            ctx.output(DEAD_LETTERS, in.deadLetter);
        } else if (in.value != null) {
            out.collect(in.value);
        }
    }
}
