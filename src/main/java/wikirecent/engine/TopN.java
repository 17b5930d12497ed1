package wikirecent.engine;

import wikirecent.bus.UserOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The first {@code n} groups in {@code ORDER BY count DESC, user} order, kept exactly without an
 * index of all groups. It relies on counts only ever growing (the file is append-only): when one
 * group's count rises, every other group keeps its rank relative to the rest, so a group outside
 * the top can only get in through its own increment, and the new top is the best {@code n} of the
 * old top plus that group. The property tests check this against a full sort.
 */
final class TopN {

  record Row(String user, long count) {
  }

  private final int n;
  private final String[] users;
  private final long[] counts;
  private int size;

  TopN(int n) {
    this.n = n;
    this.users = new String[n];
    this.counts = new long[n];
  }

  /** The group {@code user} (null: the NULL group) now has {@code count} events, more than before. */
  void raised(String user, long count) {
    if (size == n && count < counts[n - 1]) {
      return; // cannot be in the top (it would have at least the last count) and cannot enter
    }
    int at = indexOf(user);
    if (at < 0) {
      if (size < n) {
        at = size++;
      } else if (UserOrder.compare(user, count, users[n - 1], counts[n - 1]) < 0) {
        at = n - 1; // displaces the last one
      } else {
        return;
      }
      users[at] = user;
    }
    counts[at] = count;
    while (at > 0 && UserOrder.compare(users[at], counts[at], users[at - 1], counts[at - 1]) < 0) {
      String u = users[at];
      long c = counts[at];
      users[at] = users[at - 1];
      counts[at] = counts[at - 1];
      users[at - 1] = u;
      counts[at - 1] = c;
      at--;
    }
  }

  private int indexOf(String user) {
    for (int i = 0; i < size; i++) {
      if (Objects.equals(users[i], user)) {
        return i;
      }
    }
    return -1;
  }

  /** The rows in rank order. */
  List<Row> rows() {
    List<Row> rows = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      rows.add(new Row(users[i], counts[i]));
    }
    return rows;
  }
}
