package io.peregrine.agent.l7.http2;

import static io.peregrine.agent.l7.CapturedFixtures.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HpackTest {

    /** RFC 7541 C.4.1 to C.4.3: three requests on one connection, Huffman-coded, sharing a table. */
    private static final byte[] C41 = hex("828684418cf1e3c2e5f23a6ba0ab90f4ff");
    private static final byte[] C42 = hex("828684be5886a8eb10649cbf");
    private static final byte[] C43 = hex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf");

    @Test
    void shouldDecodeRfc7541RequestExamplesWithHuffmanAndDynamicTable() {
        Hpack hpack = new Hpack();
        byte[][] first = decode(hpack, C41);
        assertThat(text(first[Hpack.METHOD])).isEqualTo("GET");
        assertThat(text(first[Hpack.PATH])).isEqualTo("/");
        assertThat(text(first[Hpack.AUTHORITY])).isEqualTo("www.example.com");
        assertThat(hpack.dynamicEntries()).isEqualTo(1);

        byte[][] second = decode(hpack, C42);
        assertThat(text(second[Hpack.AUTHORITY])).isEqualTo("www.example.com"); // dynamic index 62
        assertThat(hpack.dynamicEntries()).isEqualTo(2);

        byte[][] third = decode(hpack, C43);
        assertThat(text(third[Hpack.PATH])).isEqualTo("/index.html");
        assertThat(text(third[Hpack.AUTHORITY])).isEqualTo("www.example.com"); // now index 63
        assertThat(hpack.dynamicEntries()).isEqualTo(3);
    }

    @Test
    void shouldSkipFieldsIndexedBeforeTheCaptureAndDecodeTheRest() {
        // C.4.2 alone: index 62 (:authority) was added by a block the capture missed
        Hpack hpack = new Hpack();
        byte[][] fields = decode(hpack, C42);
        assertThat(fields[Hpack.AUTHORITY]).isNull();
        assertThat(text(fields[Hpack.METHOD])).isEqualTo("GET");
        assertThat(text(fields[Hpack.PATH])).isEqualTo("/");
        // the cache-control it added is entry 62 now, so C.4.3's index 63 is still unknown
        byte[][] third = decode(hpack, C43);
        assertThat(third[Hpack.AUTHORITY]).isNull();
        assertThat(text(third[Hpack.PATH])).isEqualTo("/index.html");
    }

    @Test
    void shouldEvictOnTableSizeUpdate() {
        Hpack hpack = new Hpack();
        decode(hpack, C41);
        byte[][] fields = decode(hpack, hex("20be82"));
        assertThat(hpack.dynamicEntries()).isZero();
        assertThat(fields[Hpack.AUTHORITY]).isNull();
        assertThat(text(fields[Hpack.METHOD])).isEqualTo("GET");
    }

    @Test
    void shouldEvictByExactSizesOfValuesItDidNotDecode() {
        // custom-key: custom-value (Huffman, not a wanted name: 54 octets, at most 57 before decoding),
        // then :authority: www.example.com (57 octets); 111 in all
        String entries = "400a637573746f6d2d6b6579" + "8925a849e95bb8e8b4bf" + "418cf1e3c2e5f23a6ba0ab90f4ff";
        Hpack roomy = new Hpack();
        decode(roomy, hex("3f51" + entries)); // table size 112: both fit
        assertThat(roomy.dynamicEntries()).isEqualTo(2);
        Hpack tight = new Hpack();
        decode(tight, hex("3f4f" + entries)); // 110: the older is evicted
        assertThat(tight.dynamicEntries()).isEqualTo(1);
        assertThat(text(decode(tight, hex("be"))[Hpack.AUTHORITY])).isEqualTo("www.example.com");
    }

    @Test
    void shouldKeepIndicesRightAfterAnEntryWithUnknownName() {
        Hpack hpack = new Hpack();
        decode(hpack, C41); // 62 = :authority
        // literal with incremental indexing, name index 70 (never seen), raw value "abc"
        byte[][] fields = decode(hpack, hex("7f0703616263" + "bf"));
        assertThat(hpack.dynamicEntries()).isEqualTo(2);
        assertThat(text(fields[Hpack.AUTHORITY])).isEqualTo("www.example.com"); // 63 now
    }

    @Test
    void shouldStopAtACutOrMalformedRepresentation() {
        for (String block : new String[] {"41", "418c", "418cf1e3", "ff", "ffffffffffff", "40", "4003", "41ff7f"}) {
            byte[][] fields = decode(new Hpack(), hex(block + "82"));
            assertThat(fields[Hpack.METHOD]).as(block).isNull();
        }
    }

    @Test
    void shouldDecodeHuffmanStringsOfRfc7541() {
        assertThat(huffman("f1e3c2e5f23a6ba0ab90f4ff")).isEqualTo("www.example.com");
        assertThat(huffman("a8eb10649cbf")).isEqualTo("no-cache");
        assertThat(huffman("25a849e95ba97d7f")).isEqualTo("custom-key");
        assertThat(huffman("25a849e95bb8e8b4bf")).isEqualTo("custom-value");
        assertThat(huffman("")).isEmpty();
    }

    @Test
    void shouldDecodeWhatItsEncoderWritesForEveryOctet() {
        StringBuilder all = new StringBuilder();
        for (int c = 0; c < 256; c++) {
            all.append((char) c);
            String one = String.valueOf((char) c);
            assertThat(huffman(hexOf(Huffman.encode(one)))).isEqualTo(one);
        }
        assertThat(huffman(hexOf(Huffman.encode(all.toString())))).isEqualTo(all.toString());
        assertThat(hexOf(Huffman.encode("www.example.com"))).isEqualTo("f1e3c2e5f23a6ba0ab90f4ff");
    }

    @Test
    void shouldRejectInvalidHuffmanPadding() {
        // 'a' is 00011 (5 bits): padding with zeros, and padding of 8 ones, are both invalid
        assertThat(Huffman.decode(hex("18"), 0, 1, new byte[8])).isEqualTo(-1);
        assertThat(Huffman.decode(hex("1fff"), 0, 2, new byte[8])).isEqualTo(-1);
        assertThat(Huffman.decode(hex("1f"), 0, 1, new byte[8])).isEqualTo(1);
        // EOS (30 ones) inside a string
        assertThat(Huffman.decode(hex("ffffffff"), 0, 4, new byte[8])).isEqualTo(-1);
    }

    @Test
    void shouldNeverThrowOnRandomBlocks() {
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            byte[] b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            decode(new Hpack(), b);
            Huffman.decode(b, 0, b.length, new byte[Huffman.maxDecodedLength(b.length)]);
        }
    }

    private static byte[][] decode(Hpack hpack, byte[] block) {
        byte[][] into = new byte[Hpack.NAMES.length][];
        hpack.decodeBlock(block, 0, block.length, into);
        return into;
    }

    private static String huffman(String hex) {
        byte[] b = hex(hex);
        byte[] out = new byte[Huffman.maxDecodedLength(b.length)];
        int n = Huffman.decode(b, 0, b.length, out);
        return new String(out, 0, n, StandardCharsets.ISO_8859_1);
    }

    private static String hexOf(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.toString();
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.ISO_8859_1);
    }
}
