package io.peregrine.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated classes write and read their own data through plain Avro binary, with every
 * union branch, array, map, nested record and logical type of the realistic samples.
 */
class SchemaRoundTripTest {

  static Stream<SpecificRecord> samples() {
    return SampleRecords.allVariants().stream();
  }

  @ParameterizedTest(name = "{index}: {0}")
  @MethodSource("samples")
  void shouldReadBackWhatItWrites(SpecificRecord sample) throws IOException {
    byte[] bytes = write(sample);

    SpecificRecord read = read(bytes, sample.getClass());

    assertThat(read).isEqualTo(sample);
  }

  @ParameterizedTest(name = "{index}: {0}")
  @MethodSource("samples")
  void shouldBeReadableByAGenericConsumerWithTheSameSchema(SpecificRecord sample) throws IOException {
    Schema schema = sample.getSchema();
    GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(schema, schema);

    GenericRecord generic = reader.read(null, DecoderFactory.get().binaryDecoder(write(sample), null));

    assertThat(generic.getSchema().getFullName()).isEqualTo(schema.getFullName());
    assertThat(generic.getSchema().getFields()).hasSameSizeAs(schema.getFields());
  }

  @Test
  void shouldHaveOneSampleForEveryTopLevelRecord() {
    Map<String, Schema> current = AvscFiles.parseDir(AvscFiles.sourceDir());
    Set<String> sampled = new TreeSet<>();
    for (SpecificRecord record : SampleRecords.all()) {
      sampled.add(record.getSchema().getFullName());
    }
    assertThat(SampleRecords.all()).hasSameSizeAs(sampled);
    assertThat(sampled).isEqualTo(AvscFiles.topLevelRecords(current));
  }

  @Test
  void shouldBinLatenciesLikeSketchesJava() {
    LatencySketch sketch = SampleRecords.latencySketch(1_000_000L, 1_000_000L, 0L, 250_000_000L);

    assertThat(sketch.getCount()).isEqualTo(4);
    assertThat(sketch.getZeroCount()).isEqualTo(1);
    assertThat(sketch.getBinCounts().stream().mapToLong(Long::longValue).sum()).isEqualTo(3);
    assertThat(sketch.getBinCounts().get(0)).isEqualTo(2);
    assertThat(sketch.getBinCounts().get(sketch.getBinCounts().size() - 1)).isEqualTo(1);
    // gamma = 1.01 / 0.99; bin i holds values in [gamma^i, gamma^(i+1))
    double gamma = 1.01 / 0.99;
    assertThat(Math.pow(gamma, sketch.getBinOffset())).isBetween(1_000_000L / gamma, 1_000_000.0);
    assertThat(sketch.getSumNs()).isEqualTo(252_000_000L);
    assertThat(sketch.getMinNs()).isZero();
    assertThat(sketch.getMaxNs()).isEqualTo(250_000_000L);
  }

  private static byte[] write(SpecificRecord record) throws IOException {
    @SuppressWarnings("unchecked")
    Class<SpecificRecord> type = (Class<SpecificRecord>) record.getClass();
    SpecificDatumWriter<SpecificRecord> writer = new SpecificDatumWriter<>(type);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    writer.write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static <T extends SpecificRecord> T read(byte[] bytes, Class<T> type) throws IOException {
    SpecificDatumReader<T> reader = new SpecificDatumReader<>(type);
    return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
  }
}
