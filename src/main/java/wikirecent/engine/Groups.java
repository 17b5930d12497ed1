package wikirecent.engine;

import java.util.Arrays;

/**
 * Every (wiki, bot, user) seen, as a dense group id with its all-time event count: what a
 * {@code window=all} instance is built from, and what the 24 h of events refer to (an int each).
 * Append-only like the dictionaries. A group costs its key and count (16 bytes) plus at most 8 of
 * table.
 */
final class Groups {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private long[] keys = new long[64];
  private long[] counts = new long[64];
  private int size;
  private int[] table; // group + 1, 0 = empty
  private int shift;

  Groups() {
    allocate(7);
  }

  /** user in the high half, then wiki, then the bot flag in the lowest bit. */
  static long key(int user, int wiki, boolean bot) {
    return ((long) user << 32) | ((long) wiki << 1) | (bot ? 1 : 0);
  }

  static int user(long key) {
    return (int) (key >>> 32);
  }

  static int wiki(long key) {
    return ((int) key) >>> 1;
  }

  static boolean bot(long key) {
    return (key & 1) != 0;
  }

  private void allocate(int bits) {
    table = new int[1 << bits];
    shift = 64 - bits;
  }

  /** Adds {@code n} events to the group of {@code key} (created if new); returns its id. */
  int add(long key, long n) {
    int mask = table.length - 1;
    int i = (int) ((key * GOLDEN) >>> shift);
    for (int t; (t = table[i]) != 0; i = (i + 1) & mask) {
      if (keys[t - 1] == key) {
        counts[t - 1] += n;
        return t - 1;
      }
    }
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
      counts = Arrays.copyOf(counts, size * 2);
    }
    keys[size] = key;
    counts[size] = n;
    table[i] = ++size;
    if (size > table.length / 2) {
      grow();
    }
    return size - 1;
  }

  long key(int group) {
    return keys[group];
  }

  long count(int group) {
    return counts[group];
  }

  int size() {
    return size;
  }

  private void grow() {
    allocate(64 - shift + 1);
    int mask = table.length - 1;
    for (int g = 0; g < size; g++) {
      int i = (int) ((keys[g] * GOLDEN) >>> shift);
      while (table[i] != 0) {
        i = (i + 1) & mask;
      }
      table[i] = g + 1;
    }
  }
}
