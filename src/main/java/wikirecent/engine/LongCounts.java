package wikirecent.engine;

/**
 * A count per long key, for a shaped view instance's groups: open addressing over two parallel
 * arrays, about 32 bytes per group at the lowest load. A count that reaches 0 removes its key (backward
 * shift, no tombstones), so a slot holding 0 is empty and windows that shrink leave nothing behind.
 */
final class LongCounts {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final int MIN_BITS = 3;

  private long[] keys;
  private long[] counts;
  private int shift;
  private int size;

  LongCounts() {
    allocate(MIN_BITS);
  }

  private void allocate(int bits) {
    keys = new long[1 << bits];
    counts = new long[1 << bits];
    shift = 64 - bits;
  }

  private int slot(long key) {
    return (int) ((key * GOLDEN) >>> shift);
  }

  /** Adds {@code delta} to the key's count and returns the new count; the count must not go below 0. */
  long add(long key, long delta) {
    int mask = keys.length - 1;
    int i = slot(key);
    while (counts[i] != 0) {
      if (keys[i] == key) {
        long now = counts[i] + delta;
        if (now < 0) {
          throw new IllegalStateException("count of " + key + " below 0");
        }
        counts[i] = now;
        if (now == 0) {
          removeAt(i);
        }
        return now;
      }
      i = (i + 1) & mask;
    }
    if (delta < 0) {
      throw new IllegalStateException("count of " + key + " below 0");
    }
    if (delta > 0) {
      keys[i] = key;
      counts[i] = delta;
      if (++size > keys.length / 2) {
        resize(keys.length * 2);
      }
    }
    return delta;
  }

  long get(long key) {
    int mask = keys.length - 1;
    for (int i = slot(key); counts[i] != 0; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return counts[i];
      }
    }
    return 0;
  }

  int size() {
    return size;
  }

  interface Visitor {
    void accept(long key, long count);
  }

  void forEach(Visitor v) {
    for (int i = 0; i < keys.length; i++) {
      if (counts[i] != 0) {
        v.accept(keys[i], counts[i]);
      }
    }
  }

  void clear() {
    if (size > 0) {
      allocate(MIN_BITS);
      size = 0;
    }
  }

  // Linear probing deletion: pull later entries of the run back into the hole while their home allows.
  private void removeAt(int hole) {
    int mask = keys.length - 1;
    size--;
    counts[hole] = 0;
    for (int i = (hole + 1) & mask; counts[i] != 0; i = (i + 1) & mask) {
      int home = slot(keys[i]);
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        keys[hole] = keys[i];
        counts[hole] = counts[i];
        counts[i] = 0;
        hole = i;
      }
    }
    if (size < keys.length / 8 && keys.length > (1 << MIN_BITS)) {
      resize(keys.length / 2); // a window that shrank gives its memory back
    }
  }

  private void resize(int capacity) {
    long[] oldKeys = keys;
    long[] oldCounts = counts;
    allocate(Integer.numberOfTrailingZeros(capacity));
    int mask = keys.length - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldCounts[j] != 0) {
        int i = slot(oldKeys[j]);
        while (counts[i] != 0) {
          i = (i + 1) & mask;
        }
        keys[i] = oldKeys[j];
        counts[i] = oldCounts[j];
      }
    }
  }
}
