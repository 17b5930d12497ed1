package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A view and the parameters that shape it: which wiki (or any), bot edits or not (or any), and a
 * window of event time (5m, 1h, 24h or all). Null stands for "any". Its canonical text, the one
 * name of an instance on the bus and in URLs, lists the keys in the order wiki, bot, window and
 * leaves defaults out: {@code top10?wiki=enwiki&bot=false&window=1h}; the default set is just
 * {@code top10}.
 * <p>
 * {@code edits_per_minute} takes only a wiki (bot is one of its columns, its window is always the
 * last hour); {@code user_edits} and {@code wiki_edits} take nothing. The wiki is a name of
 * {@code [a-z0-9_]{1,64}} other than {@code any}, so it can never need escaping.
 */
public record ViewParams(View view, String wiki, Boolean bot, Window window) {

  /** Every view there is, with its columns and the parameters it takes: the one catalogue. */
  public enum View {
    COUNTER("counter", List.of(WIKI, BOT, WINDOW), col("count", "bigint")),
    USER_EDITS("user_edits", List.of(), col("user", "text"), col("count", "bigint")),
    TOP10("top10", List.of(WIKI, BOT, WINDOW), col("user", "text"), col("count", "bigint")),
    TOP_WIKIS("top_wikis", List.of(WIKI, BOT, WINDOW), col("wiki", "text"), col("count", "bigint")),
    EDITS_PER_MINUTE("edits_per_minute", List.of(WIKI), col("minute", "bigint"), col("bot", "boolean"), col("count", "bigint")),
    WIKI_EDITS("wiki_edits", List.of(), col("wiki", "text"), col("count", "bigint"));

    private final String viewName;
    private final List<String> params;
    private final List<Views.Column> columns;

    View(String viewName, List<String> params, Views.Column... columns) {
      this.viewName = viewName;
      this.params = params;
      this.columns = List.of(columns);
    }

    public String viewName() {
      return viewName;
    }

    public List<Views.Column> columns() {
      return columns;
    }

    /** Whether a message's row is one of this view's: a value for each column, of its type. */
    public boolean fits(JsonArray row) {
      if (row.size() != columns.size()) {
        return false;
      }
      for (int i = 0; i < columns.size(); i++) {
        if (!columns.get(i).holds(row.getValue(i))) {
          return false;
        }
      }
      return true;
    }

    /** The parameters it takes, in canonical order (a subset of wiki, bot, window). */
    public List<String> params() {
      return params;
    }

    /**
     * What {@code GET /api/views} lists for it: {@code {"name":"top10","columns":[{"name":"user","type":"text"},..],
     * "params":[{"name":"wiki","type":"text","pattern":"[a-z0-9_]{1,64}","default":"any"},..]}}.
     */
    public JsonObject describe() {
      JsonArray cols = new JsonArray();
      for (Views.Column c : columns) {
        cols.add(new JsonObject().put("name", c.name()).put("type", c.type()));
      }
      JsonArray ps = new JsonArray();
      for (String p : params) {
        ps.add(switch (p) {
          case WIKI -> new JsonObject().put("name", WIKI).put("type", "text").put("pattern", WIKI_NAME.pattern()).put("default", ANY);
          case BOT -> new JsonObject().put("name", BOT).put("type", "boolean").put("values", new JsonArray().add("true").add("false").add(ANY))
            .put("default", ANY);
          default -> {
            JsonArray values = new JsonArray();
            for (Window w : Window.values()) {
              values.add(w.text);
            }
            yield new JsonObject().put("name", WINDOW).put("type", "text").put("values", values).put("default", Window.ALL.text);
          }
        });
      }
      return new JsonObject().put("name", viewName).put("columns", cols).put("params", ps);
    }

    public static View byName(String name) {
      for (View v : values()) {
        if (v.viewName.equals(name)) {
          return v;
        }
      }
      throw new IllegalArgumentException("unknown view '" + shorten(String.valueOf(name)) + "' (views: "
        + Arrays.stream(values()).map(View::viewName).collect(Collectors.joining(", ")) + ")");
    }
  }

