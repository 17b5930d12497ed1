package wikirecent.web;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A stand-in for the views part with shaped views, following the contract on the event bus: it
 * answers {@code views.<view>.snapshot} (body null for the default set, else the params object),
 * opening an instance on demand, publishes each live instance's batches on {@code views.<key>}
 * ({@code params} in the message when not the default set), and refuses with 400 (bad params),
 * 429 (more than {@link #maxInstances} live shaped instances), 501 (as a source that cannot
 * shape, like Materialize) or 503 (catching up). It answers {@code views.wanted} too.
 * <p>
 * Its model is deliberately plain and independent of the code under test (no ViewParams, no
 * ShapedCore): a list of edits (user, wiki, bot, event time), every instance recomputed from
 * scratch after each step and diffed against what it last published.
 */
public class ShapedScriptedSource extends VerticleBase {

  /** One edit: user and wiki may be null (NULL in the view), ts (event time in seconds) may be null (none). */
  public record Edit(String user, String wiki, boolean bot, Long ts) {
  }

  /** Code-point order of names, NULL last (the server's C collation). */
  static final java.util.Comparator<String> NAMES = (a, b) -> {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : 1) : -1;
    }
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  };

  static final List<String> VIEWS = List.of("counter", "user_edits", "top10", "top_wikis", "wiki_edits", "edits_per_minute");
  private static final Map<String, Long> WINDOWS = Map.of("5m", 300L, "1h", 3600L, "24h", 86400L);

  private final List<Edit> edits = new ArrayList<>();
  private Long watermark; // the newest event time so far; never moves back
  private final Map<String, List<List<Object>>> live = new LinkedHashMap<>(); // key -> rows last published
  private final Map<String, Long> lastPublished = new HashMap<>();
  private long lastTimestamp;
  private int maxInstances = Integer.MAX_VALUE;
  private int refuseCode; // 0: none
  private String refuseMessage;
  private int catchingUp; // requests still to be answered 503
  private final List<String> requests = new ArrayList<>(); // keys asked for, in order
  private Context ctx;

  @Override
  public Future<?> start() {
    ctx = context;
    lastTimestamp = System.currentTimeMillis();
    for (String view : VIEWS) {
      live.put(view, rows(view)); // the default sets are always live
    }
    List<Future<?>> registered = new ArrayList<>();
    for (String view : VIEWS) {
      registered.add(vertx.eventBus().<Object>consumer("views." + view + ".snapshot", msg -> snapshotRequest(view, msg)).completion());
    }
    registered.add(vertx.eventBus().<JsonObject>consumer("views.wanted", msg -> {
      JsonArray unknown = new JsonArray();
      for (Object k : msg.body().getJsonArray("keys", new JsonArray())) {
        if (!live.containsKey(String.valueOf(k))) {
          unknown.add(k);
        }
      }
      msg.reply(new JsonObject().put("unknown", unknown));
    }).completion());
    return Future.all(registered);
  }

  private void snapshotRequest(String view, Message<Object> msg) {
    String key;
    try {
      key = keyOf(view, msg.body());
    } catch (IllegalArgumentException e) {
      msg.fail(400, e.getMessage());
      return;
    }
    requests.add(key);
    if (catchingUp > 0) {
      catchingUp--;
      msg.fail(503, "catching up");
      return;
    }
    boolean shaped = key.contains("?");
    if (shaped && refuseCode != 0) {
      msg.fail(refuseCode, refuseMessage);
      return;
    }
    if (shaped && !live.containsKey(key)) {
      long open = live.keySet().stream().filter(k -> k.contains("?")).count();
      if (open >= maxInstances) {
        msg.fail(429, "too many live views (views.maxInstances = " + maxInstances + ")");
        return;
      }
      live.put(key, rows(key));
    }
    msg.reply(message(key, lastTimestamp, live.get(key), List.of()).put("snapshot", true));
  }

  // ---- the script ----

  /** One step: these edits happen; one batch on each live instance whose rows changed. */
  public Future<Void> edit(Edit... more) {
    return onContext(() -> {
      for (Edit e : more) {
        edits.add(e);
        if (e.ts() != null) {
          watermark = watermark == null ? e.ts() : Math.max(watermark, e.ts());
        }
      }
      publishChanges();
      return null;
    });
  }

  /** At most this many shaped (non-default) instances live at once; more are refused with 429. */
  public Future<Void> maxInstances(int max) {
    return onContext(() -> {
      maxInstances = max;
      return null;
    });
  }

  /** Every shaped request is refused with this code (0: none), as a source that cannot shape. */
  public Future<Void> refuseShaped(int code, String message) {
    return onContext(() -> {
      refuseCode = code;
      refuseMessage = message;
      return null;
    });
  }

  /** The next n snapshot requests are answered 503, as a source catching up. */
  public Future<Void> catchingUp(int n) {
    return onContext(() -> {
      catchingUp = n;
      return null;
    });
  }

  /** The view's rows for a canonical key as the model says, in the view's order. */
  public Future<JsonArray> expected(String key) {
    return onContext(() -> toJson(rows(key)));
  }

  /** The keys of the live instances. */
  public Future<Set<String>> liveKeys() {
    return onContext(() -> new TreeSet<>(live.keySet()));
  }

  /** Every key a snapshot was asked for, in order. */
  public Future<List<String>> requests() {
    return onContext(() -> new ArrayList<>(requests));
  }

  private void publishChanges() {
    lastTimestamp = Math.max(lastTimestamp + 1, System.currentTimeMillis());
    for (Map.Entry<String, List<List<Object>>> e : live.entrySet()) {
      String key = e.getKey();
      List<List<Object>> now = rows(key);
      List<List<Object>> inserted = minus(now, e.getValue());
      List<List<Object>> deleted = minus(e.getValue(), now);
      e.setValue(now);
      if (!inserted.isEmpty() || !deleted.isEmpty()) {
        JsonObject batch = message(key, lastTimestamp, inserted, deleted);
        Long previous = lastPublished.put(key, lastTimestamp);
        if (previous != null) {
          batch.put("previous", previous);
        }
        vertx.eventBus().publish("views." + key, batch);
      }
    }
  }

  private static JsonObject message(String key, long ts, List<List<Object>> inserted, List<List<Object>> deleted) {
    int q = key.indexOf('?');
    JsonObject m = new JsonObject()
      .put("view", q < 0 ? key : key.substring(0, q))
      .put("timestamp", ts)
      .put("inserted", toJson(inserted))
      .put("deleted", toJson(deleted));
    if (q >= 0) {
      m.put("params", paramsOf(key));
    }
    return m;
  }

  // ---- keys: the contract's canonical text, written out here on purpose ----

  /** The canonical key for a snapshot request's body (null = the default set). */
  static String keyOf(String view, Object body) {
    if (body == null) {
      return view;
    }
    if (!(body instanceof JsonObject params)) {
      throw new IllegalArgumentException("params must be an object");
    }
    for (String k : params.fieldNames()) {
      boolean allowed = switch (view) {
        case "counter", "top10", "top_wikis" -> k.equals("wiki") || k.equals("bot") || k.equals("window");
        case "edits_per_minute" -> k.equals("wiki");
        default -> false;
      };
      if (!allowed) {
        throw new IllegalArgumentException(view + " does not take " + k);
      }
    }
    StringBuilder q = new StringBuilder();
    Object wiki = params.getValue("wiki");
    if (wiki != null) {
      if (!(wiki instanceof String w) || !w.matches("[a-z0-9_]{1,64}") || w.equals("any")) {
        throw new IllegalArgumentException("wiki must match [a-z0-9_]{1,64}");
      }
      q.append("&wiki=").append(wiki);
    }
    Object bot = params.getValue("bot");
    if (bot != null) {
      if (!(bot instanceof Boolean)) {
        throw new IllegalArgumentException("bot must be true or false");
      }
      q.append("&bot=").append(bot);
    }
    Object window = params.getValue("window");
    if (window != null && !window.equals("all")) {
      if (!WINDOWS.containsKey(String.valueOf(window))) {
        throw new IllegalArgumentException("window must be 5m, 1h, 24h or all");
      }
      q.append("&window=").append(window);
    }
    return q.isEmpty() ? view : view + "?" + q.substring(1);
  }

  /** The params object of a canonical key ({} for the default set). */
  static JsonObject paramsOf(String key) {
    JsonObject p = new JsonObject();
    int q = key.indexOf('?');
    if (q < 0) {
      return p;
    }
    for (String pair : key.substring(q + 1).split("&")) {
      String[] kv = pair.split("=", 2);
      p.put(kv[0], kv[0].equals("bot") ? (Object) Boolean.valueOf(kv[1]) : kv[1]);
    }
    return p;
  }

  /** True when key is the canonical text of a set this source offers. */
  static boolean canonical(String key) {
    int q = key.indexOf('?');
    String view = q < 0 ? key : key.substring(0, q);
    if (!VIEWS.contains(view)) {
      return false;
    }
    try {
      return keyOf(view, q < 0 ? null : paramsOf(key)).equals(key);
    } catch (RuntimeException e) {
      return false;
    }
  }

  // ---- the views, from scratch ----

  private List<List<Object>> rows(String key) {
    int q = key.indexOf('?');
    String view = q < 0 ? key : key.substring(0, q);
    JsonObject p = paramsOf(key);
    List<Edit> in = new ArrayList<>();
    for (Edit e : edits) {
      if (matches(e, p)) {
        in.add(e);
      }
    }
    return switch (view) {
      case "counter" -> List.of(List.of((long) in.size()));
      case "user_edits" -> ranked(in, Edit::user, Integer.MAX_VALUE);
      case "top10" -> ranked(in, Edit::user, 10);
      case "top_wikis" -> ranked(in, Edit::wiki, 10);
      case "wiki_edits" -> ranked(edits, Edit::wiki, Integer.MAX_VALUE);
      case "edits_per_minute" -> perMinute(in);
      default -> throw new IllegalArgumentException(view);
    };
  }

  private boolean matches(Edit e, JsonObject p) {
    String wiki = p.getString("wiki");
    if (wiki != null && !wiki.equals(e.wiki())) {
      return false;
    }
    Boolean bot = p.getBoolean("bot");
    if (bot != null && bot != e.bot()) {
      return false;
    }
    Long w = WINDOWS.get(p.getString("window", "all"));
    return w == null || e.ts() != null && e.ts() > watermark - w;
  }

  private List<List<Object>> perMinute(List<Edit> in) {
    Map<List<Object>, Long> counts = new TreeMap<>((a, b) -> a.get(0).equals(b.get(0))
      ? Boolean.compare((Boolean) a.get(1), (Boolean) b.get(1))
      : Long.compare((Long) a.get(0), (Long) b.get(0)));
    for (Edit e : in) {
      if (e.ts() != null && e.ts() > watermark - 3600) {
        counts.merge(List.of(e.ts() - e.ts() % 60, e.bot()), 1L, Long::sum);
      }
    }
    List<List<Object>> out = new ArrayList<>();
    counts.forEach((k, n) -> out.add(List.of(k.get(0), k.get(1), n)));
    return out;
  }

  private static List<List<Object>> ranked(List<Edit> in, java.util.function.Function<Edit, String> name, int limit) {
    Map<String, Long> counts = new HashMap<>(); // takes the NULL name as a key
    for (Edit e : in) {
      counts.merge(name.apply(e), 1L, Long::sum);
    }
    List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
    entries.sort((a, b) -> a.getValue().equals(b.getValue())
      ? NAMES.compare(a.getKey(), b.getKey())
      : Long.compare(b.getValue(), a.getValue()));
    List<List<Object>> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : entries.subList(0, Math.min(limit, entries.size()))) {
      out.add(Collections.unmodifiableList(Arrays.asList(e.getKey(), e.getValue())));
    }
    return out;
  }

  /** Multiset difference a - b. */
  private static List<List<Object>> minus(List<List<Object>> a, List<List<Object>> b) {
    Map<List<Object>, Integer> left = new HashMap<>();
    for (List<Object> r : b) {
      left.merge(r, 1, Integer::sum);
    }
    List<List<Object>> out = new ArrayList<>();
    for (List<Object> r : a) {
      Integer n = left.get(r);
      if (n == null || n == 0) {
        out.add(r);
      } else {
        left.put(r, n - 1);
      }
    }
    return out;
  }

  static JsonArray toJson(List<List<Object>> rows) {
    JsonArray out = new JsonArray();
    for (List<Object> r : rows) {
      out.add(new JsonArray(new ArrayList<>(r)));
    }
    return out;
  }

  private <T> Future<T> onContext(Supplier<T> work) {
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> {
      try {
        p.complete(work.get());
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }
}
