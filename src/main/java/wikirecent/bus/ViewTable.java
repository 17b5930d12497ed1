package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A view's rows as a client holds them: start from a snapshot, apply batches in timestamp
 * order. Rows are a multiset (the views' rows are distinct, but a diff stream need not assume it).
 */
public final class ViewTable {

  private final String view;
  private Map<List<Object>, Integer> rows = new HashMap<>();
  private long timestamp = -1;
  private boolean hasSnapshot;
  /** Captures of the map not yet released: while there are any, the next change works on a copy. */
  private int captured;
  // The rows' keys in the view's order as of change number orderAt (null: none yet), and the keys changed since, with
  // the number of their last change: a capture's snapshot merges the two instead of sorting every row again (see
  // Captured#snapshot). A snapshot applied, or changed keys past half the rows, starts a new orderLineage.
  private List<List<Object>> order;
  private long orderAt = -1;
  private long orderLineage;
  private long changes;
  private final Map<List<Object>, Long> changed = new HashMap<>();

  public ViewTable(String view) {
    this.view = view;
  }

  public String view() {
    return view;
  }

  public long timestamp() {
    return timestamp;
  }

  public boolean hasSnapshot() {
    return hasSnapshot;
  }

  public int size() {
    int n = 0;
    for (int count : rows.values()) {
      n += count;
    }
    return n;
  }

  /**
   * Applies a snapshot (replaces everything) or a batch. A batch at or before the current
   * timestamp is ignored (returns true: nothing is wrong). Returns false when the batch does
   * not fit the state (deletes a row that is not there, or arrives before any snapshot): the
   * holder has diverged and must take a fresh snapshot.
   */
  public boolean apply(JsonObject message) {
    long ts = ViewMessage.timestamp(message);
    if (ViewMessage.isSnapshot(message)) {
      rows = new HashMap<>();
      captured = 0;
      forgetOrder();
      addAll(message.getJsonArray(ViewMessage.INSERTED));
      timestamp = ts;
      hasSnapshot = true;
      return true;
    }
    if (!hasSnapshot) {
      return false;
    }
    if (ts <= timestamp) {
      return true;
    }
    if (captured > 0) {
      rows = new HashMap<>(rows);
      captured = 0;
    }
    boolean consistent = true;
    for (Object row : message.getJsonArray(ViewMessage.DELETED)) {
      List<Object> key = normalize((JsonArray) row);
      Integer count = rows.get(key);
      if (count == null) {
        consistent = false;
      } else if (count == 1) {
        rows.remove(key);
        touched(key);
      } else {
        rows.put(key, count - 1);
      }
    }
    for (Object row : message.getJsonArray(ViewMessage.INSERTED)) {
      List<Object> key = normalize((JsonArray) row);
      if (rows.merge(key, 1, Integer::sum) == 1) {
        touched(key);
      }
    }
    timestamp = ts;
    return consistent;
  }

  /**
   * Drops the state: the holder has no snapshot until the next one. For a state a batch that did not fit left half
   * applied (its deletes that fitted and its inserts are in), which nobody should be served.
   */
  public void forget() {
    rows = new HashMap<>();
    captured = 0;
    forgetOrder();
    hasSnapshot = false;
  }

  private void addAll(JsonArray inserted) {
    for (Object row : inserted) {
      rows.merge(normalize((JsonArray) row), 1, Integer::sum);
    }
  }

  // A key came or went (a count changing within the multiset moves no key in the order).
  private void touched(List<Object> key) {
    changed.put(key, ++changes);
    if (changed.size() > Math.max(16, rows.size() / 2)) {
      forgetOrder(); // merging would cost about what sorting does
    }
  }

  private void forgetOrder() {
    order = null;
    orderAt = -1;
    orderLineage++;
    changed.clear();
  }

  /** The rows in the view's order (count descending, then name; see {@link UserOrder}); other rows column by column. */
  public JsonArray rows() {
    return sorted(rows);
  }

  public JsonObject snapshot() {
    return ViewMessage.snapshot(view, timestamp, rows());
  }

  /**
   * The state as it is now, to be sorted and serialized on another thread while this table goes on: until it is
   * {@linkplain #release released}, a change copies the rows first, so what was captured never changes.
   */
  public Captured capture() {
    captured++;
    List<List<Object>> since = order == null ? null : List.copyOf(changed.keySet());
    return new Captured(view, timestamp, rows, orderLineage, changes, order, since);
  }

  /**
   * Whoever read {@code state} is done with it: if it is still this table's state, the next change may be made in
   * place again, with no copy. The order its snapshot was built in, if newer, is kept for the next capture to start
   * from.
   */
  public void release(Captured state) {
    if (state.rows == rows && captured > 0) {
      captured--;
    }
    List<List<Object>> built = state.order;
    if (built != null && state.lineage == orderLineage && state.changes > orderAt) {
      order = built;
      orderAt = state.changes;
      changed.values().removeIf(n -> n <= state.changes);
    }
  }

  /** A state of the table that no longer changes. */
  public static final class Captured {
    private final String view;
    private final long timestamp;
    private final Map<List<Object>, Integer> rows;
    private final long lineage;
    private final long changes;
    private final List<List<Object>> previous;
    private final List<List<Object>> changedSince;
    /** The keys in order, once {@link #snapshot()} has run (read back on the table's thread after it). */
    private volatile List<List<Object>> order;

    private Captured(String view, long timestamp, Map<List<Object>, Integer> rows, long lineage, long changes,
                     List<List<Object>> previous, List<List<Object>> changedSince) {
      this.view = view;
      this.timestamp = timestamp;
      this.rows = rows;
      this.lineage = lineage;
      this.changes = changes;
      this.previous = previous;
      this.changedSince = changedSince;
    }

    public long timestamp() {
      return timestamp;
    }

    /**
     * Its snapshot message, the rows in the view's order: as {@link ViewTable#snapshot()} gave when captured. From
     * the order an earlier snapshot was built in, only the keys changed since are sorted and merged in (O(n) besides
     * those); without one, every key is sorted.
     */
    public JsonObject snapshot() {
      List<List<Object>> keys = previous == null ? sortedKeys(rows.keySet()) : merged(previous, changedSince, rows);
      order = keys;
      return ViewMessage.snapshot(view, timestamp, expanded(keys, rows));
    }
  }

  private static JsonArray sorted(Map<List<Object>, Integer> rows) {
    return expanded(sortedKeys(rows.keySet()), rows);
  }

  private static List<List<Object>> sortedKeys(Collection<List<Object>> keys) {
    List<List<Object>> list = new ArrayList<>(keys);
    list.sort(ROW_ORDER);
    return list;
  }

  // The keys of `rows` in order: those of `previous` that did not change, with the changed ones still present
  // sorted in between.
  private static List<List<Object>> merged(List<List<Object>> previous, List<List<Object>> changedSince,
                                           Map<List<Object>, Integer> rows) {
    Set<List<Object>> changed = new HashSet<>(changedSince);
    List<List<Object>> fresh = new ArrayList<>();
    for (List<Object> key : changed) {
      if (rows.containsKey(key)) {
        fresh.add(key);
      }
    }
    fresh.sort(ROW_ORDER);
    List<List<Object>> out = new ArrayList<>(rows.size());
    int f = 0;
    for (List<Object> key : previous) {
      if (changed.contains(key)) {
        continue;
      }
      while (f < fresh.size() && ROW_ORDER.compare(fresh.get(f), key) < 0) {
        out.add(fresh.get(f++));
      }
      out.add(key);
    }
    while (f < fresh.size()) {
      out.add(fresh.get(f++));
    }
    return out;
  }

  private static JsonArray expanded(List<List<Object>> keys, Map<List<Object>, Integer> rows) {
    JsonArray out = new JsonArray();
    for (List<Object> row : keys) {
      for (int i = rows.get(row); i > 0; i--) {
        out.add(new JsonArray(new ArrayList<>(row)));
      }
    }
    return out;
  }

  /** Integral numbers become Long, so [x, 5] from any decoder is one row. */
  public static List<Object> normalize(JsonArray row) {
    List<Object> out = new ArrayList<>(row.size());
    for (int i = 0; i < row.size(); i++) {
      Object v = row.getValue(i);
      if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
        v = ((Number) v).longValue();
      }
      out.add(v);
    }
    return Collections.unmodifiableList(out); // List.copyOf refuses the NULL user
  }

  // [name, count] rows (top10, top_wikis) rank as in top10; other rows (edits_per_minute's [minute, bot, count])
  // go column by column, so a snapshot's order never depends on a hash.
  private static final Comparator<List<Object>> ROW_ORDER = (a, b) -> {
    if (a.size() == 2 && b.size() == 2 && a.get(1) instanceof Long && b.get(1) instanceof Long
      && !(a.get(0) instanceof Number) && !(b.get(0) instanceof Number)) {
      return UserOrder.compare((String) a.get(0), (Long) a.get(1), (String) b.get(0), (Long) b.get(1));
    }
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = compareValues(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  };

  // Numbers, then false/true, then text (code points); null last.
  private static int compareValues(Object x, Object y) {
    if (x == null || y == null) {
      return x == null ? (y == null ? 0 : 1) : -1;
    }
    int kx = kind(x);
    int ky = kind(y);
    if (kx != ky) {
      return Integer.compare(kx, ky);
    }
    return switch (kx) {
      case 0 -> x instanceof Long lx && y instanceof Long ly ? Long.compare(lx, ly)
        : Double.compare(((Number) x).doubleValue(), ((Number) y).doubleValue());
      case 1 -> Boolean.compare((Boolean) x, (Boolean) y);
      case 2 -> UserOrder.CODE_POINT.compare((String) x, (String) y);
      default -> 0;
    };
  }

  private static int kind(Object v) {
    return v instanceof Number ? 0 : v instanceof Boolean ? 1 : v instanceof String ? 2 : 3;
  }
}