  /** A window of event time: an event is in it when its time is after the newest event time minus {@link #seconds}. */
  public enum Window {
    FIVE_MINUTES("5m", 300),
    HOUR("1h", 3600),
    DAY("24h", 86400),
    ALL("all", 0);

    private final String text;
    private final long seconds;

    Window(String text, long seconds) {
      this.text = text;
      this.seconds = seconds;
    }

    public String text() {
      return text;
    }

    /** The window's length; 0 for {@link #ALL}, which has none. */
    public long seconds() {
      return seconds;
    }

    public static Window byText(String text) {
      for (Window w : values()) {
        if (w.text.equals(text)) {
          return w;
        }
      }
      throw new IllegalArgumentException("window must be 5m, 1h, 24h or all, not '" + shorten(text) + "'");
    }
  }

  public static final String WIKI = "wiki";
  public static final String BOT = "bot";
  public static final String WINDOW = "window";
  /** The word for "every wiki" / "bot or not" in a query. */
  public static final String ANY = "any";

  private static final Pattern WIKI_NAME = Pattern.compile("[a-z0-9_]{1,64}");

  /** Every view's {@link View#describe}, in catalogue order: the body of {@code GET /api/views}'s list. */
  public static JsonArray catalogue() {
    JsonArray out = new JsonArray();
    for (View v : View.values()) {
      out.add(v.describe());
    }
    return out;
  }

  public ViewParams {
    if (view == null || window == null) {
      throw new IllegalArgumentException("a view and a window are required");
    }
    if (wiki != null && (!WIKI_NAME.matcher(wiki).matches() || wiki.equals(ANY))) {
      throw new IllegalArgumentException(wiki.equals(ANY) ? "the wiki 'any' is written as no wiki"
        : "wiki must match [a-z0-9_]{1,64}, not '" + shorten(wiki) + "'");
    }
    if (view.params.isEmpty() && (wiki != null || bot != null || window != Window.ALL)) {
      throw new IllegalArgumentException(view.viewName + " takes no parameters");
    }
    if (view == View.EDITS_PER_MINUTE && (bot != null || window != Window.HOUR)) {
      throw new IllegalArgumentException("edits_per_minute takes only wiki (bot is a column, the window is always 1h)");
    }
  }

  /** The view with every parameter at its default. */
  public static ViewParams of(View view) {
    return new ViewParams(view, null, null, view == View.EDITS_PER_MINUTE ? Window.HOUR : Window.ALL);
  }

  public ViewParams withWiki(String wiki) {
    return new ViewParams(view, wiki, bot, window);
  }

  public ViewParams withBot(Boolean bot) {
    return new ViewParams(view, wiki, bot, window);
  }

  public ViewParams withWindow(Window window) {
    return new ViewParams(view, wiki, bot, window);
  }

  /** True when no parameter differs from the default: the unparameterised view. */
  public boolean isDefault() {
    return equals(of(view));
  }

