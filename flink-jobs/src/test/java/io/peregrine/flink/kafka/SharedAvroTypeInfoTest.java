package io.peregrine.flink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.schema.SampleRecords;
import io.peregrine.schema.ServiceSliWindow;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.junit.jupiter.api.Test;

class SharedAvroTypeInfoTest {

    @Test
    void shouldSerializeAsAvroButShareInsteadOfCopying() throws Exception {
        TypeSerializer<ServiceSliWindow> shared = new SharedAvroTypeInfo<>(ServiceSliWindow.class)
                .createSerializer(new SerializerConfigImpl());
        TypeSerializer<ServiceSliWindow> avro = new AvroTypeInfo<>(ServiceSliWindow.class)
                .createSerializer(new SerializerConfigImpl());
        ServiceSliWindow w = SampleRecords.serviceSliWindow();
        assertThat(shared.copy(w)).isSameAs(w);
        assertThat(shared.copy(w, shared.createInstance())).isSameAs(w);

        DataOutputSerializer a = new DataOutputSerializer(256);
        DataOutputSerializer b = new DataOutputSerializer(256);
        shared.serialize(w, a);
        avro.serialize(w, b);
        assertThat(a.getCopyOfBuffer()).isEqualTo(b.getCopyOfBuffer());
        ServiceSliWindow back = shared.deserialize(new DataInputDeserializer(a.getCopyOfBuffer()));
        assertThat(back).isEqualTo(w).isNotSameAs(w);
        assertThat(shared.duplicate().copy(w)).isSameAs(w);
        assertThat(shared).isEqualTo(shared.duplicate());
    }
}
