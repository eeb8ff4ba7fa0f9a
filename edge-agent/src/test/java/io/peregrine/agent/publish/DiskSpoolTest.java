package io.peregrine.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpoolTest {

    @TempDir
    Path dir;

    private static SpooledRecord record(int i) {
        return SpooledRecord.of("peregrine.raw.l7", "node-" + (i % 3), ("value-" + i).getBytes(), 42L, 1000L + i);
    }

    private static List<SpooledRecord> records(int from, int to) {
        return IntStream.range(from, to).mapToObj(DiskSpoolTest::record).toList();
    }

    private static List<SpooledRecord> drain(DiskSpool spool, int batch) throws IOException {
        List<SpooledRecord> out = new ArrayList<>();
        while (true) {
            DiskSpool.Batch b = spool.peek(batch);
            if (b.records().isEmpty()) {
                return out;
            }
            out.addAll(b.records());
            spool.commit(b);
        }
    }

    @Test
    void shouldReturnRecordsInOrderAcrossSegments() throws IOException {
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1024)) {
            assertThat(spool.isEmpty()).isTrue();
            spool.append(records(0, 200));
            assertThat(spool.isEmpty()).isFalse();
            assertThat(drain(spool, 7)).containsExactlyElementsOf(records(0, 200));
            assertThat(spool.isEmpty()).isTrue();
            assertThat(spool.sizeBytes()).isZero();
        }
    }

    @Test
    void shouldKeepUndeliveredRecordsAcrossRestart() throws IOException {
        int delivered;
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1024)) {
            spool.append(records(0, 100));
            DiskSpool.Batch first = spool.peek(10);
            spool.commit(first);
            delivered = first.records().size();
            spool.peek(10); // read but not committed: must come back after a restart
        }
        assertThat(delivered).isEqualTo(10);
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1024)) {
            spool.append(records(100, 120));
            assertThat(drain(spool, 50)).containsExactlyElementsOf(records(delivered, 120));
        }
    }

    @Test
    void shouldDropOldestAndCountThemWhenFull() throws IOException {
        int size = record(0).encodedSize();
        long cap = 4096;
        try (DiskSpool spool = new DiskSpool(dir, cap, 1024)) {
            spool.append(records(0, 1000));
            assertThat(spool.sizeBytes()).isLessThanOrEqualTo(cap);
            List<SpooledRecord> kept = drain(spool, 100);
            assertThat(kept.size() + spool.droppedRecords()).isEqualTo(1000);
            assertThat(kept.get(kept.size() - 1)).isEqualTo(record(999));
            assertThat(kept).containsExactlyElementsOf(records(1000 - kept.size(), 1000));
            assertThat(kept.size()).isGreaterThan((int) (cap / size) - 1024 / size - 2);
        }
    }

    @Test
    void shouldSkipATornTailAndKeepWhatPrecedesIt() throws IOException {
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1 << 20)) {
            spool.append(records(0, 10));
        }
        Path segment;
        try (var files = Files.list(dir)) {
            segment = files.filter(p -> p.toString().endsWith(".spool")).findFirst().orElseThrow();
        }
        long size = Files.size(segment);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(size - 5); // a crash in the middle of the last record
        }
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1 << 20)) {
            assertThat(drain(spool, 100)).containsExactlyElementsOf(records(0, 9));
            assertThat(spool.corruptRecords()).isEqualTo(1);
        }
    }

    @Test
    void shouldSkipACorruptRecordBody() throws IOException {
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1 << 20)) {
            spool.append(records(0, 3));
        }
        Path segment;
        try (var files = Files.list(dir)) {
            segment = files.filter(p -> p.toString().endsWith(".spool")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(segment);
        int second = record(0).encodedSize();
        bytes[second + 12] ^= 0x55; // flip bits inside the second record's payload
        Files.write(segment, bytes);
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1 << 20)) {
            assertThat(drain(spool, 100)).containsExactly(record(0));
            assertThat(spool.corruptRecords()).isEqualTo(1);
        }
    }

    @Test
    void shouldIgnoreGarbagePositionFile() throws IOException {
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1024)) {
            spool.append(records(0, 5));
        }
        Files.writeString(dir.resolve("read.pos"), "not a position");
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1024)) {
            assertThat(drain(spool, 10)).containsExactlyElementsOf(records(0, 5));
        }
    }

    @Test
    void shouldSpoolTheDatumOnlyOfARecordAlreadyFramed() throws IOException {
        SpooledRecord sent = record(1);
        byte[] wire = sent.frame(0x01020304);
        assertThat(wire).startsWith(0, 1, 2, 3, 4).hasSize(5 + "value-1".length());
        assertThat(sent.value()).isEqualTo("value-1".getBytes());
        try (DiskSpool spool = new DiskSpool(dir, 1 << 20, 1024)) {
            spool.append(List.of(sent, record(2)));
            List<SpooledRecord> back = drain(spool, 10);
            assertThat(back).containsExactly(record(1), record(2));
            assertThat(back.get(0).framed()).startsWith(0, 0, 0, 0, 0);  // room, not the old header
            assertThat(back.get(0).frame(7)).startsWith(0, 0, 0, 0, 7).hasSize(wire.length);
        }
    }

    @Test
    void shouldRefuseARecordWithoutRoomForTheHeader() {
        assertThatThrownBy(() -> new SpooledRecord("t", null, new byte[4], 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new SpooledRecord("t", null, new byte[5], 0, 0).valueLength()).isZero();
        assertThat(SpooledRecord.of("t", null, new byte[0], 0, 0).frame(-1)).containsExactly(0, -1, -1, -1, -1);
    }

    @Test
    void shouldRefuseAValueLengthBeyondTheRecordWhenDecoding() {
        SpooledRecord r = record(7);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(r.encodedSize());
        DiskSpool.encode(r, buf);
        int valueLengthAt = DiskSpool.RECORD_HEADER + 2 + r.topic().length() + 4 + r.key().length();
        for (int bad : new int[] {-1, -5, Integer.MIN_VALUE, r.valueLength() + 17, Integer.MAX_VALUE}) {
            buf.putInt(valueLengthAt, bad);
            java.nio.ByteBuffer payload = buf.duplicate().position(DiskSpool.RECORD_HEADER);
            assertThatThrownBy(() -> DiskSpool.decode(payload)).as("length %d", bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        buf.putInt(valueLengthAt, r.valueLength());
        assertThat(DiskSpool.decode(buf.duplicate().position(DiskSpool.RECORD_HEADER))).isEqualTo(r);
    }
}
