package io.peregrine.flink.kafka;

import io.peregrine.schema.dlq.DeadLetterRecords;
import io.peregrine.schema.DeadLetter;
import io.peregrine.schema.DeadLetterReason;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.AvroDeserializer;
import io.peregrine.schema.serde.MalformedRecordException;
import io.peregrine.schema.topic.CleanupPolicy;
import io.peregrine.schema.topic.Topic;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a Peregrine topic with our registry-aware {@link AvroDeserializer} (Confluent wire format,
 * writer schema fetched by id and cached) into {@link Decoded} envelopes.
 *
 * <p>Never fails the job for a bad record: bytes that do not decode ({@link MalformedRecordException})
 * and values that break the stage's {@link RecordValidator} become dead letters with the reason,
 * counted per reason in the metric {@code peregrineDeadLetters} and logged once per reason. A
 * registry that cannot be reached is not the record's fault: that error propagates, the job
 * restarts from its checkpoint and reads the record again once the registry is back (dead-lettering
 * good records during an outage would lose them).
 */
public final class AvroRecordDeserializer<V extends SpecificRecordBase> implements KafkaRecordDeserializationSchema<Decoded<V>> {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(AvroRecordDeserializer.class);

    private final KafkaEndpoints endpoints;
    private final TopicSelector<String, V> topicSelector;
    private final Class<V> valueType;
    private final String stage;
    private final RecordValidator<V> validator;
    /** Reader schema (JSON) projecting {@code valueType}'s, or null to decode whole records. */
    private final String projection;

    private transient AvroDeserializer<V> deserializer;
    private transient boolean compacted;
    private transient MetricGroup metrics;
    private transient Map<DeadLetterReason, Counter> counters;

    /**
     * @param stage names this reader in dead letters, e.g. {@code flink/slo/sli-source}
     */
    public AvroRecordDeserializer(KafkaEndpoints endpoints, TopicSelector<String, V> topic, Class<V> valueType,
                                  String stage, RecordValidator<V> validator) {
        this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
        this.topicSelector = Objects.requireNonNull(topic, "topic");
        this.valueType = Objects.requireNonNull(valueType, "valueType");
        this.stage = Objects.requireNonNull(stage, "stage");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.projection = null;
    }

    private AvroRecordDeserializer(AvroRecordDeserializer<V> whole, Schema readerSchema) {
        this.endpoints = whole.endpoints;
        this.topicSelector = whole.topicSelector;
        this.valueType = whole.valueType;
        this.stage = whole.stage;
        this.validator = whole.validator;
        this.projection = readerSchema.toString();
    }

    /**
     * This reader, decoding with {@code readerSchema}, a projection of the value class's schema
     * ({@link AvroDeserializer#projected}): fields it renames are skipped in the bytes and hold
     * their defaults in the decoded values. For stages that never read those fields.
     */
    public AvroRecordDeserializer<V> projected(Schema readerSchema) {
        return new AvroRecordDeserializer<>(this, readerSchema);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        init(context.getMetricGroup());
    }

    private void init(MetricGroup group) {
        Topic<String, V> topic = topicSelector.select(endpoints.topics());
        deserializer = projection == null ? (AvroDeserializer<V>) topic.valueSerde().deserializer()
                : AvroDeserializer.projected(SchemaRegistryClient.create(endpoints.registryConfig()), valueType,
                        new Schema.Parser().parse(projection));
        compacted = topic.cleanupPolicy() == CleanupPolicy.COMPACT;
        metrics = group;
        counters = new EnumMap<>(DeadLetterReason.class);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded<V>> out) {
        if (deserializer == null) {
            init(null); // used outside a source reader (tests); no metrics then
        }
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        long timestamp = record.timestamp();
        if (record.value() == null) {
            if (compacted) {
                out.collect(Decoded.tombstone(key, timestamp));
            } else {
                out.collect(reject(record, key, DeadLetterReason.INVARIANT,
                        "null value (tombstone) on " + record.topic() + ", which is not compacted", null));
            }
            return;
        }
        V value;
        try {
            value = deserializer.deserialize(record, false);
        } catch (MalformedRecordException e) {
            out.collect(reject(record, key, DeadLetterRecords.reasonOf(e), e.getMessage(), e));
            return;
        }
        if (!valueType.isInstance(value)) {
            out.collect(reject(record, key, DeadLetterReason.UNKNOWN_SCHEMA, "decoded a "
                    + (value == null ? "null" : value.getClass().getName()) + ", expected " + valueType.getName(), null));
            return;
        }
        String violation;
        try {
            violation = validator.violation(value);
        } catch (RuntimeException e) {
            out.collect(reject(record, key, DeadLetterReason.PROCESSING, "validation failed: " + e, e));
            return;
        }
        if (violation != null) {
            out.collect(reject(record, key, DeadLetterReason.INVARIANT, violation, null));
            return;
        }
        out.collect(Decoded.value(key, value, timestamp));
    }

    private Decoded<V> reject(ConsumerRecord<byte[], byte[]> record, String key, DeadLetterReason reason, String message,
                              Throwable cause) {
        Counter counter = counters.get(reason);
        if (counter == null) {
            // One warning per reason and reader, not per record: a poisoned topic must not flood the log.
            log.warn("{}: rejecting records of {} to the dead-letter topic, first: {} (further ones are counted in "
                    + "the metric peregrineDeadLetters, reason={})", stage, record.topic(), message, reason);
            counter = metrics == null ? new org.apache.flink.metrics.SimpleCounter()
                    : metrics.addGroup("reason", reason.name()).counter("peregrineDeadLetters");
            counters.put(reason, counter);
        }
        counter.inc();
        log.debug("{}: dead letter {}/{}/{}: {}", stage, record.topic(), record.partition(), record.offset(), message);
        DeadLetter letter = DeadLetters.of(record, stage, reason, message, cause, System.currentTimeMillis());
        return Decoded.rejected(key, letter, record.timestamp());
    }

    @Override
    public TypeInformation<Decoded<V>> getProducedType() {
        return Decoded.typeInfo(valueType);
    }
}
