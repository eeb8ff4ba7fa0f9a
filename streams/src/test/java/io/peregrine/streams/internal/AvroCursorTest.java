package io.peregrine.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** The in-place Avro reader against Avro's own BinaryDecoder, on valid, boundary and garbage bytes. */
class AvroCursorTest {

    /** What Avro's decoder reads from {@code data}: the value, or "error". */
    interface AvroRead {
        Object read(BinaryDecoder d) throws IOException;
    }

    interface CursorRead {
        Object read(AvroCursor c);
    }

    static Object avro(byte[] data, AvroRead read) {
        try {
            BinaryDecoder d = DecoderFactory.get().binaryDecoder(data, 0, data.length, null);
            Object v = read.read(d);
            return List.of(v, data.length - d.inputStream().available());
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
            return "error";
        }
    }

    static Object cursor(byte[] data, CursorRead read) {
        try {
            AvroCursor c = new AvroCursor().reset(data, 0, data.length);
            Object v = read.read(c);
            return List.of(v, c.position());
        } catch (AvroCursor.CorruptException e) {
            return "error";
        }
    }

    static byte[] randomVarintish(Random r) {
        byte[] b = new byte[r.nextInt(13)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (r.nextInt(5) == 0 ? r.nextInt(128) : 0x80 | r.nextInt(128));
        }
        return b;
    }

    @Test
    void shouldReadIntsLongsAndBooleansExactlyAsAvroDoes() {
        Random r = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            byte[] b = randomVarintish(r);
            assertThat(cursor(b, AvroCursor::readInt)).as("int %s", java.util.Arrays.toString(b))
                    .isEqualTo(avro(b, BinaryDecoder::readInt));
            assertThat(cursor(b, AvroCursor::readLong)).as("long %s", java.util.Arrays.toString(b))
                    .isEqualTo(avro(b, BinaryDecoder::readLong));
        }
        for (int v = 0; v < 256; v++) {
            byte[] b = {(byte) v};
            assertThat(cursor(b, AvroCursor::readBoolean)).isEqualTo(avro(b, BinaryDecoder::readBoolean));
        }
        assertThat(cursor(new byte[0], AvroCursor::readBoolean)).isEqualTo("error");
    }

    @Test
    void shouldRoundTripBoundaryValues() throws IOException {
        long[] values = {0, 1, -1, 63, -64, 64, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long v : values) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
            e.writeLong(v);
            e.writeInt((int) v);
            e.flush();
            AvroCursor c = new AvroCursor().reset(out.toByteArray(), 0, out.size());
            assertThat(c.readLong()).isEqualTo(v);
            assertThat(c.readInt()).isEqualTo((int) v);
            assertThat(c.remaining()).isZero();
        }
    }

    @Test
    void shouldRejectLengthsThatAreNegativeOrBeyondTheData() {
        assertThatThrownBy(() -> new AvroCursor().reset(new byte[] {1}, 0, 1).readLength())
                .isInstanceOf(AvroCursor.CorruptException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> new AvroCursor().reset(new byte[] {8, 'a'}, 0, 2).readLength())
                .isInstanceOf(AvroCursor.CorruptException.class).hasMessageContaining("beyond");
        assertThatThrownBy(() -> new AvroCursor().reset(new byte[] {4}, 0, 1).readIndex(2))
                .isInstanceOf(AvroCursor.CorruptException.class).hasMessageContaining("union branch 2");
        assertThatThrownBy(() -> new AvroCursor().reset(new byte[] {1, 2}, 1, 2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static final Schema COMPLEX = new Schema.Parser().parse("""
            {"type": "record", "name": "R", "fields": [
              {"name": "a", "type": {"type": "array", "items": "string"}},
              {"name": "m", "type": {"type": "map", "values": ["null", "long", "double"]}},
              {"name": "f", "type": {"type": "fixed", "name": "F", "size": 3}},
              {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}},
              {"name": "x", "type": "float"},
              {"name": "b", "type": "bytes"},
              {"name": "n", "type": "null"},
              {"name": "end", "type": "int"}]}""");

    @Test
    void shouldSkipEveryTypeIncludingBlocksWithByteSizes() throws IOException {
        GenericData.Record rec = new GenericData.Record(COMPLEX);
        rec.put("a", List.of("one", "", "three"));
        rec.put("m", Map.of("k", 5L, "d", 2.5, "z", 7L));
        rec.put("f", new GenericData.Fixed(COMPLEX.getField("f").schema(), new byte[] {1, 2, 3}));
        rec.put("e", new GenericData.EnumSymbol(COMPLEX.getField("e").schema(), "Y"));
        rec.put("x", 1.5f);
        rec.put("b", java.nio.ByteBuffer.wrap(new byte[] {9, 9}));
        rec.put("n", null);
        rec.put("end", 42);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<Object>(COMPLEX).write(rec, enc);
        enc.flush();
        byte[] data = out.toByteArray();
        AvroCursor c = new AvroCursor().reset(data, 0, data.length);
        c.skip(COMPLEX);
        assertThat(c.remaining()).isZero();

        // An array written as one block with a negative count and its byte size (-2 items, 4 bytes: "a", "b").
        byte[] sized = {3, 8, 2, 'a', 2, 'b', 0};
        c.reset(sized, 0, sized.length).skip(COMPLEX.getField("a").schema());
        assertThat(c.remaining()).isZero();
        byte[] lying = {3, 40, 2, 'a', 2, 'b', 0};
        assertThatThrownBy(() -> new AvroCursor().reset(lying, 0, lying.length).skip(COMPLEX.getField("a").schema()))
                .isInstanceOf(AvroCursor.CorruptException.class);
        for (int len = 0; len < data.length; len++) {
            AvroCursor cut = new AvroCursor().reset(data, 0, len);
            assertThatThrownBy(() -> cut.skip(COMPLEX)).as("prefix %d", len).isInstanceOf(AvroCursor.CorruptException.class);
        }
    }
}
