package wikirecent.engine;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;
import wikirecent.testsupport.Wait;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subscriber of the three views on the event bus, as the web part would be: it applies every
 * published message to a {@link ViewTable} and checks on the way that each one fits, that
 * timestamps increase per view, that each batch names the view's message before it, that batches are consolidated, and that the three views agree at
 * every timestamp (the counter equals the sum of user_edits, top10 is user_edits' first ten).
 * Messages are queued by the event bus and applied on the test thread.
 */
final class ViewsClient {

  private final LinkedBlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
  private final List<MessageConsumer<JsonObject>> consumers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<Views, ViewTable> tables = new EnumMap<>(Views.class);
  // Messages not yet checked for cross-view agreement, by timestamp.
  private final TreeMap<Long, List<JsonObject>> pending = new TreeMap<>();
  private final Map<Views, ViewTable> checkTables = new EnumMap<>(Views.class);
  final List<JsonObject> received = new ArrayList<>();
  int snapshots;

  ViewsClient(Vertx vertx) throws Exception {
    for (Views v : Views.values()) {
      tables.put(v, new ViewTable(v.viewName()));
      checkTables.put(v, new ViewTable(v.viewName()));
    }
    Context context = vertx.getOrCreateContext();
    Promise<Void> registered = Promise.promise();
    context.runOnContext(x -> {
      List<Future<Void>> done = new ArrayList<>();
      for (Views v : Views.values()) {
        MessageConsumer<JsonObject> c = vertx.eventBus().consumer(Addresses.view(v.viewName()), m -> inbox.add(m.body()));
        consumers.add(c);
        done.add(c.completion());
      }
      Future.all(done).<Void>mapEmpty().onComplete(registered);
    });
    registered.future().await(10, TimeUnit.SECONDS);
  }

  /** Applies what arrived (on this thread) until {@code condition} holds; waits up to 60 s. */
  void awaitUntil(String what, BooleanSupplier condition) {
    Wait.until(what, Duration.ofSeconds(60), () -> {
      drain();
      return condition.getAsBoolean();
    }, () -> "counter is " + rows(Views.COUNTER).encode());
  }

  private void drain() {
    JsonObject m;
    while ((m = inbox.poll()) != null) {
      apply(m);
    }
  }

  private void apply(JsonObject m) {
    received.add(m);
    Views v = Views.byName(ViewMessage.view(m)).orElseThrow();
    ViewTable t = tables.get(v);
    if (ViewMessage.isSnapshot(m)) {
      snapshots++;
      assertThat(ViewMessage.timestamp(m)).as("a snapshot is newer than what it replaces").isGreaterThan(t.timestamp());
      assertThat(m.containsKey("previous")).as("a snapshot starts over: %s", m).isFalse();
    } else {
      assertThat(t.hasSnapshot()).as("a snapshot comes first").isTrue();
      assertThat(ViewMessage.timestamp(m)).as("timestamps increase on %s", v).isGreaterThan(t.timestamp());
      // This client gets every message (one JVM), so each batch names the one it got just before.
      assertThat(m.getLong("previous")).as("previous of %s", m).isEqualTo(t.timestamp());
      ViewStatePropertyTest.assertConsolidated(m);
    }
    assertThat(t.apply(m)).as("batch fits: %s", m).isTrue();
    pending.computeIfAbsent(ViewMessage.timestamp(m), k -> new ArrayList<>()).add(m);
    checkAgreement();
  }

  // The consumers share one context, so messages arrive in the order the engine published them:
  // once a later timestamp shows up, an earlier one is complete; check the views agree there.
  private void checkAgreement() {
    while (pending.size() > 1) {
      long ts = pending.firstKey();
      for (JsonObject m : pending.remove(ts)) {
        checkTables.get(Views.byName(ViewMessage.view(m)).orElseThrow()).apply(m);
      }
      assertAgree(ts);
    }
  }

  private void assertAgree(long ts) {
    JsonArray counter = checkTables.get(Views.COUNTER).rows();
    Map<String, Long> edits = Oracle.userEditsOf(checkTables.get(Views.USER_EDITS).rows());
    long sum = edits.values().stream().mapToLong(Long::longValue).sum();
    assertThat(counter.getJsonArray(0).getLong(0)).as("counter = sum of user_edits at %d", ts).isEqualTo(sum);
    List<Map.Entry<String, Long>> all = new ArrayList<>(edits.entrySet());
    all.sort(Oracle.TOP10_ORDER);
    assertThat(Oracle.top10Of(checkTables.get(Views.TOP10).rows())).as("top10 = first ten of user_edits at %d", ts)
      .isEqualTo(all.subList(0, Math.min(10, all.size())));
  }

  JsonArray rows(Views v) {
    return tables.get(v).rows();
  }

  long counter() {
    JsonArray rows = rows(Views.COUNTER);
    return rows.isEmpty() ? -1 : rows.getJsonArray(0).getLong(0);
  }

  /** The batches (messages that are not snapshots) of {@code v} applied so far. */
  long batches(Views v) {
    return received.stream().filter(m -> ViewMessage.view(m).equals(v.viewName()) && !ViewMessage.isSnapshot(m)).count();
  }

  long timestamp(Views v) {
    return tables.get(v).timestamp();
  }

  /** True once the three tables hold exactly these views. */
  boolean matches(Oracle.Expected expected) {
    return counter() == expected.count()
      && Oracle.userEditsOf(rows(Views.USER_EDITS)).equals(expected.userEdits())
      && Oracle.top10Of(rows(Views.TOP10)).equals(expected.top10());
  }

  void close() throws Exception {
    for (MessageConsumer<JsonObject> c : consumers) {
      c.unregister().await(10, TimeUnit.SECONDS);
    }
  }
}
