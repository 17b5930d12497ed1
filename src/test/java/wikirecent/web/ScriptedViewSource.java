package wikirecent.web;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A stand-in view source for the web part's tests: it answers {@code views.<v>.snapshot} and
 * publishes batches on {@code views.<v>} exactly like the engine must, from its own deliberately
 * simple model (per-user counts; every view recomputed from scratch after each step and diffed
 * against the last published rows). Independent of the code under test: no ViewTable, no UserOrder.
 */
public class ScriptedViewSource extends VerticleBase {

  /** Code-point order of names, NULL last, written differently from UserOrder on purpose. */
  static final Comparator<String> NAMES = (a, b) -> {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : 1) : -1;
    }
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  };

  private final boolean snapshotOnStart;
  private final Map<String, Long> counts = new HashMap<>(); // HashMap takes the NULL user as a key
  private long total;
  private long lastTimestamp;
  private final Map<String, List<List<Object>>> published = new HashMap<>();
  private final Map<String, Long> viewTimestamps = new HashMap<>();
  private volatile boolean answerSnapshots = true;
  private final java.util.Set<String> loseNext = new java.util.HashSet<>();
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
    List<Future<?>> registered = new ArrayList<>();
    for (Views v : Views.values()) {
      String view = v.viewName();
      published.put(view, rows(view));
      registered.add(vertx.eventBus().consumer(Addresses.snapshot(view), msg -> {
        if (answerSnapshots) {
          msg.reply(ViewMessage.snapshot(view, lastTimestamp, toJson(published.get(view))));
        }
      }).completion());
    }
    return Future.all(registered).onSuccess(x -> {
      if (snapshotOnStart) {
        publishSnapshots();
      }
    });
  }

  /** Stops answering snapshot requests (they time out) while still publishing. */
  public void answerSnapshots(boolean answer) {
    answerSnapshots = answer;
  }

  /** One step: an edit by each of these users (null = no user); one batch per view that changed, as clients get it. */
  public Future<List<JsonObject>> edit(String... users) {
    return onContext(() -> {
      for (String u : users) {
        counts.merge(u, 1L, Long::sum);
        total++;
      }
      return publishChanges();
    });
  }

  /** Replaces the model (like a source restarted from other data) and publishes snapshots. */
  public Future<List<JsonObject>> resetTo(Map<String, Long> newCounts) {
    return onContext(() -> {
      counts.clear();
      counts.putAll(newCounts);
      total = newCounts.values().stream().mapToLong(Long::longValue).sum();
      return publishSnapshots();
    });
  }

  /** Publishes any message as is (to inject a batch that does not fit); the model is not touched. */
  public Future<Void> publishRaw(String view, JsonObject message) {
    return onContext(() -> {
      lastTimestamp = Math.max(lastTimestamp, ViewMessage.timestamp(message));
      viewTimestamps.put(view, ViewMessage.timestamp(message));
      vertx.eventBus().publish(Addresses.view(view), message);
      return null;
    });
  }

  /** The next batch of this view counts as published but is not sent, as if the bus lost it. */
  public Future<Void> loseNextBatch(String view) {
    return onContext(() -> {
      loseNext.add(view);
      return null;
    });
  }

  /** The view's rows as the model says, in the view's order. */
  public Future<JsonArray> expected(String view) {
    return onContext(() -> toJson(rows(view)));
  }

  public Future<Long> lastTimestamp() {
    return onContext(() -> lastTimestamp);
  }

  /** The timestamp of the last message published on this view (a state a client must reach), or -1. */
  public Future<Long> lastTimestamp(String view) {
    return onContext(() -> viewTimestamps.getOrDefault(view, -1L));
  }

  private List<JsonObject> publishChanges() {
    long ts = nextTimestamp();
    List<JsonObject> sent = new ArrayList<>();
    for (Views v : Views.values()) {
      String view = v.viewName();
      List<List<Object>> now = rows(view);
      List<List<Object>> before = published.get(view);
      List<List<Object>> inserted = minus(now, before);
      List<List<Object>> deleted = minus(before, now);
      published.put(view, now);
      if (!inserted.isEmpty() || !deleted.isEmpty()) {
        JsonObject batch = ViewMessage.batch(view, ts, toJson(inserted), toJson(deleted));
        Long previous = viewTimestamps.put(view, ts);
        // On the bus, as the sources do: the view's message before this one (clients never see it).
        JsonObject onBus = previous == null ? batch : batch.copy().put("previous", previous);
        if (!loseNext.remove(view)) {
          vertx.eventBus().publish(Addresses.view(view), onBus);
        }
        sent.add(batch);
      }
    }
    return sent;
  }

  private List<JsonObject> publishSnapshots() {
    long ts = nextTimestamp();
    List<JsonObject> sent = new ArrayList<>();
    for (Views v : Views.values()) {
      String view = v.viewName();
      published.put(view, rows(view));
      JsonObject snapshot = ViewMessage.snapshot(view, ts, toJson(published.get(view)));
      vertx.eventBus().publish(Addresses.view(view), snapshot);
      viewTimestamps.put(view, ts);
      sent.add(snapshot);
    }
    return sent;
  }

  private long nextTimestamp() {
    lastTimestamp = Math.max(lastTimestamp + 1, System.currentTimeMillis());
    return lastTimestamp;
  }

  /** The view from scratch: counter = [[total]], user_edits = all users, top10 = the first ten by count, name. */
  private List<List<Object>> rows(String view) {
    if (view.equals("counter")) {
      return List.of(List.of(total));
    }
    List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
    entries.sort((a, b) -> a.getValue().equals(b.getValue())
      ? NAMES.compare(a.getKey(), b.getKey())
      : Long.compare(b.getValue(), a.getValue()));
    if (view.equals("top10")) {
      entries = entries.subList(0, Math.min(10, entries.size()));
    }
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
