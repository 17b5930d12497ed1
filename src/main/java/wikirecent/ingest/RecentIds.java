package wikirecent.ingest;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/** The {@code meta.id}s of the last {@code capacity} events written: a bounded window for dropping re-deliveries. */
final class RecentIds {

  private final int capacity;
  private final ArrayDeque<String> order;
  private final Set<String> ids;

  RecentIds(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, not " + capacity);
    }
    this.capacity = capacity;
    this.order = new ArrayDeque<>(Math.min(capacity, 1 << 16));
    this.ids = new HashSet<>(Math.min(capacity, 1 << 16) * 2);
  }

  /** Adds {@code id}; false if it is already in the window. The oldest id leaves when the window is full. */
  boolean add(String id) {
    if (!ids.add(id)) {
      return false;
    }
    order.addLast(id);
    if (order.size() > capacity) {
      ids.remove(order.removeFirst());
    }
    return true;
  }

  boolean contains(String id) {
    return ids.contains(id);
  }

  int size() {
    return order.size();
  }
}
