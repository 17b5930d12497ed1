package wikirecent.tail;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.testsupport.Samples;
import wikirecent.testsupport.Wait;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.tail.FakeMaterialize.TailRow.data;
import static wikirecent.tail.FakeMaterialize.TailRow.progress;
import static wikirecent.tail.TailVerticleTest.assertMessage;
import static wikirecent.tail.TailVerticleTest.everyViewSnapshots;
import static wikirecent.tail.TailVerticleTest.row;
import static wikirecent.tail.TailVerticleTest.rows;

/**
 * The shaped-view protocol of the tail verticle against the wire-level stand-in: sets opened on
 * demand by a snapshot request, kept by keep-alives, closed when idle, capped; sets the table
 * lacks refused.
 */
@ExtendWith(VertxExtension.class)
class TailOnDemandTest {

  private static final long T = 1_700_000_000_000L;
  private static final String BOT_FALSE_5M = "top10?bot=false&window=5m";

  private FakeMaterialize fake;

  @AfterEach
  void stop(Vertx vertx) {
    for (String id : vertx.deploymentIDs()) {
      Wait.on(vertx.undeploy(id).otherwiseEmpty());
    }
    if (fake != null) {
      Wait.on(fake.stop());
    }
  }

  @Test
  void aServedSetIsTailedOnDemandWithItsParamsAndRowsLeaveAsItsWindowRetractsThem(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T)
      // Materialize's answer for the set's view: the AS OF, the snapshot, then the window moving on
      .rows("top10_bot_false_5m", progress(T + 5000), data(T + 5000, 1, "alice", 3L), data(T + 5000, 1, "bob", 1L), progress(T + 5001))
      .rows("top10_bot_false_5m", data(T + 6000, -1, "alice", 3L), data(T + 6000, 1, "alice", 2L), progress(T + 6001))
      .rows("top10_bot_false_5m", progress(T + 7000), data(T + 7000, -1, "bob", 1L), progress(T + 7001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx).listen(BOT_FALSE_5M);
    deploy(vertx, fake.url(), new JsonObject());
    Wait.until("live", () -> bus.status().getBoolean("live"));
    assertThat(script.declares("top10_bot_false_5m")).as("not tailed before anyone asks").isZero();

    JsonObject snapshot = bus.snapshot("top10", new JsonObject().put("bot", false).put("window", "5m"));
    assertMessage(snapshot, true, T + 5000, rows(row("alice", 3), row("bob", 1)), rows());
    assertThat(snapshot.getString("view")).isEqualTo("top10");
    assertThat(snapshot.getJsonObject("params")).isEqualTo(new JsonObject().put("bot", false).put("window", "5m"));

    Wait.until("three messages on views." + BOT_FALSE_5M, Wait.LONG, () -> bus.messages(BOT_FALSE_5M).size() >= 3,
      () -> bus.messages(BOT_FALSE_5M).toString());
    List<JsonObject> got = bus.messages(BOT_FALSE_5M);
    assertThat(got).hasSize(3);
    assertMessage(got.get(0), true, T + 5000, rows(row("alice", 3), row("bob", 1)), rows());
    assertMessage(got.get(1), false, T + 6000, rows(row("alice", 2)), rows(row("alice", 3)));
    assertMessage(got.get(2), false, T + 7000, rows(), rows(row("bob", 1)));
    assertThat(got).allSatisfy(m -> assertThat(m.getJsonObject("params").encode()).isEqualTo("{\"bot\":false,\"window\":\"5m\"}"));
    assertThat(got).extracting(m -> m.getLong("previous")).containsExactly(null, T + 5000, T + 6000);
    assertThat(script.declares("top10_bot_false_5m")).isEqualTo(1);
    assertThat(fake.openTails()).contains("top10_bot_false_5m");

    // A second request for the same set shares the TAIL and gets its latest state.
    Wait.until("the replica caught up", () -> bus.snapshot("top10", new JsonObject().put("window", "5m").put("bot", false))
      .getLong("timestamp") == T + 7000);
    assertThat(bus.snapshot("top10", new JsonObject().put("bot", false).put("window", "5m")).getJsonArray("inserted").encode())
      .isEqualTo("[[\"alice\",2]]");
    assertThat(script.declares("top10_bot_false_5m")).isEqualTo(1);
    // The default sets are untouched: their own messages, no params.
    assertThat(bus.messages("top10")).hasSize(1);
    assertThat(bus.messages("top10").get(0).containsKey("params")).isFalse();
    assertThat(bus.status().getString("detail")).contains("on demand: " + BOT_FALSE_5M + " live at " + (T + 7000));
    assertThat(fake.unexpected()).isEmpty();
  }

