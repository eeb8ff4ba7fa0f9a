package io.peregrine.agent.collect;

import java.util.Arrays;

/**
 * An open-addressing map from non-negative longs (socket inodes) to ints (pids), without boxing:
 * the scan looks up tens of thousands of inodes per interval. {@link #MISSING} is the answer for an
 * absent key. Grows by doubling; never shrinks (one instance lives for one scan).
 */
final class LongIntMap {

  static final int MISSING = Integer.MIN_VALUE;
  private static final long FREE = -1;

  private long[] keys;
  private int[] values;
  private int size;
  private int mask;

  LongIntMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[capacity];
    Arrays.fill(keys, FREE);
    values = new int[capacity];
    mask = capacity - 1;
  }

  int size() {
    return size;
  }

  boolean containsKey(long key) {
    return get(key) != MISSING;
  }

  int get(long key) {
    int i = slot(key);
    while (true) {
      long k = keys[i];
      if (k == key) {
        return values[i];
      }
      if (k == FREE) {
        return MISSING;
      }
      i = (i + 1) & mask;
    }
  }

  /** Puts unless present; returns true when put. */
  boolean putIfAbsent(long key, int value) {
    if (key < 0) {
      throw new IllegalArgumentException("negative key " + key);
    }
    int i = slot(key);
    while (true) {
      long k = keys[i];
      if (k == key) {
        return false;
      }
      if (k == FREE) {
        keys[i] = key;
        values[i] = value;
        if (++size * 2 > keys.length) {
          grow();
        }
        return true;
      }
      i = (i + 1) & mask;
    }
  }

  /** Puts, replacing the value of a present key. */
  void put(long key, int value) {
    if (!putIfAbsent(key, value)) {
      int i = slot(key);
      while (keys[i] != key) {
        i = (i + 1) & mask;
      }
      values[i] = value;
    }
  }

  /** Calls {@code action} for each key. */
  void forEachKey(java.util.function.LongConsumer action) {
    for (long k : keys) {
      if (k != FREE) {
        action.accept(k);
      }
    }
  }

  private int slot(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    Arrays.fill(keys, FREE);
    values = new int[oldKeys.length * 2];
    mask = keys.length - 1;
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != FREE) {
        putIfAbsent(oldKeys[i], oldValues[i]);
      }
    }
  }
}
