package wikirecent.engine;

import java.util.function.ObjLongConsumer;

/**
 * Edit count per (non-NULL) user: an open-addressing hash table of two parallel arrays, so a
 * user costs its String plus about 20 bytes of table, and nothing per event.
 */
final class UserCounts {

  private static final int GOLDEN = 0x9E3779B9;

  private String[] keys;
  private long[] counts;
  private int shift;
  private int size;
  private int growAt;

  UserCounts() {
    this(0);
  }

  /**
   * A table sized for {@code expected} users from the start. Restoring a checkpoint needs this: its
   * users come in the order of the old table's slots, and inserting them in that order into a
   * smaller table that grows on the way piles them into long probe runs.
   */
  UserCounts(int expected) {
    int bits = 10;
    while ((1L << bits) * 7 / 10 < expected) {
      bits++;
    }
    allocate(bits);
  }

  private void allocate(int bits) {
    keys = new String[1 << bits];
    counts = new long[1 << bits];
    shift = 32 - bits;
    growAt = (int) ((1L << bits) * 7 / 10);
  }

  /** Adds {@code n} to the user's count; returns the new count. */
  long add(String user, long n) {
    int h = user.hashCode();
    int mask = keys.length - 1;
    for (int i = (h * GOLDEN) >>> shift; ; i = (i + 1) & mask) {
      String k = keys[i];
      if (k == null) {
        keys[i] = user;
        counts[i] = n;
        if (++size > growAt) {
          grow();
        }
        return n;
      }
      if (k.hashCode() == h && k.equals(user)) {
        return counts[i] += n;
      }
    }
  }

  long get(String user) {
    int h = user.hashCode();
    int mask = keys.length - 1;
    for (int i = (h * GOLDEN) >>> shift; ; i = (i + 1) & mask) {
      String k = keys[i];
      if (k == null) {
        return 0;
      }
      if (k.hashCode() == h && k.equals(user)) {
        return counts[i];
      }
    }
  }

  int size() {
    return size;
  }

  void forEach(ObjLongConsumer<String> action) {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        action.accept(keys[i], counts[i]);
      }
    }
  }

  private void grow() {
    String[] oldKeys = keys;
    long[] oldCounts = counts;
    allocate(32 - shift + 1);
    int mask = keys.length - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      String k = oldKeys[j];
      if (k != null) {
        int i = (k.hashCode() * GOLDEN) >>> shift;
        while (keys[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = k;
        counts[i] = oldCounts[j];
      }
    }
  }
}
