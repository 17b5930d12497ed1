package wikirecent.engine;

import java.util.Arrays;

/**
 * The events of the last {@value #SECONDS} seconds of event time, as group ids in one bucket per
 * second, the bucket of second {@code s} at slot {@code s % SECONDS}. Buckets and not an arrival-order
 * log because events come late: a window's edge then expires exactly the buckets it passes. The owner
 * keeps every stored second within one {@value #SECONDS}-second span, so no two share a slot.
 * <p>
 * An event costs its 4-byte id plus the unused tail of its bucket (grown by half, trimmed once the
 * second is an hour old); a second costs 8 + 4 + 4 bytes of slot arrays and a 16-byte array header.
 */
final class EventRing {

  static final int SECONDS = 86_400;
  private static final int[] NONE = new int[0];

  private final long[] second = new long[SECONDS];
  private final int[][] events = new int[SECONDS][];
  private final int[] sizes = new int[SECONDS];
  private long stored;

  EventRing() {
    Arrays.fill(second, -1);
  }

  private static int slot(long s) {
    return (int) (s % SECONDS);
  }

  void add(long s, int group) {
    int i = slot(s);
    if (second[i] != s) {
      if (sizes[i] != 0) {
        throw new IllegalStateException("second " + s + " would overwrite second " + second[i]);
      }
      second[i] = s;
      events[i] = new int[8];
    }
    int[] e = events[i];
    if (sizes[i] == e.length) {
      events[i] = e = Arrays.copyOf(e, Math.max(8, e.length + (e.length >> 1)));
    }
    e[sizes[i]++] = group;
    stored++;
  }

  /** The number of events of second {@code s}; {@link #bucket} holds them at [0, count). */
  int count(long s) {
    int i = slot(s);
    return second[i] == s ? sizes[i] : 0;
  }

  /** The array holding second {@code s}'s events (only the first {@link #count} are its). */
  int[] bucket(long s) {
    int i = slot(s);
    return second[i] == s ? events[i] : NONE;
  }

  void drop(long s) {
    int i = slot(s);
    if (second[i] == s) {
      stored -= sizes[i];
      second[i] = -1;
      events[i] = null;
      sizes[i] = 0;
    }
  }

  /** Gives back the spare room of second {@code s}'s bucket: late events for it are rare by then. */
  void trim(long s) {
    int i = slot(s);
    if (second[i] == s && events[i].length > sizes[i]) {
      events[i] = Arrays.copyOf(events[i], sizes[i]);
    }
  }

  /** Events stored. */
  long size() {
    return stored;
  }

  void clear() {
    Arrays.fill(second, -1);
    Arrays.fill(events, null);
    Arrays.fill(sizes, 0);
    stored = 0;
  }
}
