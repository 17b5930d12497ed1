package wikirecent.tail;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.testsupport.Samples;
import wikirecent.testsupport.Wait;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** What was published on {@code views.*}, and the snapshot and status requests, waited for (a failure is an {@link AssertionError}). */
final class Bus {

  private final Vertx vertx;
  private final Map<String, List<JsonObject>> published = new ConcurrentHashMap<>();

  private Bus(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Starts recording every message published on each default set's address. */
  static Bus record(Vertx vertx) {
    Bus bus = new Bus(vertx);
    for (ServedSets.Served set : ServedSets.always()) {
      bus.listen(set.key());
    }
    return bus;
  }

  /** Starts recording what is published on {@code views.<key>}. */
  Bus listen(String key) {
    List<JsonObject> list = new CopyOnWriteArrayList<>();
    published.put(key, list);
    Wait.on(vertx.eventBus().<JsonObject>consumer(Addresses.view(key), m -> list.add(m.body())).completion());
    return this;
  }

  List<JsonObject> messages(String key) {
    return List.copyOf(published.get(key));
  }

  /** A snapshot request with a params body (null: the default set), waited for. */
  JsonObject snapshot(String view, JsonObject params) {
    return Wait.on(vertx.eventBus().<JsonObject>request(Addresses.snapshot(view), params)).body();
  }

  /** The same request, its failure as it comes: a {@link io.vertx.core.eventbus.ReplyException}. */
  io.vertx.core.Future<JsonObject> request(String view, Object params) {
    return vertx.eventBus().<JsonObject>request(Addresses.snapshot(view), params).map(io.vertx.core.eventbus.Message::body);
  }

  JsonObject snapshot(String view) {
    return Wait.on(vertx.eventBus().<JsonObject>request(Addresses.snapshot(view), null)).body();
  }

  /** The snapshot's timestamp, or -1 while there is none (the request fails). */
  long snapshotTimestamp(String view) {
    try {
      return snapshot(view).getLong("timestamp");
    } catch (AssertionError e) {
      return -1;
    }
  }

  /** The snapshot's timestamp of a set (params null: the default set), or -1 while there is none. */
  long snapshotTimestamp(String view, JsonObject params) {
    try {
      return snapshot(view, params).getLong("timestamp");
    } catch (AssertionError e) {
      return -1;
    }
  }

  JsonObject status() {
    return Wait.on(vertx.eventBus().<JsonObject>request(Addresses.STATUS_VIEWS, null)).body();
  }

  /** A {@code wikirecent_views_*} counter, summed over the views, from this Vert.x's registry (what /metrics shows). */
  long counter(String name) {
    return Samples.of(vertx).count(name);
  }
}
