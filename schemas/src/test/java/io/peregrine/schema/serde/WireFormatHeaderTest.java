package io.peregrine.schema.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.schema.registry.SchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Framing errors are found before any registry call, so no registry is needed here. */
class WireFormatHeaderTest {

    private final AvroDeserializer<Object> deserializer = AvroDeserializer.generic(
            SchemaRegistryClient.create(Map.of("schema.registry.url", "http://127.0.0.1:1", "max.retries", 0)));

    @Test
    void shouldReadBigEndianSchemaId() {
        assertThat(WireFormat.schemaId(new byte[] {0, 0, 0, 1, 2})).isEqualTo(258);
        assertThat(WireFormat.schemaId(new byte[] {0, (byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}))
                .isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void shouldPassTombstonesThrough() {
        assertThat(deserializer.deserialize("t", null)).isNull();
    }

    @Test
    void shouldRejectTruncatedHeader() {
        for (int n = 0; n < 5; n++) {
            int len = n;
            assertThatThrownBy(() -> deserializer.deserialize("t", new byte[len]))
                    .isInstanceOfSatisfying(MalformedRecordException.class, e -> {
                        assertThat(e.reason()).isEqualTo(MalformedRecordException.Reason.TRUNCATED_HEADER);
                        assertThat(e.topic()).isEqualTo("t");
                    });
        }
    }

    @Test
    void shouldRejectAnotherFormatsBytesByMagicByte() {
        byte[] json = "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8);
        byte[] v1Guid = new byte[21];
        v1Guid[0] = 1;
        for (byte[] bytes : new byte[][] {json, v1Guid}) {
            assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
                    .isInstanceOfSatisfying(MalformedRecordException.class,
                            e -> assertThat(e.reason()).isEqualTo(MalformedRecordException.Reason.BAD_MAGIC_BYTE));
        }
    }

    @Test
    void shouldNamePartitionAndOffsetWhenDecodingAConsumerRecord() {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("peregrine.raw.l7", 3, 42L, null, new byte[] {9, 9});
        assertThatThrownBy(() -> deserializer.deserialize(record, false))
                .isInstanceOfSatisfying(MalformedRecordException.class, e -> {
                    assertThat(e.partition()).isEqualTo(3);
                    assertThat(e.offset()).isEqualTo(42L);
                    assertThat(e.getMessage()).contains("peregrine.raw.l7", "partition 3", "offset 42");
                });
    }
}
