package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;

/**
 * The three views and their columns: a fixed list. A view name from a request is only ever
 * looked up here, never passed on as text.
 */
public enum Views {
  COUNTER("counter", List.of(new Column("count", "bigint"))),
  USER_EDITS("user_edits", List.of(new Column("user", "text"), new Column("count", "bigint"))),
  TOP10("top10", List.of(new Column("user", "text"), new Column("count", "bigint")));

  public static final int TOP_N = 10;

  public record Column(String name, String type) {
    /**
     * Whether a value read from a message can be this column's: text or null (the NULL user), a whole number, a
     * boolean. A row of another shape must not reach a table: rows that mix shapes have no order.
     */
    public boolean holds(Object value) {
      return switch (type) {
        case "text" -> value == null || value instanceof String;
        case "bigint" -> value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte;
        case "boolean" -> value instanceof Boolean;
        default -> false;
      };
    }
  }

  private final String viewName;
  private final List<Column> columns;

  Views(String viewName, List<Column> columns) {
    this.viewName = viewName;
    this.columns = columns;
  }

  public String viewName() {
    return viewName;
  }

  public List<Column> columns() {
    return columns;
  }

  public static Optional<Views> byName(String name) {
    for (Views v : values()) {
      if (v.viewName.equals(name)) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  public JsonObject describe() {
    JsonArray cols = new JsonArray();
    for (Column c : columns) {
      cols.add(new JsonObject().put("name", c.name()).put("type", c.type()));
    }
    return new JsonObject().put("name", viewName).put("columns", cols);
  }
}
