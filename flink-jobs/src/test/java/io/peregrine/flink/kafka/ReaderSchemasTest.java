package io.peregrine.flink.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.schema.LatencySketch;
import io.peregrine.schema.ServiceSliWindow;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class ReaderSchemasTest {

    @Test
    void shouldRenameOnlyTheNamedFieldOfTheNestedRecordKeepingPositions() {
        Schema own = ServiceSliWindow.getClassSchema();
        Schema reader = ReaderSchemas.skipping(own, LatencySketch.getClassSchema().getFullName(), "bin_counts");
        Schema sketch = reader.getField("latency").schema();
        assertThat(sketch.getField("bin_counts")).isNull();
        assertThat(sketch.getField("unread_bin_counts").pos()).isEqualTo(own.getField("latency").schema()
                .getField("bin_counts").pos());
        assertThat(reader.getFields()).extracting(Schema.Field::name)
                .isEqualTo(own.getFields().stream().map(Schema.Field::name).toList());
        assertThat(reader.getField("app").schema()).isEqualTo(own.getField("app").schema());
    }

    @Test
    void shouldRefuseFieldsWithoutDefaultAndUnknownNames() {
        String sketch = LatencySketch.getClassSchema().getFullName();
        assertThatThrownBy(() -> ReaderSchemas.skipping(ServiceSliWindow.getClassSchema(), "io.peregrine.schema.AppId",
                "id")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no default");
        assertThatThrownBy(() -> ReaderSchemas.skipping(ServiceSliWindow.getClassSchema(), sketch, "bins"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ReaderSchemas.skipping(ServiceSliWindow.getClassSchema(), "io.peregrine.schema.Nope",
                "x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no record");
    }
}
