package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A view's rows as a client holds them: start from a snapshot, apply batches in timestamp
 * order. Rows are a multiset (the views' rows are distinct, but a diff stream need not assume it).
 */
public final class ViewTable {

  private final String view;
  private Map<List<Object>, Integer> rows = new HashMap<>();
  private long timestamp = -1;
  private boolean hasSnapshot;
  /** The map was handed out by {@link #capture()} and not yet released: the next change works on a copy. */
  private boolean captured;

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
      captured = false;
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
    if (captured) {
      rows = new HashMap<>(rows);
      captured = false;
    }
    boolean consistent = true;
    for (Object row : message.getJsonArray(ViewMessage.DELETED)) {
      List<Object> key = normalize((JsonArray) row);
      Integer count = rows.get(key);
      if (count == null) {
        consistent = false;
      } else if (count == 1) {
        rows.remove(key);
      } else {
        rows.put(key, count - 1);
      }
    }
    addAll(message.getJsonArray(ViewMessage.INSERTED));
    timestamp = ts;
    return consistent;
  }

  private void addAll(JsonArray inserted) {
    for (Object row : inserted) {
      rows.merge(normalize((JsonArray) row), 1, Integer::sum);
    }
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
    captured = true;
    return new Captured(view, timestamp, rows);
  }

  /**
   * Whoever read {@code state} is done with it: if it is still this table's state, the next change may be made in
   * place again, with no copy.
   */
  public void release(Captured state) {
    if (state.rows == rows) {
      captured = false;
    }
  }

  /** A state of the table that no longer changes. */
  public static final class Captured {
    private final String view;
    private final long timestamp;
    private final Map<List<Object>, Integer> rows;

    private Captured(String view, long timestamp, Map<List<Object>, Integer> rows) {
      this.view = view;
      this.timestamp = timestamp;
      this.rows = rows;
    }

    public long timestamp() {
      return timestamp;
    }

    /** Its snapshot message, the rows in the view's order: as {@link ViewTable#snapshot()} gave when captured. */
    public JsonObject snapshot() {
      return ViewMessage.snapshot(view, timestamp, sorted(rows));
    }
  }

  private static JsonArray sorted(Map<List<Object>, Integer> rows) {
    List<List<Object>> list = new ArrayList<>();
    rows.forEach((row, count) -> {
      for (int i = 0; i < count; i++) {
        list.add(row);
      }
    });
    list.sort(ROW_ORDER);
    JsonArray out = new JsonArray();
    for (List<Object> row : list) {
      out.add(new JsonArray(new ArrayList<>(row)));
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
