package wikirecent.ingest;

import java.util.Arrays;

/**
 * The {@code meta.id}s of the last {@code capacity} events written: a bounded window for dropping re-deliveries.
 * <p>
 * Ids in a ring (oldest leaves first) and an open-addressing table of longs, each the id's hash beside its ring
 * index: a look-up reads one table slot per probe and compares Strings only when the hashes match. A HashSet
 * plus a deque took a node and several cache misses per event on ingest's event loop.
 */
final class RecentIds {

  private final int capacity;
  private String[] ring;
  private int[] hashes; // each ring entry's hash, read back to find its slot when it leaves
  private int head; // the oldest entry, once the ring is full
  private int size;
  private long[] table; // 0 = empty, else (hash << 32) | (ring index + 1); linear probing
  private int mask;

  RecentIds(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, not " + capacity);
    }
    this.capacity = capacity;
    int initial = Math.min(capacity, 1 << 12);
    this.ring = new String[initial];
    this.hashes = new int[initial];
    this.table = new long[tableSize(initial)];
    this.mask = table.length - 1;
  }

  /** Adds {@code id}; false if it is already in the window. The oldest id leaves when the window is full. */
  boolean add(String id) {
    int h = hash(id);
    int i = h & mask;
    for (long e = table[i]; e != 0; e = table[i]) {
      if ((int) (e >>> 32) == h && ring[(int) e - 1].equals(id)) {
        return false;
      }
      i = (i + 1) & mask;
    }
    int at;
    if (size == capacity) {
      at = head;
      remove(hashes[at], at);
      head = head + 1 == capacity ? 0 : head + 1;
      i = free(h); // the removal may have moved entries into the slot found above
    } else {
      at = size++;
      if (at == ring.length) {
        ring = Arrays.copyOf(ring, (int) Math.min(capacity, 2L * at));
        hashes = Arrays.copyOf(hashes, ring.length);
      }
      if (2L * size > table.length) {
        rehash(tableSize(ring.length));
        i = free(h);
      }
    }
    ring[at] = id;
    hashes[at] = h;
    table[i] = ((long) h << 32) | (at + 1);
    return true;
  }

  boolean contains(String id) {
    int h = hash(id);
    for (int i = h & mask; table[i] != 0; i = (i + 1) & mask) {
      long e = table[i];
      if ((int) (e >>> 32) == h && ring[(int) e - 1].equals(id)) {
        return true;
      }
    }
    return false;
  }

  int size() {
    return size;
  }

  private int free(int h) {
    int i = h & mask;
    while (table[i] != 0) {
      i = (i + 1) & mask;
    }
    return i;
  }

  /** Takes ring entry {@code at} out of the table, shifting later entries of its run back (no tombstones). */
  private void remove(int h, int at) {
    int i = h & mask;
    while ((int) table[i] - 1 != at) {
      i = (i + 1) & mask;
    }
    for (int j = (i + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
      int home = (int) (table[j] >>> 32) & mask;
      // the entry at j may fill the gap at i unless its home lies cyclically within (i, j]
      boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        table[i] = table[j];
        i = j;
      }
    }
    table[i] = 0;
  }

  private void rehash(int length) {
    long[] old = table;
    table = new long[length];
    mask = length - 1;
    for (long e : old) {
      if (e != 0) {
        table[free((int) (e >>> 32))] = e;
      }
    }
  }

  /** Twice the entries at least, a power of two: runs stay short. */
  private static int tableSize(int entries) {
    return (int) Math.min(1 << 30, Long.highestOneBit(Math.max(2, entries) * 4L - 1));
  }

  /** String's hash spread over the low bits the table uses (ids share long prefixes). */
  private static int hash(String id) {
    int h = id.hashCode() * 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
