package io.peregrine.agent.publish;

import io.peregrine.schema.serde.WireFormat;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded, append-only, on-disk FIFO of records waiting for Kafka.
 *
 * <p>Layout: segment files {@code <n>.spool} (n increasing), each a sequence of records
 * {@code [int length][int crc32c][payload]}; a file {@code read.pos} holds the segment and byte
 * offset of the oldest record not yet delivered. Invariants:
 * <ul>
 *   <li>Bounded: the segments' total size never exceeds the cap; when an append would exceed it,
 *       the oldest segments are deleted first and their records counted as dropped
 *       (drop-oldest, as the agent's memory queue does).</li>
 *   <li>Crash-safe without fsync per record: a record torn by a crash fails its length or CRC
 *       check and ends its segment; everything before it is read back. Delivery is at least once:
 *       records delivered but not yet committed when the agent died are sent again (consumers
 *       drop them by (agent_run_id, seq)).</li>
 * </ul>
 * Not thread-safe: the publisher's sender thread owns it.
 */
final class DiskSpool implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(DiskSpool.class);

    static final int RECORD_HEADER = 8;
    private static final String SUFFIX = ".spool";
    private static final int MAX_RECORD = 64 << 20;

    private final Path dir;
    private final long capBytes;
    private final long segmentBytes;
    private final Deque<Segment> segments = new ArrayDeque<>();
    private FileChannel head;
    private long readSegment;
    private long readOffset;
    private long totalBytes;
    private long droppedRecords;
    private long corruptRecords;

    private static final class Segment {
        final long id;
        final Path path;
        long size;

        Segment(long id, Path path, long size) {
            this.id = id;
            this.path = path;
            this.size = size;
        }
    }

    /** A run of records read from the spool, to be {@linkplain #commit committed} once delivered. */
    record Batch(List<SpooledRecord> records, long segment, long endOffset) {
    }

    DiskSpool(Path dir, long capBytes, long segmentBytes) {
        if (segmentBytes <= 0 || capBytes < segmentBytes) {
            throw new IllegalArgumentException("spool cap (" + capBytes + ") must be at least one segment ("
                    + segmentBytes + ")");
        }
        this.dir = dir;
        this.capBytes = capBytes;
        this.segmentBytes = segmentBytes;
        try {
            Files.createDirectories(dir);
            List<Segment> found = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    try {
                        long id = Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
                        found.add(new Segment(id, p, Files.size(p)));
                    } catch (NumberFormatException e) {
                        log.warn("ignoring unexpected file {} in spool directory", p);
                    }
                }
            }
            found.sort((a, b) -> Long.compare(a.id, b.id));
            segments.addAll(found);
            totalBytes = found.stream().mapToLong(s -> s.size).sum();
            readPosition();
            if (!segments.isEmpty()) {
                log.info("spool {} holds {} bytes in {} segment(s) from a previous run; they are sent first",
                        dir, totalBytes, segments.size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open spool directory " + dir, e);
        }
    }

    boolean isEmpty() {
        return segments.isEmpty() || (segments.size() == 1 && segments.peekFirst().id == readSegment
                && readOffset >= segments.peekFirst().size);
    }

    long sizeBytes() {
        return totalBytes;
    }

    long droppedRecords() {
        return droppedRecords;
    }

    long corruptRecords() {
        return corruptRecords;
    }

    /** Appends records in order, dropping the oldest segments if the cap requires it. */
    void append(List<SpooledRecord> records) throws IOException {
        if (records.isEmpty()) {
            return;
        }
        ByteBuffer buf = null;
        for (SpooledRecord r : records) {
            int size = r.encodedSize();
            if (size > MAX_RECORD) {
                droppedRecords++;
                continue;
            }
            Segment seg = writableSegment(size);
            makeRoom(size);
            if (buf == null || buf.capacity() < size) {
                buf = ByteBuffer.allocate(Math.max(size, 64 << 10));
            }
            buf.clear();
            encode(r, buf);
            buf.flip();
            while (buf.hasRemaining()) {
                head.write(buf);
            }
            seg.size += size;
            totalBytes += size;
        }
    }

    /** Up to {@code max} of the oldest records, in order, from one segment; empty when the spool is. */
    Batch peek(int max) throws IOException {
        while (true) {
            Segment seg = segments.peekFirst();
            if (seg == null) {
                return new Batch(List.of(), readSegment, readOffset);
            }
            if (seg.id != readSegment) {
                readSegment = seg.id;
                readOffset = 0;
            }
            if (readOffset >= seg.size) {
                if (segments.size() == 1) {
                    return new Batch(List.of(), readSegment, readOffset);
                }
                deleteOldest();
                continue;
            }
            List<SpooledRecord> out = new ArrayList<>();
            long offset = readOffset;
            try (FileChannel ch = FileChannel.open(seg.path, StandardOpenOption.READ)) {
                ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
                while (out.size() < max && offset + RECORD_HEADER <= seg.size) {
                    header.clear();
                    readFully(ch, header, offset);
                    header.flip();
                    int length = header.getInt();
                    int crc = header.getInt();
                    if (length < 0 || length > MAX_RECORD || offset + RECORD_HEADER + length > seg.size) {
                        offset = skipRest(seg, offset, "impossible length " + length);
                        break;
                    }
                    ByteBuffer payload = ByteBuffer.allocate(length);
                    readFully(ch, payload, offset + RECORD_HEADER);
                    CRC32C c = new CRC32C();
                    c.update(payload.array(), 0, length);
                    if ((int) c.getValue() != crc) {
                        offset = skipRest(seg, offset, "checksum mismatch");
                        break;
                    }
                    payload.flip();
                    out.add(decode(payload));
                    offset += RECORD_HEADER + length;
                }
                if (out.isEmpty() && offset < seg.size && offset + RECORD_HEADER > seg.size) {
                    offset = skipRest(seg, offset, "truncated header");
                }
            }
            if (out.isEmpty()) {
                readOffset = offset;
                continue;
            }
            return new Batch(out, seg.id, offset);
        }
    }

    /** Marks a peeked batch delivered. */
    void commit(Batch batch) throws IOException {
        if (batch.records().isEmpty()) {
            return;
        }
        readSegment = batch.segment();
        readOffset = batch.endOffset();
        Segment seg = segments.peekFirst();
        if (seg != null && seg.id == readSegment && readOffset >= seg.size && segments.size() > 1) {
            deleteOldest();
        } else if (seg != null && seg.id == readSegment && readOffset >= seg.size) {
            // The only segment is fully delivered: start afresh rather than grow it forever.
            closeHead();
            deleteOldest();
        }
        writePosition();
    }

    @Override
    public void close() throws IOException {
        closeHead();
        writePosition();
    }

    private Segment writableSegment(int size) throws IOException {
        Segment last = segments.peekLast();
        if (last == null || head == null || last.size + size > segmentBytes) {
            closeHead();
            long id = last == null ? Math.max(readSegment, 0) + 1 : last.id + 1;
            Path path = dir.resolve(String.format("%020d%s", id, SUFFIX));
            head = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            last = new Segment(id, path, head.size());
            segments.addLast(last);
        }
        return last;
    }

    private void makeRoom(int size) throws IOException {
        while (totalBytes + size > capBytes && segments.size() > 1) {
            Segment oldest = segments.peekFirst();
            long start = oldest.id == readSegment ? readOffset : 0;
            long lost = countRecords(oldest, start);
            droppedRecords += lost;
            log.debug("spool full: dropped segment {} ({} records)", oldest.path, lost);
            deleteOldest();
        }
    }

    private long countRecords(Segment seg, long from) throws IOException {
        long n = 0;
        try (FileChannel ch = FileChannel.open(seg.path, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
            long offset = from;
            while (offset + RECORD_HEADER <= seg.size) {
                header.clear();
                readFully(ch, header, offset);
                header.flip();
                int length = header.getInt();
                if (length < 0 || offset + RECORD_HEADER + length > seg.size) {
                    break;
                }
                n++;
                offset += RECORD_HEADER + length;
            }
        }
        return n;
    }

    private void deleteOldest() throws IOException {
        Segment oldest = segments.pollFirst();
        if (oldest == null) {
            return;
        }
        totalBytes -= oldest.size;
        Files.deleteIfExists(oldest.path);
        Segment next = segments.peekFirst();
        readSegment = next == null ? oldest.id : next.id;
        readOffset = 0;
        if (next == null) {
            head = null;
        }
    }

    private long skipRest(Segment seg, long offset, String why) {
        corruptRecords++;
        log.warn("spool segment {} is damaged at byte {} ({}); the rest of it is skipped", seg.path, offset, why);
        return seg.size;
    }

    private void closeHead() throws IOException {
        if (head != null) {
            head.close();
            head = null;
        }
    }

    private void readPosition() throws IOException {
        Path pos = dir.resolve("read.pos");
        Segment first = segments.peekFirst();
        readSegment = first == null ? 0 : first.id;
        readOffset = 0;
        if (Files.exists(pos)) {
            String[] parts = Files.readString(pos, StandardCharsets.US_ASCII).trim().split(" ");
            try {
                long seg = Long.parseLong(parts[0]);
                long off = Long.parseLong(parts[1]);
                if (first != null && seg == first.id && off >= 0 && off <= first.size) {
                    readOffset = off;
                }
            } catch (RuntimeException e) {
                log.warn("ignoring unreadable spool position {}; replaying its oldest segment from the start", pos);
            }
        }
    }

    private void writePosition() throws IOException {
        Path tmp = dir.resolve("read.pos.tmp");
        Files.writeString(tmp, readSegment + " " + readOffset + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, dir.resolve("read.pos"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of spool segment at " + pos);
            }
            pos += n;
        }
    }

    static void encode(SpooledRecord r, ByteBuffer buf) {
        int start = buf.position();
        buf.position(start + RECORD_HEADER);
        byte[] topic = r.topic().getBytes(StandardCharsets.UTF_8);
        buf.putShort((short) topic.length).put(topic);
        if (r.key() == null) {
            buf.putInt(-1);
        } else {
            byte[] key = r.key().getBytes(StandardCharsets.UTF_8);
            buf.putInt(key.length).put(key);
        }
        buf.putInt(r.valueLength()).put(r.framed(), WireFormat.HEADER_SIZE, r.valueLength());
        buf.putLong(r.schemaFingerprint()).putLong(r.timestamp());
        int end = buf.position();
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), start + RECORD_HEADER, end - start - RECORD_HEADER);
        buf.putInt(start, end - start - RECORD_HEADER);
        buf.putInt(start + 4, (int) crc.getValue());
    }

    static SpooledRecord decode(ByteBuffer p) {
        byte[] topic = new byte[p.getShort() & 0xffff];
        p.get(topic);
        int keyLength = p.getInt();
        String key = null;
        if (keyLength >= 0) {
            byte[] k = new byte[keyLength];
            p.get(k);
            key = new String(k, StandardCharsets.UTF_8);
        }
        int valueLength = p.getInt();
        if (valueLength < 0 || valueLength > p.remaining()) {
            throw new IllegalArgumentException("value length " + valueLength + " beyond the record");
        }
        byte[] framed = new byte[WireFormat.HEADER_SIZE + valueLength];
        p.get(framed, WireFormat.HEADER_SIZE, valueLength);
        return new SpooledRecord(new String(topic, StandardCharsets.UTF_8), key, framed, p.getLong(), p.getLong());
    }
}
