package wikirecent.tail;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.common.Addresses;
import wikirecent.common.Views;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Test helpers: what was published on {@code views.*}, blocking waits with generous timeouts. */
final class Bus {

  static final Duration PATIENCE = Duration.ofSeconds(30);

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
      get(vertx.eventBus().<JsonObject>consumer(Addresses.view(v.viewName()), m -> list.add(m.body())).completion());
    }
    return bus;
  }

  List<JsonObject> messages(String view) {
    return List.copyOf(published.get(view));
  }

  JsonObject snapshot(String view) {
    return get(vertx.eventBus().<JsonObject>request(Addresses.snapshot(view), null)).body();
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
    return get(vertx.eventBus().<JsonObject>request(Addresses.STATUS_VIEWS, null)).body();
  }

  long counter(String name) {
    return status().getJsonObject("counters").getLong(name);
  }

  static <T> T get(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("did not complete: " + e, e);
    }
  }

  /** Waits (polling) until {@code condition} holds; fails with {@code what} after {@link #PATIENCE}. */
  static void until(String what, BooleanSupplier condition) {
    until(what, condition, () -> "");
  }

  static void until(String what, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + " " + state.get());
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
