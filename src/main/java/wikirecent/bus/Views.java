package wikirecent.bus;

import java.util.List;
import java.util.Optional;

/**
 * The three views every node always holds, unshaped (the original demo's): their names and columns are the
 * catalogue's ({@link ViewParams.View}). A view name from a request is only ever looked up, never passed on as text.
 */
public enum Views {
  COUNTER(ViewParams.View.COUNTER),
  USER_EDITS(ViewParams.View.USER_EDITS),
  TOP10(ViewParams.View.TOP10);

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

  private final ViewParams.View view;

  Views(ViewParams.View view) {
    this.view = view;
  }

  public String viewName() {
    return view.viewName();
  }

  public List<Column> columns() {
    return view.columns();
  }

  public static Optional<Views> byName(String name) {
    for (Views v : values()) {
      if (v.viewName().equals(name)) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }
}
