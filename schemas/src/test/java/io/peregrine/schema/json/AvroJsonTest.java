package io.peregrine.schema.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class AvroJsonTest {

    @Test
    void shouldWritePlainJsonForPeople() {
        Schema ts = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
        Schema schema = SchemaBuilder.record("R").fields()
                .name("at").type(ts).noDefault()
                .name("opt").type().optional().stringType()
                .name("kind").type().enumeration("Kind").symbols("A", "B").noDefault()
                .name("raw").type().bytesType().noDefault()
                .name("tags").type().map().values().longType().noDefault()
                .name("list").type().array().items().doubleType().noDefault()
                .endRecord();
        GenericRecord r = new GenericData.Record(schema);
        r.put("at", 0L);
        r.put("opt", "x\"y");
        r.put("kind", new GenericData.EnumSymbol(schema.getField("kind").schema(), "B"));
        r.put("raw", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        r.put("tags", Map.of("k", 7L));
        r.put("list", List.of(1.5, Double.NaN));
        assertThat(AvroJson.toJson(r)).isEqualTo(
                "{\"at\":\"1970-01-01T00:00:00Z\",\"opt\":\"x\\\"y\",\"kind\":\"B\",\"raw\":\"AQID\","
                        + "\"tags\":{\"k\":7},\"list\":[1.5,\"NaN\"]}");
        r.put("opt", null);
        assertThat(AvroJson.toJson(r)).contains("\"opt\":null");
    }

    @Test
    void shouldWritePrimitives() {
        assertThat(AvroJson.toJson("s")).isEqualTo("\"s\"");
        assertThat(AvroJson.toJson(5L)).isEqualTo("5");
    }
}
