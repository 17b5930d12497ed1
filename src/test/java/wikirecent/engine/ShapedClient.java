package wikirecent.engine;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewTable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subscriber of view instances on the event bus, as a web node is one: per parameter set it registers on
 * {@code views.<key>}, then asks {@code views.<view>.snapshot} with the params body, holds batches until the
 * snapshot, and applies the rest to a {@link ViewTable}, checking on the way that each batch fits, that
 * timestamps increase, that each batch names the one before it ("previous"), and that messages name their
 * parameters. On {@code views.started} it asks again for every parameterised set it holds. Everything the bus
 * delivers is queued and applied on the test thread ({@link #drain}).
 */
final class ShapedClient {

  private record In(String key, JsonObject message, boolean reply) {
  }

  private final Vertx vertx;
  private final Context context;
  private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private final Map<String, ViewParams> params = new HashMap<>();
  private final Map<String, ViewTable> tables = new HashMap<>();
  private final Map<String, List<JsonObject>> held = new HashMap<>();
  private final Map<String, Boolean> lastWasBatch = new HashMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  int started;
  int batches;

  ShapedClient(Vertx vertx) throws Exception {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    Promise<Void> registered = Promise.promise();
    context.runOnContext(x -> {
      MessageConsumer<Object> c = vertx.eventBus().consumer(Addresses.VIEWS_STARTED, m -> inbox.add(Addresses.VIEWS_STARTED));
      consumers.add(c);
      c.completion().onComplete(registered);
    });
    registered.future().await(10, TimeUnit.SECONDS);
  }

  /** Registers on the set's address, then asks for its snapshot (answered later: see {@link #drain}). */
  void subscribe(ViewParams p) throws Exception {
    String key = p.toString();
    params.put(key, p);
    tables.put(key, new ViewTable(p.view().viewName()));
    held.put(key, new ArrayList<>());
    Promise<Void> registered = Promise.promise();
    context.runOnContext(x -> {
      MessageConsumer<JsonObject> c = vertx.eventBus().consumer(Addresses.view(p), m -> inbox.add(new In(key, m.body(), false)));
      consumers.add(c);
      c.completion().onComplete(registered);
    });
    registered.future().await(10, TimeUnit.SECONDS);
    request(p);
  }

  private void request(ViewParams p) {
    String key = p.toString();
    context.runOnContext(x -> vertx.eventBus().<JsonObject>request(Addresses.snapshot(p.view().viewName()), p.isDefault() ? null : p.toJson())
      .onComplete(r -> inbox.add(r.succeeded() ? new In(key, r.result().body(), true) : r.cause())));
  }

  /** Applies what arrived; on views.started asks again for every parameterised set. */
  void drain() {
    Object o;
    while ((o = inbox.poll()) != null) {
      if (o == Addresses.VIEWS_STARTED) {
        // The source started over: the parameterised sets are gone (their tables too), the default sets had reset snapshots.
        started++;
        for (ViewParams p : params.values()) {
          if (!p.isDefault()) {
            forget(p);
            request(p);
          }
        }
      } else if (o instanceof In in) {
        apply(in);
      } else {
        throw new AssertionError("a snapshot request failed", (Throwable) o);
      }
    }
  }

  private void apply(In in) {
    JsonObject m = in.message();
    ViewParams p = params.get(in.key());
    assertThat(ViewMessage.key(m)).as("a message on views.%s names its set", in.key()).isEqualTo(in.key());
    assertThat(m.containsKey(ViewMessage.PARAMS)).as("params only when not the default set: %s", m).isEqualTo(!p.isDefault());
    ViewTable t = tables.get(in.key());
    if (ViewMessage.isSnapshot(m)) {
      assertThat(m.containsKey(ViewMessage.PREVIOUS)).isFalse();
      if (ViewMessage.timestamp(m) <= t.timestamp()) {
        return; // an answer older than what the table holds (asked again after views.started, say)
      }
      t.apply(m);
      lastWasBatch.put(in.key(), false);
      for (JsonObject b : held.get(in.key())) {
        applyBatch(in.key(), t, b);
      }
      held.get(in.key()).clear();
      return;
    }
    assertThat(in.reply()).isFalse();
    if (!t.hasSnapshot()) {
      held.get(in.key()).add(m);
      return;
    }
    applyBatch(in.key(), t, m);
  }

  private void applyBatch(String key, ViewTable t, JsonObject m) {
    long ts = ViewMessage.timestamp(m);
    if (ts <= t.timestamp()) {
      return; // older than the snapshot: already in it
    }
    batches++;
    ViewStatePropertyTest.assertConsolidated(m);
    // This client gets every message (one JVM): a batch never names one newer than the table, and after a batch the one just applied.
    long previous = ViewMessage.previous(m);
    assertThat(previous).as("previous of %s", m).isPositive().isLessThanOrEqualTo(t.timestamp());
    if (lastWasBatch.getOrDefault(key, false)) {
      assertThat(previous).as("previous of %s", m).isEqualTo(t.timestamp());
    }
    assertThat(t.apply(m)).as("batch fits %s: %s", key, m).isTrue();
    lastWasBatch.put(key, true);
  }

  boolean hasSnapshot(ViewParams p) {
    return tables.get(p.toString()).hasSnapshot();
  }

  List<List<Object>> rows(ViewParams p) {
    return ShapedModel.plain(tables.get(p.toString()).rows());
  }

  long timestamp(ViewParams p) {
    return tables.get(p.toString()).timestamp();
  }

  private void forget(ViewParams p) {
    String key = p.toString();
    tables.put(key, new ViewTable(p.view().viewName()));
    held.get(key).clear();
    lastWasBatch.remove(key);
  }

  void close() throws Exception {
    for (MessageConsumer<?> c : consumers) {
      c.unregister().await(10, TimeUnit.SECONDS);
    }
  }
}
