package wikirecent.engine;

import wikirecent.bus.UserOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The first {@code n} groups of a shaped instance in {@code ORDER BY count DESC, name} order, under
 * counts that rise and fall (windows expire events), without sorting all groups each time.
 * <p>
 * It keeps a list of up to {@code capacity} groups that are exactly the best ones, in order, and a
 * bound: a (name, count) that ranks behind every listed group and at or ahead of every group outside
 * (none when nothing is outside). A group outside that rises ahead of the bound is the best outsider, so
 * it joins the list; one that falls stays behind the bound. A listed group that falls behind the bound
 * just leaves the list, which is still exact, only shorter. Only when fewer than {@code n} remain while
 * groups are outside does the list go stale, and the next {@link #rows} scans all groups once (and
 * refills the list). The spare room beyond {@code n} is what saves scans when near-equal groups keep
 * changing places.
 */
final class ShapedTop {

  record Row(long key, long count) {
  }

  private final int n;
  private final LongFunction<String> names;
  private final long[] keys;
  private final long[] counts;
  private int size;
  private long boundKey;
  private long boundCount; // 0: nothing outside the list
  private boolean stale = true;

  ShapedTop(int n, int capacity, LongFunction<String> names) {
    if (capacity < n) {
      throw new IllegalArgumentException("capacity " + capacity + " below " + n);
    }
    this.n = n;
    this.names = names;
    this.keys = new long[capacity + 1]; // + 1: the bound found by a scan
    this.counts = new long[capacity + 1];
  }

  /** The group {@code key} now has {@code count}: one more (delta 1) or one less (delta -1) than before. */
  void changed(long key, long count, long delta) {
    if (stale) {
      return;
    }
    // Listed groups have at least the last one's count: a smaller old count is outside, no search needed.
    boolean maybeListed = size > 0 && count - delta >= counts[size - 1];
    int at = maybeListed ? indexOf(key) : -1;
    if (delta > 0) {
      if (at >= 0) {
        counts[at] = count;
        up(at);
      } else {
        raisedOutside(key, count);
      }
    } else if (at >= 0) {
      lowered(at, key, count);
    } // a group outside that fell: still behind the bound
  }

  private void raisedOutside(long key, long count) {
    if (boundCount > 0 && !before(key, count, boundKey, boundCount)) {
      return; // still behind the bound: the bound still bounds it
    }
    int capacity = keys.length - 1;
    if (size < capacity) {
      keys[size] = key;
      counts[size] = count;
      up(size++);
    } else if (before(key, count, keys[size - 1], counts[size - 1])) {
      boundKey = keys[size - 1]; // the last one leaves: now the best outside
      boundCount = counts[size - 1];
      keys[size - 1] = key;
      counts[size - 1] = count;
      up(size - 1);
    } else {
      boundKey = key;
      boundCount = count;
    }
  }

  private void lowered(int at, long key, long count) {
    if (count > 0 && (boundCount == 0 || before(key, count, boundKey, boundCount))) {
      counts[at] = count;
      for (; at + 1 < size && before(keys[at + 1], counts[at + 1], keys[at], counts[at]); at++) {
        swap(at, at + 1);
      }
      return;
    }
    // Gone, or no longer known to beat every group outside: it leaves the list (the bound still bounds it).
    System.arraycopy(keys, at + 1, keys, at, size - at - 1);
    System.arraycopy(counts, at + 1, counts, at, size - at - 1);
    size--;
    stale = size < n && boundCount > 0;
  }

  /** Forgets the list: the next {@link #rows} scans. */
  void invalidate() {
    stale = true;
  }

  /** The first {@code n} rows in rank order, rescanned from {@code all} (every group's count) if stale. */
  List<Row> rows(LongCounts all) {
    if (stale) {
      rebuild(all);
    }
    int shown = Math.min(n, size);
    List<Row> out = new ArrayList<>(shown);
    for (int i = 0; i < shown; i++) {
      out.add(new Row(keys[i], counts[i]));
    }
    return out;
  }

  // The best capacity + 1 groups: all but the last are the list, the last is a tight bound.
  private void rebuild(LongCounts all) {
    int full = keys.length;
    size = 0;
    all.forEach((key, count) -> {
      if (size == full && !before(key, count, keys[full - 1], counts[full - 1])) {
        return;
      }
      int at = size == full ? full - 1 : size++;
      keys[at] = key;
      counts[at] = count;
      up(at);
    });
    if (size == full) {
      size--;
      boundKey = keys[size];
      boundCount = counts[size];
    } else {
      boundCount = 0;
    }
    stale = false;
  }

  private void up(int at) {
    for (; at > 0 && before(keys[at], counts[at], keys[at - 1], counts[at - 1]); at--) {
      swap(at, at - 1);
    }
  }

  private boolean before(long keyA, long countA, long keyB, long countB) {
    if (countA != countB) {
      return countA > countB;
    }
    return UserOrder.NAME.compare(names.apply(keyA), names.apply(keyB)) < 0;
  }

  private int indexOf(long key) {
    for (int i = 0; i < size; i++) {
      if (keys[i] == key) {
        return i;
      }
    }
    return -1;
  }

  private void swap(int i, int j) {
    long k = keys[i];
    long c = counts[i];
    keys[i] = keys[j];
    counts[i] = counts[j];
    keys[j] = k;
    counts[j] = c;
  }
}
