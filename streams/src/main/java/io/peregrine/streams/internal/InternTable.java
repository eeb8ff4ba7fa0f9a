package io.peregrine.streams.internal;

import java.util.Arrays;

/**
 * Values by the bytes that encode them, looked up from a range of a larger array without copying:
 * the hot path turns the encoded host names, app ids and addresses of millions of events into the
 * same few thousand objects, instead of decoding a new {@code String} (and hashing it) per event.
 * Open addressing with linear probing; bounded: when {@link #capacity()} entries are reached it
 * starts over empty, so an unbounded key space costs misses, never memory.
 *
 * <p>Not thread-safe: one per task.
 */
public final class InternTable<V> {

    private final int capacity;
    private final byte[][] keys;
    private final int[] hashes;
    private final Object[] values;
    private final int mask;
    private int size;

    /** A table holding up to {@code capacity} entries (at most half full, so lookups stay short). */
    public InternTable(int capacity) {
        if (capacity < 1 || capacity > (1 << 28)) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        int slots = Integer.highestOneBit(capacity * 2 - 1) << 1;
        this.keys = new byte[slots][];
        this.hashes = new int[slots];
        this.values = new Object[slots];
        this.mask = slots - 1;
    }

    public int capacity() {
        return capacity;
    }

    public int size() {
        return size;
    }

    /** Hash of {@code len} bytes of {@code data} from {@code off}, for {@link #get} and {@link #put}. */
    public static int hash(byte[] data, int off, int len) {
        int h = 1;
        for (int i = off, end = off + len; i < end; i++) {
            h = 31 * h + data[i];
        }
        return h ^ (h >>> 16);
    }

    /** The value stored for exactly these bytes, or null. */
    @SuppressWarnings("unchecked")
    public V get(byte[] data, int off, int len, int hash) {
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) {
                return null;
            }
            if (hashes[i] == hash && Arrays.equals(k, 0, k.length, data, off, off + len)) {
                return (V) values[i];
            }
        }
    }

    /** Stores {@code value} for a copy of these bytes (which {@link #get} did not find). */
    public void put(byte[] data, int off, int len, int hash, V value) {
        if (size >= capacity) {
            clear();
        }
        int i = hash & mask;
        while (keys[i] != null) {
            i = (i + 1) & mask;
        }
        keys[i] = Arrays.copyOfRange(data, off, off + len);
        hashes[i] = hash;
        values[i] = value;
        size++;
    }

    public void clear() {
        Arrays.fill(keys, null);
        Arrays.fill(values, null);
        size = 0;
    }
}
