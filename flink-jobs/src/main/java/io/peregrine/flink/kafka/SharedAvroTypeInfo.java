package io.peregrine.flink.kafka;

import java.io.IOException;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * Avro type information for records that no operator modifies once decoded: serialized exactly
 * as {@link AvroTypeInfo}, but {@code copy} hands on the same instance. Without object reuse,
 * Flink deep-copies a record at every chained operator it passes (and once per consumer where a
 * stream forks); for an SLI window with its latency sketch that copying was half of the alerting
 * job's CPU time. Use it only for streams whose records are created fresh by a deserializer and
 * never mutated downstream (decoded input records); state keeps using {@link AvroTypeInfo}.
 */
public final class SharedAvroTypeInfo<T extends SpecificRecordBase> extends AvroTypeInfo<T> {
    private static final long serialVersionUID = 1L;

    public SharedAvroTypeInfo(Class<T> type) {
        super(type);
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return new SharedSerializer<>(super.createSerializer(config));
    }

    /** Delegates everything to Avro's serializer except the copies, which share the instance. */
    static final class SharedSerializer<T> extends TypeSerializer<T> {
        private static final long serialVersionUID = 1L;

        private final TypeSerializer<T> inner;

        SharedSerializer(TypeSerializer<T> inner) {
            this.inner = inner;
        }

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public TypeSerializer<T> duplicate() {
            TypeSerializer<T> d = inner.duplicate();
            return d == inner ? this : new SharedSerializer<>(d);
        }

        @Override
        public T createInstance() {
            return inner.createInstance();
        }

        @Override
        public T copy(T from) {
            return from;
        }

        @Override
        public T copy(T from, T reuse) {
            return from;
        }

        @Override
        public int getLength() {
            return inner.getLength();
        }

        @Override
        public void serialize(T record, DataOutputView target) throws IOException {
            inner.serialize(record, target);
        }

        @Override
        public T deserialize(DataInputView source) throws IOException {
            return inner.deserialize(source);
        }

        @Override
        public T deserialize(T reuse, DataInputView source) throws IOException {
            return inner.deserialize(source);
        }

        @Override
        public void copy(DataInputView source, DataOutputView target) throws IOException {
            inner.copy(source, target);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SharedSerializer<?> s && inner.equals(s.inner);
        }

        @Override
        public int hashCode() {
            return inner.hashCode();
        }

        @Override
        public TypeSerializerSnapshot<T> snapshotConfiguration() {
            // Restores as Avro's own serializer: the bytes are the same, only copying differs.
            return inner.snapshotConfiguration();
        }
    }
}
