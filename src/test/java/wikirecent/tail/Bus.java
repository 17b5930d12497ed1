package wikirecent.tail;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.Views;
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

  /** Starts recording every message published on each view's address. */
  static Bus record(Vertx vertx) {
    Bus bus = new Bus(vertx);
    for (Views v : Views.values()) {
      List<JsonObject> list = new CopyOnWriteArrayList<>();
      bus.published.put(v.viewName(), list);
      Wait.on(vertx.eventBus().<JsonObject>consumer(Addresses.view(v.viewName()), m -> list.add(m.body())).completion());
    }
    return bus;
  }

  List<JsonObject> messages(String view) {
    return List.copyOf(published.get(view));
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

  JsonObject status() {
    return Wait.on(vertx.eventBus().<JsonObject>request(Addresses.STATUS_VIEWS, null)).body();
  }

  /** A {@code wikirecent_views_*} counter, summed over the views, from this Vert.x's registry (what /metrics shows). */
  long counter(String name) {
    return Samples.of(vertx).count(name);
  }
}
