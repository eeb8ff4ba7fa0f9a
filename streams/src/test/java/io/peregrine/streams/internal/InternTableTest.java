package io.peregrine.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class InternTableTest {

    static byte[] framed(String s) {
        return ("<<" + s + ">>").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldFindValuesByTheBytesInsideALargerArray() {
        InternTable<String> t = new InternTable<>(8);
        byte[] a = framed("web-1");
        int h = InternTable.hash(a, 2, 5);
        assertThat(t.get(a, 2, 5, h)).isNull();
        t.put(a, 2, 5, h, "web-1");
        a[2] = 'X'; // the table copied the key
        byte[] b = framed("web-1");
        assertThat(t.get(b, 2, 5, InternTable.hash(b, 2, 5))).isEqualTo("web-1");
        assertThat(t.get(b, 2, 4, InternTable.hash(b, 2, 4))).as("a prefix is another key").isNull();
        byte[] empty = new byte[0];
        t.put(empty, 0, 0, InternTable.hash(empty, 0, 0), "");
        assertThat(t.get(b, 3, 0, InternTable.hash(b, 3, 0))).isEqualTo("");
    }

    @Test
    void shouldStartOverWhenFullAndStayCorrect() {
        InternTable<Integer> t = new InternTable<>(100);
        for (int i = 0; i < 1_000; i++) {
            byte[] k = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
            int h = InternTable.hash(k, 0, k.length);
            if (t.get(k, 0, k.length, h) == null) {
                t.put(k, 0, k.length, h, i);
            }
            assertThat(t.get(k, 0, k.length, h)).isEqualTo(i);
            assertThat(t.size()).isBetween(1, 100);
        }
        for (int i = 900; i < 1_000; i++) {
            byte[] k = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
            assertThat(t.get(k, 0, k.length, InternTable.hash(k, 0, k.length))).isEqualTo(i);
        }
    }
}
