package io.peregrine.streams.endpoints;

import io.peregrine.schema.dlq.DeadLetterRecords;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.ListenEvent;
import io.peregrine.schema.NodeSample;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.streams.PipelineCounters;
import io.peregrine.streams.dlq.DeadLetters;
import io.peregrine.streams.dlq.EventValidator;
import io.peregrine.streams.dlq.InvalidEventException;
import io.peregrine.streams.dlq.TableRejects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a global store (the latest valid raw value per key of a small table topic) and the
 * {@link EndpointIndex} derived from it. Kafka Streams runs this processor for records restored
 * at start-up too, and {@link #init} rebuilds the index from what the (checkpointed) store already
 * holds, so the index is complete after a restart whichever way the store was recovered.
 *
 * <p>Records that do not decode or break an invariant are counted and sent to the DLQ through
 * {@link TableRejects}; the store and index keep the previous value.
 */
public final class GlobalIndexProcessor<T> implements Processor<String, byte[], Void, Void> {

    private static final Logger log = LoggerFactory.getLogger(GlobalIndexProcessor.class);

    public static final String STAGE_LISTENS = "streams/endpoints/listens";
    public static final String STAGE_NODES = "streams/endpoints/node-metrics";

    /** Decodes and validates one value; throws on a bad one. */
    interface Parser<T> {
        T parse(String topic, byte[] bytes, long nowMs);
    }

    private final String storeName;
    private final String stage;
    private final Parser<T> parser;
    private final BiConsumer<String, T> apply;
    private final Consumer<String> remove;
    private final PipelineCounters counters;
    private final TableRejects rejects;
    private ProcessorContext<Void, Void> context;
    private KeyValueStore<String, byte[]> store;
    private boolean warned;

    private GlobalIndexProcessor(String storeName, String stage, Parser<T> parser, BiConsumer<String, T> apply,
                                 Consumer<String> remove, PipelineCounters counters, TableRejects rejects) {
        this.storeName = storeName;
        this.stage = stage;
        this.parser = parser;
        this.apply = apply;
        this.remove = remove;
        this.counters = counters;
        this.rejects = rejects;
    }

    /** Maintains the listens part of the index from {@code peregrine.raw.listens}. */
    public static GlobalIndexProcessor<ListenEvent> listens(String storeName, Deserializer<ListenEvent> deserializer,
                                                            EventValidator validator, EndpointIndex index,
                                                            PipelineCounters counters, TableRejects rejects) {
        return new GlobalIndexProcessor<>(storeName, STAGE_LISTENS, (topic, bytes, now) -> {
            ListenEvent e = deserializer.deserialize(topic, bytes);
            validator.validate(e, now);
            return e;
        }, index::putListen, index::removeListen, counters, rejects);
    }

    /** Maintains the nodes part of the index from {@code peregrine.raw.node-metrics}. */
    public static GlobalIndexProcessor<NodeSample> nodes(String storeName, Deserializer<NodeSample> deserializer,
                                                         EventValidator validator, EndpointIndex index,
                                                         PipelineCounters counters, TableRejects rejects) {
        return new GlobalIndexProcessor<>(storeName, STAGE_NODES, (topic, bytes, now) -> {
            NodeSample s = deserializer.deserialize(topic, bytes);
            validator.validate(s, now);
            return s;
        }, (k, s) -> index.putNode(s), k -> { }, counters, rejects);
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        store = context.getStateStore(storeName);
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                try {
                    // Validated when stored; the clock check is moot for what is already accepted.
                    apply.accept(kv.key, parser.parse(null, kv.value, Long.MAX_VALUE / 2));
                } catch (RuntimeException e) {
                    log.warn("Ignoring an unreadable entry of global store {}: {}", storeName, e.toString());
                }
            }
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            remove.accept(record.key());
            return;
        }
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? null : meta.topic();
        T value;
        try {
            value = parser.parse(topic, record.value(), context.currentSystemTimeMs());
        } catch (MalformedRecordException e) {
            reject(DeadLetterRecords.reasonOf(e), e.getMessage(), e, meta, record);
            return;
        } catch (InvalidEventException e) {
            reject(DeadLetterReason.INVARIANT, e.getMessage(), null, meta, record);
            return;
        }
        store.put(record.key(), record.value());
        apply.accept(record.key(), value);
        counters.increment("global.applied." + stage);
    }

    private void reject(DeadLetterReason reason, String message, Throwable cause, RecordMetadata meta,
                        Record<String, byte[]> record) {
        counters.rejected(stage, reason.name());
        if (!warned) {
            warned = true;
            log.warn("Rejecting bad records of {} to the DLQ (first: {})", stage, message);
        }
        byte[] key = record.key().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        rejects.send(DeadLetters.record(stage, reason, message, cause, meta, record.timestamp(), key, record.value(),
                context.currentSystemTimeMs()));
    }
}
