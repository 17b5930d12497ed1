package wikirecent.web;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A stand-in view source for the web part's tests: it answers {@code views.<v>.snapshot} and publishes
 * batches on {@code views.<key>} exactly like the engine must, from its own deliberately simple model (the
 * edits as a multiset; every instance recomputed from scratch after each step and diffed against its last
 * published rows). Independent of the code under test: no ViewTable, no UserOrder; {@link ViewParams} is
 * only the parameters' type.
 * <p>
 * It speaks the shaped-views protocol: a snapshot request with parameters opens the instance (429 past
 * {@link #maxInstances}, 501 where {@link #unavailable} says, 400 for parameters that do not parse, 503 while
 * {@link #catchingUp}); {@code views.wanted} is answered with the keys it has no instance of, and an instance
 * nobody wanted for {@link #idleMillis} is dropped; {@link #restart} drops every instance and publishes
 * {@code views.started}. The default sets of every view are always live (those of the three seed views from
 * the start, the others once first asked for).
 */
public class ScriptedViewSource extends VerticleBase {

  /** Code-point order of names, NULL last, written differently from UserOrder on purpose. */
  static final Comparator<String> NAMES = (a, b) -> {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : 1) : -1;
    }
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  };

  /** One edit: who, on which wiki, by a bot or not, at which event time (seconds; null: none). */
  public record Edit(String user, String wiki, boolean bot, Long ts) {
  }

  /** A live instance: what it last published. */
  private static final class Instance {
    final ViewParams params;
    List<List<Object>> published;
    long lastWantedMillis = System.currentTimeMillis();

    Instance(ViewParams params) {
      this.params = params;
    }
  }

  private final boolean snapshotOnStart;
  /** The edits as a multiset: distinct edits only, so a long run of the same few costs no memory (SlowClientIT measures the heap). */
  private final Map<Edit, Long> edits = new HashMap<>();
  // The original views' default sets, kept as counts so long runs stay cheap; they agree with the edits.
  private final Map<String, Long> counts = new HashMap<>(); // HashMap takes the NULL user as a key
  private long total;
  private long eventSecond = 1_700_000_000L;
  private Long watermark;
  private long lastTimestamp;
  /** Live instances by canonical key, default sets first. */
  private final Map<String, Instance> instances = new LinkedHashMap<>();
  private final Map<String, Long> viewTimestamps = new HashMap<>();
  private final Map<String, Integer> opens = new HashMap<>();
  private final Map<String, Integer> requests = new HashMap<>();
  private final List<List<String>> wanted = new ArrayList<>();
  private volatile boolean answerSnapshots = true;
  private final java.util.Set<String> loseNext = new java.util.HashSet<>();
  private final java.util.Set<String> unheard = new java.util.HashSet<>();
  private int maxInstances = Integer.MAX_VALUE;
  private long idleMillis;
  private boolean catchingUp;
  private Predicate<ViewParams> unavailable = p -> false;
  private long idleTimer = -1;
  private Context ctx;

  /** @param snapshotOnStart publish a (reset) snapshot of every view when deployed, like a source that (re)starts */
  public ScriptedViewSource(boolean snapshotOnStart) {
    this.snapshotOnStart = snapshotOnStart;
  }

  public ScriptedViewSource() {
    this(false);
  }

  @Override
  public Future<?> start() {
    ctx = context;
    lastTimestamp = System.currentTimeMillis();
    for (Views v : Views.values()) {
      ViewParams p = ViewParams.of(ViewParams.View.byName(v.viewName()));
      Instance i = new Instance(p);
      i.published = rows(p);
      instances.put(p.toString(), i);
    }
    List<Future<?>> registered = new ArrayList<>();
    for (ViewParams.View v : ViewParams.View.values()) {
      registered.add(vertx.eventBus().<Object>consumer(Addresses.snapshot(v.viewName()), msg -> answerSnapshot(v, msg)).completion());
    }
    registered.add(vertx.eventBus().<Object>consumer(Addresses.VIEWS_WANTED, this::answerWanted).completion());
    return Future.all(registered).onSuccess(x -> {
      if (snapshotOnStart) {
        publishSnapshots();
      }
    });
  }

  // ---- the protocol

  private void answerSnapshot(ViewParams.View view, Message<Object> msg) {
    if (!answerSnapshots) {
      return;
    }
    ViewParams p;
    try {
      p = params(view, msg.body());
    } catch (IllegalArgumentException e) {
      msg.fail(400, e.getMessage());
      return;
    }
    String key = p.toString();
    requests.merge(key, 1, Integer::sum);
    if (catchingUp) {
      msg.fail(503, "catching up on the file");
      return;
    }
    if (unavailable.test(p)) {
      msg.fail(501, key + " is not available with this view source");
      return;
    }
    Instance i = instances.get(key);
    if (i == null) {
      if (!p.isDefault() && liveShaped() >= maxInstances) {
        msg.fail(429, "too many live instances (views.maxInstances = " + maxInstances + ")");
        return;
      }
      i = new Instance(p);
      i.published = rows(p);
      instances.put(key, i);
      opens.merge(key, 1, Integer::sum);
    }
    i.lastWantedMillis = System.currentTimeMillis();
    msg.reply(shaped(p, ViewMessage.snapshot(view.viewName(), lastTimestamp, toJson(i.published))));
  }

  /** The body of a snapshot request: null for the default set, else the parameters object. */
  private static ViewParams params(ViewParams.View view, Object body) {
    if (body == null) {
      return ViewParams.of(view);
    }
    if (!(body instanceof JsonObject o)) {
      throw new IllegalArgumentException("the body must be null or a parameters object");
    }
    List<Map.Entry<String, String>> query = new ArrayList<>();
    o.forEach(e -> query.add(Map.entry(e.getKey(), String.valueOf(e.getValue()))));
    return ViewParams.parse(view.viewName(), query);
  }

  private void answerWanted(Message<Object> msg) {
    JsonArray keys = msg.body() instanceof JsonObject o ? o.getJsonArray("keys", new JsonArray()) : new JsonArray();
    List<String> asked = new ArrayList<>();
    JsonArray unknown = new JsonArray();
    JsonObject published = new JsonObject();
    long now = System.currentTimeMillis();
    for (Object k : keys) {
      asked.add(String.valueOf(k));
      Instance i = instances.get(String.valueOf(k));
      if (i == null) {
        unknown.add(k);
      } else {
        i.lastWantedMillis = now;
        if (viewTimestamps.containsKey(String.valueOf(k))) {
          published.put(String.valueOf(k), viewTimestamps.get(String.valueOf(k)));
        }
      }
    }
    wanted.add(asked);
    msg.reply(new JsonObject().put("unknown", unknown).put("published", published));
  }

  private int liveShaped() {
    return (int) instances.values().stream().filter(i -> !i.params.isDefault()).count();
  }

  private void dropIdle() {
    long now = System.currentTimeMillis();
    instances.values().removeIf(i -> !i.params.isDefault() && now - i.lastWantedMillis > idleMillis);
  }

  // ---- what tests set

  /** Stops answering snapshot requests (they time out) while still publishing. */
  public void answerSnapshots(boolean answer) {
    answerSnapshots = answer;
  }

  /** At most this many live non-default instances; a request for another is refused with 429. */
  public Future<Void> maxInstances(int max) {
    return onContext(() -> {
      maxInstances = max;
      return null;
    });
  }

  /** Drops a non-default instance no web node named in {@code views.wanted} for this long (0: never). */
  public Future<Void> idleMillis(long millis) {
    return onContext(() -> {
      idleMillis = millis;
      if (idleTimer != -1) {
        vertx.cancelTimer(idleTimer);
        idleTimer = -1;
      }
      if (millis > 0) {
        idleTimer = vertx.setPeriodic(Math.max(10, millis / 4), t -> dropIdle());
      }
      return null;
    });
  }

  /** While true, every snapshot request fails with 503, as a source catching up. */
  public Future<Void> catchingUp(boolean on) {
    return onContext(() -> {
      catchingUp = on;
      return null;
    });
  }

  /** Instances this source does not serve (501), as the Materialize source with shaped views. */
  public Future<Void> unavailable(Predicate<ViewParams> which) {
    return onContext(() -> {
      unavailable = which;
      return null;
    });
  }

  /** Forgets an instance, as when nobody wanted it for a while. */
  public Future<Boolean> dropInstance(String key) {
    return onContext(() -> instances.remove(key) != null);
  }

  /**
   * As a source that restarted on the same data: every non-default instance is gone, the default sets publish
   * reset snapshots, and {@code views.started} says so.
   */
  public Future<Void> restart() {
    return onContext(() -> {
      instances.values().removeIf(i -> !i.params.isDefault());
      publishSnapshots();
      vertx.eventBus().publish(Addresses.VIEWS_STARTED, new JsonObject());
      return null;
    });
  }

  /** Whether the source has a live instance of this key. */
  public Future<Boolean> live(String key) {
    return onContext(() -> instances.containsKey(key));
  }

  /** How many times a snapshot request opened an instance of this key (it was not live before). */
  public Future<Integer> opens(String key) {
    return onContext(() -> opens.getOrDefault(key, 0));
  }

  /** Snapshot requests for this key, answered or not. */
  public Future<Integer> requests(String key) {
    return onContext(() -> requests.getOrDefault(key, 0));
  }

  /** Every {@code views.wanted} request so far: the keys each named. */
  public Future<List<List<String>>> wanted() {
    return onContext(() -> new ArrayList<>(wanted));
  }

  // ---- the data

  /** One step: an edit by each of these users (null = no user) on enwiki, not bots, without an event time. */
  public Future<List<JsonObject>> edit(String... users) {
    Edit[] e = new Edit[users.length];
    for (int i = 0; i < users.length; i++) {
      e[i] = new Edit(users[i], "enwiki", false, null);
    }
    return editWithoutTime(e);
  }

  /**
   * One step of these edits (a null ts is given the next second after the last); one batch per instance that
   * changed, as clients get it (default sets first).
   */
  public Future<List<JsonObject>> edit(Edit... step) {
    return onContext(() -> {
      for (Edit e : step) {
        Edit stamped = e.ts() == null ? new Edit(e.user(), e.wiki(), e.bot(), ++eventSecond) : e;
        eventSecond = Math.max(eventSecond, stamped.ts());
        add(stamped);
      }
      return publishChanges();
    });
  }

  /** Edits without a time: never in a windowed instance. */
  public Future<List<JsonObject>> editWithoutTime(Edit... step) {
    return onContext(() -> {
      for (Edit e : step) {
        add(new Edit(e.user(), e.wiki(), e.bot(), null));
      }
      return publishChanges();
    });
  }

  private void add(Edit e) {
    edits.merge(e, 1L, Long::sum);
    if (e.ts() != null) {
      watermark = watermark == null ? e.ts() : Math.max(watermark, e.ts());
    }
    counts.merge(e.user(), 1L, Long::sum);
    total++;
  }

  /** Replaces the model (like a source restarted from other data: edits on enwiki without a time) and publishes snapshots. */
  public Future<List<JsonObject>> resetTo(Map<String, Long> newCounts) {
    return onContext(() -> {
      edits.clear();
      counts.clear();
      total = 0;
      watermark = null;
      newCounts.forEach((user, n) -> {
        for (long k = 0; k < n; k++) {
          add(new Edit(user, "enwiki", false, null));
        }
      });
      return publishSnapshots();
    });
  }

  /**
   * While true, the batches of {@code key} are recorded as published (and named so in keep-alive replies) but
   * never reach the bus: as a clustered event bus that lost a node's subscription.
   */
  public Future<Void> unheard(String key, boolean unheard) {
    return onContext(() -> {
      if (unheard) {
        this.unheard.add(key);
      } else {
        this.unheard.remove(key);
      }
      return null;
    });
  }

  /** Publishes any message as is (to inject a batch that does not fit); the model is not touched. */
  public Future<Void> publishRaw(String key, JsonObject message) {
    return onContext(() -> {
      lastTimestamp = Math.max(lastTimestamp, ViewMessage.timestamp(message));
      viewTimestamps.put(key, ViewMessage.timestamp(message));
      vertx.eventBus().publish(Addresses.view(key), message);
      return null;
    });
  }

  /** The next batch of this instance counts as published but is not sent, as if the bus lost it. */
  public Future<Void> loseNextBatch(String key) {
    return onContext(() -> {
      loseNext.add(key);
      return null;
    });
  }

  /** The instance's rows as the model says, in the view's order (a view name or a canonical key). */
  public Future<JsonArray> expected(String key) {
    return onContext(() -> toJson(rows(ViewParams.parse(key))));
  }

  public Future<Long> lastTimestamp() {
    return onContext(() -> lastTimestamp);
  }

  /** The timestamp of the last message published on this instance (a state a client must reach), or -1. */
  public Future<Long> lastTimestamp(String key) {
    return onContext(() -> viewTimestamps.getOrDefault(key, -1L));
  }

  private List<JsonObject> publishChanges() {
    long ts = nextTimestamp();
    List<JsonObject> sent = new ArrayList<>();
    for (Map.Entry<String, Instance> e : instances.entrySet()) {
      String key = e.getKey();
      Instance i = e.getValue();
      List<List<Object>> now = rows(i.params);
      List<List<Object>> inserted = minus(now, i.published);
      List<List<Object>> deleted = minus(i.published, now);
      i.published = now;
      if (!inserted.isEmpty() || !deleted.isEmpty()) {
        JsonObject batch = shaped(i.params, ViewMessage.batch(i.params.view().viewName(), ts, toJson(inserted), toJson(deleted)));
        Long previous = viewTimestamps.put(key, ts);
        // On the bus, as the sources do: the instance's message before this one (clients never see it).
        JsonObject onBus = previous == null ? batch : batch.copy().put("previous", previous);
        if (!loseNext.remove(key) && !unheard.contains(key)) {
          vertx.eventBus().publish(Addresses.view(key), onBus);
        }
        sent.add(batch);
      }
    }
    return sent;
  }

  /** Reset snapshots of the default sets (a non-default instance is only ever asked for). */
  private List<JsonObject> publishSnapshots() {
    long ts = nextTimestamp();
    List<JsonObject> sent = new ArrayList<>();
    for (Instance i : instances.values()) {
      i.published = rows(i.params);
      if (i.params.isDefault()) {
        String key = i.params.toString();
        JsonObject snapshot = ViewMessage.snapshot(i.params.view().viewName(), ts, toJson(i.published));
        vertx.eventBus().publish(Addresses.view(key), snapshot);
        viewTimestamps.put(key, ts);
        sent.add(snapshot);
      }
    }
    return sent;
  }

  private long nextTimestamp() {
    lastTimestamp = Math.max(lastTimestamp + 1, System.currentTimeMillis());
    return lastTimestamp;
  }

  private static JsonObject shaped(ViewParams p, JsonObject message) {
    return p.isDefault() ? message : message.put("params", p.toJson());
  }

  // ---- the views, from scratch

  private List<List<Object>> rows(ViewParams p) {
    String view = p.view().viewName();
    if (p.isDefault() && (view.equals("counter") || view.equals("user_edits") || view.equals("top10"))) {
      return seedRows(view); // the same answer as below, from the counts
    }
    Map<Edit, Long> in = new HashMap<>();
    edits.forEach((e, n) -> {
      if (matches(p, e)) {
        in.put(e, n);
      }
    });
    switch (view) {
      case "counter":
        return List.of(List.of(in.values().stream().mapToLong(Long::longValue).sum()));
      case "user_edits":
      case "top10":
        return ranked(countBy(in, Edit::user), view.equals("top10") ? 10 : Integer.MAX_VALUE);
      case "top_wikis":
        return ranked(countBy(in, Edit::wiki), 10);
      case "wiki_edits":
        return ranked(countBy(in, Edit::wiki), Integer.MAX_VALUE);
      case "edits_per_minute":
        return perMinute(in);
      default:
        throw new IllegalArgumentException("the scripted source has no model of " + view);
    }
  }

  private boolean matches(ViewParams p, Edit e) {
    if (p.wiki() != null && !p.wiki().equals(e.wiki())) {
      return false;
    }
    if (p.bot() != null && p.bot() != e.bot()) {
      return false;
    }
    long window = p.view() == ViewParams.View.EDITS_PER_MINUTE ? 3600 : wikirecent.testsupport.WindowLengths.seconds(p.window());
    if (window == 0) {
      return true;
    }
    return e.ts() != null && e.ts() > watermark - window;
  }

  private static Map<String, Long> countBy(Map<Edit, Long> in, java.util.function.Function<Edit, String> key) {
    Map<String, Long> out = new HashMap<>();
    in.forEach((e, n) -> out.merge(key.apply(e), n, Long::sum));
    return out;
  }

  private static List<List<Object>> perMinute(Map<Edit, Long> in) {
    TreeMap<Long, long[]> minutes = new TreeMap<>(); // minute -> {not bot, bot}
    in.forEach((e, n) -> {
      long minute = e.ts() - e.ts() % 60;
      minutes.computeIfAbsent(minute, m -> new long[2])[e.bot() ? 1 : 0] += n;
    });
    List<List<Object>> out = new ArrayList<>();
    minutes.forEach((minute, n) -> {
      for (int b = 0; b < 2; b++) {
        if (n[b] > 0) {
          out.add(List.of(minute, b == 1, n[b]));
        }
      }
    });
    return out;
  }

  /** The original views from the counts: counter = [[total]], user_edits = all users, top10 = the first ten by count, name. */
  private List<List<Object>> seedRows(String view) {
    if (view.equals("counter")) {
      return List.of(List.of(total));
    }
    return ranked(counts, view.equals("top10") ? 10 : Integer.MAX_VALUE);
  }

  private static List<List<Object>> ranked(Map<String, Long> counts, int limit) {
    List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
    entries.sort((a, b) -> a.getValue().equals(b.getValue())
      ? NAMES.compare(a.getKey(), b.getKey())
      : Long.compare(b.getValue(), a.getValue()));
    entries = entries.subList(0, Math.min(limit, entries.size()));
    List<List<Object>> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : entries) {
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
