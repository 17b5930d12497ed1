package wikirecent.engine;

import wikirecent.common.UserOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The first {@code n} groups of a shaped instance in {@code ORDER BY count DESC, name} order, under
 * counts that rise and fall (windows expire events). It keeps, besides the list, an upper bound
 * (in that order) on every group outside it. A rise is handled as in {@link TopN}, the bound
 * taking whatever the list pushes out. A row that falls stays exact while it still ranks before
 * the bound; only when it falls behind (or leaves) does the list go stale, and the next
 * {@link #rows} scans all groups once, which also makes the bound tight again.
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

  ShapedTop(int n, LongFunction<String> names) {
    this.n = n;
    this.names = names;
    this.keys = new long[n + 1];
    this.counts = new long[n + 1];
  }

  /** The group {@code key} now has {@code count}: one more (delta 1) or one less (delta -1) than before. */
  void changed(long key, long count, long delta) {
    if (stale) {
      return;
    }
    int at = indexOf(key);
    if (delta > 0) {
      raised(at, key, count);
    } else if (at >= 0) {
      lowered(at, key, count);
    } // a group outside that fell: the bound still bounds it
  }

  private void raised(int at, long key, long count) {
    if (at < 0) {
      if (size < n) {
        at = size++; // a short list holds every group: nothing is outside
      } else if (before(key, count, keys[n - 1], counts[n - 1])) {
        raiseBound(keys[n - 1], counts[n - 1]);
        at = n - 1;
      } else {
        raiseBound(key, count);
        return;
      }
      keys[at] = key;
    }
    counts[at] = count;
    for (; at > 0 && before(keys[at], counts[at], keys[at - 1], counts[at - 1]); at--) {
      swap(at, at - 1);
    }
  }

  private void lowered(int at, long key, long count) {
    if (count == 0) {
      System.arraycopy(keys, at + 1, keys, at, size - at - 1);
      System.arraycopy(counts, at + 1, counts, at, size - at - 1);
      size--;
      stale = boundCount > 0; // a group outside may now belong in the list
      return;
    }
    counts[at] = count;
    if (boundCount > 0 && !before(key, count, boundKey, boundCount)) {
      stale = true;
      return;
    }
    for (; at + 1 < size && before(keys[at + 1], counts[at + 1], keys[at], counts[at]); at++) {
      swap(at, at + 1);
    }
  }

  private void raiseBound(long key, long count) {
    if (boundCount == 0 || before(key, count, boundKey, boundCount)) {
      boundKey = key;
      boundCount = count;
    }
  }

  /** Forgets the list: the next {@link #rows} scans. */
  void invalidate() {
    stale = true;
  }

  /** The rows in rank order, rebuilt from {@code all} (every group's count) if stale. */
  List<Row> rows(LongCounts all) {
    if (stale) {
      rebuild(all);
    }
    List<Row> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new Row(keys[i], counts[i]));
    }
    return out;
  }

  // The best n + 1 in the arrays (one spare slot): the first n are the list, the last the tight bound.
  private void rebuild(LongCounts all) {
    size = 0;
    all.forEach((key, count) -> {
      if (size == n + 1 && !before(key, count, keys[n], counts[n])) {
        return;
      }
      int at = size == n + 1 ? n : size++;
      keys[at] = key;
      counts[at] = count;
      for (; at > 0 && before(keys[at], counts[at], keys[at - 1], counts[at - 1]); at--) {
        swap(at, at - 1);
      }
    });
    if (size == n + 1) {
      size = n;
      boundKey = keys[n];
      boundCount = counts[n];
    } else {
      boundCount = 0;
    }
    stale = false;
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
