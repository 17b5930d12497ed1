package wikirecent.engine;

/**
 * A count per long key, for a shaped view instance's groups: open addressing over one array of
 * (key, count) pairs, so a lookup in a large instance costs one cache miss, not two; 32 to 64 bytes per
 * group (the table is between a quarter and half full, or emptier after removals). A count that reaches 0
 * removes its key (backward shift, no tombstones): a slot holding count 0 is empty, and windows that
 * shrink leave nothing behind.
 */
final class LongCounts {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final int MIN_BITS = 3;

  private long[] slots; // key at 2i, count at 2i + 1
  private int mask;
  private int shift;
  private int size;

  LongCounts() {
    allocate(MIN_BITS);
  }

  private void allocate(int bits) {
    slots = new long[2 << bits];
    mask = (1 << bits) - 1;
    shift = 64 - bits;
  }

  private int slot(long key) {
    return (int) ((key * GOLDEN) >>> shift);
  }

  /** Adds {@code delta} to the key's count and returns the new count; the count must not go below 0. */
  long add(long key, long delta) {
    long[] s = slots;
    int i = slot(key);
    for (; s[2 * i + 1] != 0; i = (i + 1) & mask) {
      if (s[2 * i] == key) {
        long now = s[2 * i + 1] + delta;
        if (now < 0) {
          throw new IllegalStateException("count of " + key + " below 0");
        }
        s[2 * i + 1] = now;
        if (now == 0) {
          removeAt(i);
        }
        return now;
      }
    }
    if (delta < 0) {
      throw new IllegalStateException("count of " + key + " below 0");
    }
    if (delta > 0) {
      s[2 * i] = key;
      s[2 * i + 1] = delta;
      if (++size > (mask + 1) / 2) {
        resize(2 * (mask + 1));
      }
    }
    return delta;
  }

  long get(long key) {
    long[] s = slots;
    for (int i = slot(key); s[2 * i + 1] != 0; i = (i + 1) & mask) {
      if (s[2 * i] == key) {
        return s[2 * i + 1];
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
    long[] s = slots;
    for (int i = 0; i < s.length; i += 2) {
      if (s[i + 1] != 0) {
        v.accept(s[i], s[i + 1]);
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
    long[] s = slots;
    size--;
    s[2 * hole + 1] = 0;
    for (int i = (hole + 1) & mask; s[2 * i + 1] != 0; i = (i + 1) & mask) {
      int home = slot(s[2 * i]);
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        s[2 * hole] = s[2 * i];
        s[2 * hole + 1] = s[2 * i + 1];
        s[2 * i + 1] = 0;
        hole = i;
      }
    }
    if (size < (mask + 1) / 8 && mask + 1 > (1 << MIN_BITS)) {
      resize((mask + 1) / 2); // a window that shrank gives its memory back
    }
  }

  private void resize(int capacity) {
    long[] old = slots;
    allocate(Integer.numberOfTrailingZeros(capacity));
    long[] s = slots;
    for (int j = 0; j < old.length; j += 2) {
      if (old[j + 1] != 0) {
        int i = slot(old[j]);
        while (s[2 * i + 1] != 0) {
          i = (i + 1) & mask;
        }
        s[2 * i] = old[j];
        s[2 * i + 1] = old[j + 1];
      }
    }
  }
}
