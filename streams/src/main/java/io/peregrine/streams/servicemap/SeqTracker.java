package io.peregrine.streams.servicemap;

import io.peregrine.streams.internal.Bytes;
import java.util.ArrayList;
import java.util.List;

/**
 * Which sequence numbers of one agent run (on one topic) were already seen, to drop duplicates
 * from producer retries and spool replays. The agent numbers records strictly increasingly, so the
 * state is the highest seq seen plus the gaps below it that may still be filled (a spool replayed
 * after newer records). Gaps older than {@link #WINDOW} seqs, or beyond {@link #MAX_GAPS} ranges,
 * are forgotten: a record arriving there is treated as a duplicate. State stays a few bytes in the
 * normal case, which keeps the changelog write per commit small.
 */
final class SeqTracker {

    static final long WINDOW = 1_000_000;
    static final int MAX_GAPS = 64;
    private static final int VERSION = 1;

    private long max = -1;
    /** Missing ranges below max, inclusive, ascending; flattened [from0, to0, from1, to1, ...]. */
    private final List<long[]> gaps = new ArrayList<>();
    long lastSeenTs;
    /** Changed since its state was last written (not encoded). */
    boolean dirty;

    /** Records {@code seq}; false when it was seen before (a duplicate). */
    boolean accept(long seq, long timestampMs) {
        lastSeenTs = Math.max(lastSeenTs, timestampMs);
        if (max < 0) {
            if (seq > 0) {
                gaps.add(new long[] {Math.max(0, seq - WINDOW), seq - 1});
            }
            max = seq;
            return true;
        }
        if (seq > max) {
            if (seq > max + 1) {
                gaps.add(new long[] {max + 1, seq - 1});
            }
            max = seq;
            trim();
            return true;
        }
        if (seq == max) {
            return false;
        }
        for (int i = 0; i < gaps.size(); i++) {
            long[] g = gaps.get(i);
            if (seq < g[0]) {
                return false;
            }
            if (seq <= g[1]) {
                if (g[0] == g[1]) {
                    gaps.remove(i);
                } else if (seq == g[0]) {
                    g[0]++;
                } else if (seq == g[1]) {
                    g[1]--;
                } else {
                    gaps.add(i + 1, new long[] {seq + 1, g[1]});
                    g[1] = seq - 1;
                    trim();
                }
                return true;
            }
        }
        return false;
    }

    private void trim() {
        long floor = max - WINDOW;
        while (!gaps.isEmpty() && (gaps.get(0)[1] < floor || gaps.size() > MAX_GAPS)) {
            gaps.remove(0);
        }
        if (!gaps.isEmpty() && gaps.get(0)[0] < floor) {
            gaps.get(0)[0] = floor;
        }
    }

    byte[] encode() {
        Bytes.Writer w = new Bytes.Writer(16 + gaps.size() * 8);
        w.writeByte(VERSION).writeLong(max).writeLong(lastSeenTs).writeInt(gaps.size());
        for (long[] g : gaps) {
            w.writeLong(g[0]).writeLong(g[1] - g[0]);
        }
        return w.toByteArray();
    }

    static SeqTracker decode(byte[] data) {
        Bytes.Reader r = new Bytes.Reader(data);
        if (r.readByte() != VERSION) {
            throw new Bytes.CorruptDataException("seq tracker format unknown");
        }
        SeqTracker t = new SeqTracker();
        t.max = r.readLong();
        t.lastSeenTs = r.readLong();
        int n = r.readSize();
        for (int i = 0; i < n; i++) {
            long from = r.readLong();
            t.gaps.add(new long[] {from, from + r.readLong()});
        }
        return t;
    }
}