  @Test
  void aWikiIsRefusedWith501AndBadParamsWith400AndNothingReachesSql(Vertx vertx) {
    fake = Wait.on(new FakeMaterialize(vertx, everyViewSnapshots(new ScriptedTail(), T)).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), new JsonObject());
    Wait.until("live", () -> bus.status().getBoolean("live"));

    assertFailure(bus, "counter", new JsonObject().put("wiki", "enwiki"), 501, "not available with source=materialize: counter?wiki=enwiki");
    assertFailure(bus, "top10", new JsonObject().put("window", "1h").put("bot", true).put("wiki", "dewiki"), 501,
      "not available with source=materialize: top10?wiki=dewiki&bot=true&window=1h");
    assertFailure(bus, "top_wikis", new JsonObject().put("wiki", "enwiki"), 501, "not available with source=materialize: top_wikis?wiki=enwiki");
    assertFailure(bus, "edits_per_minute", new JsonObject().put("wiki", "enwiki"), 501,
      "not available with source=materialize: edits_per_minute?wiki=enwiki");

    assertFailure(bus, "counter", new JsonObject().put("window", "2h"), 400, "window must be 5m, 1h, 24h or all");
    assertFailure(bus, "counter", new JsonObject().put("bot", "maybe"), 400, "bot must be true, false or any");
    assertFailure(bus, "counter", new JsonObject().put("bot", 1), 400, "bot has a value of the wrong type");
    assertFailure(bus, "top10", new JsonObject().put("wiki", "x'; DROP VIEW top10; --"), 400, "wiki must match [a-z0-9_]{1,64}");
    assertFailure(bus, "top10", new JsonObject().put("user", "alice"), 400, "top10 takes wiki, bot and window, not 'user'");
    assertFailure(bus, "user_edits", new JsonObject().put("bot", true), 400, "user_edits takes no parameters");
    assertFailure(bus, "wiki_edits", new JsonObject().put("window", "1h"), 400, "wiki_edits takes no parameters");
    assertFailure(bus, "counter", "window=1h", 400, "params must be a JSON object");

    // The defaults, spelled out or not, are the default sets.
    assertThat(bus.snapshot("counter", new JsonObject().put("window", "all").put("bot", "any")).encode())
      .isEqualTo(bus.snapshot("counter", null).encode());
    assertThat(bus.snapshot("wiki_edits", new JsonObject()).getJsonArray("inserted").encode()).isEqualTo("[[\"enwiki\",2],[null,1]]");