  /** The non-default parameters, as messages carry them: {@code {"wiki":"enwiki","bot":false,"window":"1h"}}. */
  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    if (wiki != null) {
      o.put(WIKI, wiki);
    }
    if (bot != null) {
      o.put(BOT, bot);
    }
    if (window != of(view).window) {
      o.put(WINDOW, window.text);
    }
    return o;
  }

  /** The canonical text: {@code top10?wiki=enwiki&bot=false&window=1h}. */
  @Override
  public String toString() {
    return key(view.viewName, toJson());
  }

  /**
   * The canonical key of a view name and a params object as {@link #toJson} makes it (null or empty for the
   * default set): what a message's {@code view} and {@code params} name, see {@link ViewMessage#key}.
   */
  public static String key(String viewName, JsonObject params) {
    if (params == null || params.isEmpty()) {
      return viewName;
    }
    StringBuilder sb = new StringBuilder(viewName);
    char sep = '?';
    for (Map.Entry<String, Object> e : params) {
      sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
      sep = '&';
    }
    return sb.toString();
  }

  /**
   * Reads a snapshot request's body for the view: null (the default set) or a params object such as
   * {@link #toJson} makes ({@code wiki} a string, {@code bot} a boolean, {@code window} a string; {@code any}
   * and {@code all} mean the default). Throws {@link IllegalArgumentException} with a message fit for the client.
   */
  public static ViewParams fromJson(String viewName, Object body) {
    if (body == null) {
      return parse(viewName, List.of());
    }
    if (!(body instanceof JsonObject params)) {
      throw new IllegalArgumentException("the request body must be null or a params object like {\"wiki\":\"enwiki\",\"bot\":false,"
        + "\"window\":\"1h\"}, not " + shorten(String.valueOf(body)));
    }
    List<Map.Entry<String, String>> query = new java.util.ArrayList<>();
    for (Map.Entry<String, Object> e : params) {
      Object v = e.getValue();
      String key = e.getKey();
      boolean known = key.equals(WIKI) || key.equals(BOT) || key.equals(WINDOW); // others: parse names what the view takes
      boolean typed = key.equals(BOT) ? v instanceof Boolean || ANY.equals(v) : v instanceof String;
      if (known && !typed) {
        throw new IllegalArgumentException(shorten(e.getKey()) + (e.getKey().equals(BOT) ? " must be true or false (JSON booleans)"
          : " must be a string") + ", not " + shorten(String.valueOf(v)));
      }
      query.add(Map.entry(key, String.valueOf(v)));
    }
    return parse(viewName, query);
  }

  /** Reads the canonical text (or any order of its keys). */
  public static ViewParams parse(String text) {
    int q = text.indexOf('?');
    if (q < 0) {
      return parse(text, List.of());
    }
    List<Map.Entry<String, String>> query = new java.util.ArrayList<>();
    for (String pair : text.substring(q + 1).split("&", -1)) {
      int eq = pair.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("'" + shorten(pair) + "' is not key=value");
      }
      query.add(Map.entry(pair.substring(0, eq), pair.substring(eq + 1)));
    }
    return parse(text.substring(0, q), query);
  }

  /**
   * Reads a view name and its query parameters: a {@code Map.entrySet()} or Vert.x's {@code MultiMap}.
   * {@code any} (wiki, bot) and {@code all} (window) are the defaults, as if the key were absent.
   * Throws {@link IllegalArgumentException} with a message fit for the client.
   */
  public static ViewParams parse(String viewName, Iterable<Map.Entry<String, String>> query) {
    View view = View.byName(viewName);
    ViewParams p = of(view);
    Set<String> seen = new HashSet<>();
    for (Map.Entry<String, String> e : query) {
      String key = e.getKey();
      String value = e.getValue();
      if (!view.params.contains(key)) {
        throw new IllegalArgumentException(view.viewName + takes(view) + ", not '" + shorten(key) + "'");
      }
      if (!seen.add(key)) {
        throw new IllegalArgumentException(key + " given twice");
      }
      switch (key) {
        case WIKI -> p = p.withWiki(value.equals(ANY) ? null : value);
        case BOT -> p = p.withBot(switch (value) {
          case "true" -> Boolean.TRUE;
          case "false" -> Boolean.FALSE;
          case ANY -> null;
          default -> throw new IllegalArgumentException("bot must be true, false or any, not '" + shorten(value) + "'");
        });
        default -> p = p.withWindow(Window.byText(value));
      }
    }
    return p;
  }

  private static String takes(View view) {
    return switch (view.params.size()) {
      case 0 -> " takes no parameters";
      case 1 -> " takes only " + view.params.get(0);
      default -> " takes " + String.join(", ", view.params.subList(0, view.params.size() - 1)) + " and " + view.params.get(view.params.size() - 1);
    };
  }

  // A client's text in an error message: bounded.
  private static String shorten(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  private static Views.Column col(String name, String type) {
    return new Views.Column(name, type);
  }
}
