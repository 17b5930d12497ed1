package wikirecent.tail;

import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.data.Numeric;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads TAIL rows as the PG client decoded them: {@code mz_timestamp} (numeric, scale 0:
 * milliseconds), {@code mz_progressed} (bool), {@code mz_diff} (int8, NULL on progress rows),
 * then the view's columns (all nullable). One per session: the columns are checked once.
 */
final class TailRowReader {

  private final String sqlView;
  private final List<String> expected = new ArrayList<>(List.of("mz_timestamp", "mz_progressed", "mz_diff"));
  private boolean checked;

  TailRowReader(String sqlView, List<Views.Column> columns) {
    this.sqlView = sqlView;
    columns.forEach(c -> expected.add(c.name()));
  }

  /** Hands the row to the batcher; true if it was a progress row. */
  boolean feed(Row row, TailBatcher batcher) {
    if (!checked) {
      checkColumns(row);
    }
    long ts = timestamp(row.getValue(0));
    if (Boolean.TRUE.equals(row.getBoolean(1))) {
      batcher.progress(ts);
      return true;
    }
    Long diff = row.getLong(2);
    if (diff == null) {
      throw new TailProtocolException("a data row without mz_diff at " + ts);
    }
    JsonArray values = new JsonArray();
    for (int i = 3; i < row.size(); i++) {
      values.add(column(row.getValue(i)));
    }
    batcher.data(ts, diff, values);
    return false;
  }

  private void checkColumns(Row row) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < row.size(); i++) {
      names.add(row.getColumnName(i));
    }
    if (!names.equals(expected)) {
      throw new TailProtocolException("TAIL " + sqlView + " has columns " + names + ", expected " + expected
        + " (was the view created by something else? drop it and it is created again)");
    }
    checked = true;
  }

  private static long timestamp(Object value) {
    if (value instanceof Numeric n && !n.isNaN()) {
      try {
        return n.bigDecimalValue().longValueExact();
      } catch (ArithmeticException e) {
        throw new TailProtocolException("mz_timestamp " + n + " is not a whole number of milliseconds");
      }
    }
    if (value instanceof Long l) {
      return l;
    }
    throw new TailProtocolException("mz_timestamp is " + value);
  }

  // text stays text (or NULL); bigint arrives as Long, numeric as Numeric: both become long.
  private static Object column(Object value) {
    if (value instanceof Numeric n && !n.isNaN() && n.bigDecimalValue().scale() <= 0) {
      return n.bigDecimalValue().longValueExact();
    }
    if (value instanceof Integer || value instanceof Short) {
      return ((Number) value).longValue();
    }
    return value;
  }
}