    assertThat(fake.statements().stream().filter(s -> s.startsWith("DECLARE")).distinct())
      .as("no TAIL but the default sets'").hasSize(ServedSets.always().size());
    assertThat(bus.counter("wikirecent_views_tail_requests_refused_total")).isEqualTo(12);
    assertThat(Samples.of(vertx).value("wikirecent_views_tail_requests_refused_total", "reason=\"unserved\"")).isEqualTo(4.0);
    assertThat(fake.unexpected()).isEmpty();
  }

  @Test
  void anIdleSetIsClosedWithItsConnectionWhileKeepAlivesKeepAnother(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T)
      .rows("counter_bot_true", data(T, 1, 5L), progress(T + 1))
      .rows("counter_5m", data(T, 1, 2L), progress(T + 1));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), new JsonObject().put(Config.VIEWS_INSTANCE_IDLE_SECONDS, 1));
    Wait.until("live", () -> bus.status().getBoolean("live"));

    assertThat(bus.snapshot("counter", new JsonObject().put("bot", true)).getJsonArray("inserted").encode()).isEqualTo("[[5]]");
    assertThat(bus.snapshot("counter", new JsonObject().put("window", "5m")).getJsonArray("inserted").encode()).isEqualTo("[[2]]");
    assertThat(fake.openTails()).contains("counter_bot_true", "counter_5m");

    // A web node holds counter?bot=true (and a key this source never had); nobody holds counter?window=5m.
    List<JsonObject> replies = new CopyOnWriteArrayList<>();
    long keepAlive = vertx.setPeriodic(200, id -> vertx.eventBus()
      .<JsonObject>request(Addresses.VIEWS_WANTED, new JsonObject().put("keys", new JsonArray().add("counter?bot=true").add("top10?window=1h")))
      .onSuccess(r -> replies.add(r.body())));
    Wait.until("counter?window=5m closed with its TAIL's connection", Wait.LONG, () -> !fake.openTails().contains("counter_5m"),
      () -> fake.openTails().toString());
    assertThat(fake.openTails()).contains("counter_bot_true");
    assertThat(replies).isNotEmpty().allSatisfy(r -> assertThat(r.getJsonArray("unknown").encode()).isEqualTo("[\"top10?window=1h\"]"));
    JsonObject unknown = Wait.on(vertx.eventBus().<JsonObject>request(Addresses.VIEWS_WANTED,
      new JsonObject().put("keys", new JsonArray().add("counter?window=5m").add("counter?bot=true").add("counter")))).body();
    assertThat(unknown.getJsonArray("unknown").encode()).as("a closed set is unknown; a default set never is").isEqualTo("[\"counter?window=5m\"]");
    Wait.until("still open over three idle periods", () -> replies.size() >= 15);
    assertThat(fake.openTails()).contains("counter_bot_true");

    // Once the keep-alives stop, it goes too; asked for again, it is tailed anew.
    vertx.cancelTimer(keepAlive);
    Wait.until("counter?bot=true closed", () -> !fake.openTails().contains("counter_bot_true"));
    script.rows("counter_bot_true", data(T + 60_000, 1, 9L), progress(T + 60_001)); // the next session's snapshot
    assertThat(bus.snapshot("counter", new JsonObject().put("bot", true)).getJsonArray("inserted").encode()).isEqualTo("[[9]]");
    assertThat(script.declares("counter_bot_true")).isEqualTo(2);
    assertThat(fake.openTails()).containsOnlyOnce("counter_bot_true");
    assertThat(fake.openTails()).hasSize(ServedSets.always().size() + 1);
  }

  @Test
  void oneSetMoreThanTheCapIsRefusedWith429UntilOneIsClosed(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T)
      .rows("counter_bot_true", data(T, 1, 5L), progress(T + 1))
      .rows("counter_bot_false", data(T, 1, 4L), progress(T + 1))
      .rows("counter_1h", data(T, 1, 3L), progress(T + 1));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), new JsonObject().put(Config.VIEWS_MAX_INSTANCES, 2).put(Config.VIEWS_INSTANCE_IDLE_SECONDS, 1));
    Wait.until("live", () -> bus.status().getBoolean("live"));

    bus.snapshot("counter", new JsonObject().put("bot", true));
    bus.snapshot("counter", new JsonObject().put("bot", false));
    assertFailure(bus, "counter", new JsonObject().put("window", "1h"), 429, "too many live instances");
    assertThat(script.declares("counter_1h")).isZero();
    // The sets open, and the default ones, are still answered at the cap.
    assertThat(bus.snapshot("counter", new JsonObject().put("bot", true)).getJsonArray("inserted").encode()).isEqualTo("[[5]]");
    assertThat(bus.snapshot("counter", null).getJsonArray("inserted").encode()).isEqualTo("[[3]]");
    assertThat(Samples.of(vertx).value("wikirecent_views_tail_instances", "")).isEqualTo(2.0);

    Wait.until("both idle sets closed", () -> Samples.of(vertx).value("wikirecent_views_tail_instances", "") == 0.0);
    assertThat(bus.snapshot("counter", new JsonObject().put("window", "1h")).getJsonArray("inserted").encode()).isEqualTo("[[3]]");
  }

  @Test
  void aRequestWaitingForItsSnapshotGets503WhenTheSessionFailsFirstAndTheSetRetries(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T)
      .rows("top_wikis_bot_true", data(T + 9000, 1, "wikidatawiki", 7L), progress(T + 9001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), new JsonObject());
    Wait.until("live", () -> bus.status().getBoolean("live"));
    fake.failNext("DECLARE c CURSOR FOR TAIL top_wikis_bot_true", "XX000", "boom in the planner");

    assertFailure(bus, "top_wikis", new JsonObject().put("bot", true), 503, "boom in the planner");
    // The set stays open and its next session gets through; a second request gets its snapshot.
    Wait.until("the retried TAIL's snapshot", () -> {
      try {
        return bus.snapshot("top_wikis", new JsonObject().put("bot", true)).getJsonArray("inserted").encode().equals("[[\"wikidatawiki\",7]]");
      } catch (AssertionError e) {
        return false; // 503 while the retry waits out its back-off
      }
    });
  }

  @Test
  void startedIsPublishedOnceWhenEveryDefaultSetIsLive(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T);
    // wiki_edits's FETCHes find nothing until the gate opens: that set goes live last
    ScriptedTail held = new ScriptedTail();
    fake = Wait.on(new FakeMaterialize(vertx, new FakeMaterialize.TailSource() {
      @Override
      public void declared(String view) {
        script.declared(view);
      }

      @Override
      public FakeMaterialize.Fetch next(String view) {
        return view.equals("wiki_edits") && !held.drained("gate") ? null : script.next(view);
      }
    }).start(0));
    held.rows("gate", progress(T));
    List<JsonObject> started = new CopyOnWriteArrayList<>();
    Wait.on(vertx.eventBus().<JsonObject>consumer(Addresses.VIEWS_STARTED, m -> started.add(m.body())).completion());
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), new JsonObject());

    Wait.until("five default sets live", () -> bus.messages("counter").size() == 1 && bus.messages("top_wikis").size() == 1
      && bus.messages("edits_per_minute").size() == 1 && bus.messages("user_edits").size() == 1 && bus.messages("top10").size() == 1);
    assertThat(started).as("not before wiki_edits is live").isEmpty();
    held.next("gate");
    Wait.until("started", () -> !started.isEmpty());
    assertThat(started).containsExactly(new JsonObject());
    assertThat(bus.status().getBoolean("live")).isTrue();
    // edits_per_minute's snapshot lists minutes in order, bot after not-bot, as the embedded engine does.
    long minute = T / 1000 - T / 1000 % 60;
    assertThat(bus.snapshot("edits_per_minute", null).getJsonArray("inserted").encode())
      .isEqualTo(new JsonArray().add(new JsonArray().add(minute).add(false).add(1)).add(new JsonArray().add(minute).add(true).add(2)).encode());
  }

  // --- helpers

  private static void deploy(Vertx vertx, String url, JsonObject extra) {
    JsonObject conf = Config.load(new JsonObject()
      .put(Config.SOURCE, "materialize")
      .put(Config.MATERIALIZE_URL, url)
      .put(Config.MATERIALIZE_RETRY_MIN_MILLIS, 20)
      .put(Config.MATERIALIZE_RETRY_MAX_MILLIS, 200)
      .mergeIn(extra), Map.of());
    Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(conf)));
  }

  private static void assertFailure(Bus bus, String view, Object params, int code, String message) {
    Throwable failure = Wait.on(bus.request(view, params).transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())));
    assertThat(failure).as("%s %s", view, params).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failure).failureCode()).as("%s %s: %s", view, params, failure.getMessage()).isEqualTo(code);
    assertThat(failure.getMessage()).contains(message);
  }
}
