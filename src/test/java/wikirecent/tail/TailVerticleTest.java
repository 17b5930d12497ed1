package wikirecent.tail;

import ch.qos.logback.classic.Level;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import wikirecent.config.Config;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;
import wikirecent.web.Http;
import wikirecent.status.StatusServer;
import wikirecent.testsupport.HeldPool;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.Ports;
import wikirecent.testsupport.Promtool;
import wikirecent.testsupport.Samples;
import wikirecent.testsupport.Wait;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static wikirecent.tail.FakeMaterialize.TailRow.data;
import static wikirecent.tail.FakeMaterialize.TailRow.progress;

/** The tail verticle against the wire-level stand-in, one fault or TAIL shape per test. */
@ExtendWith(VertxExtension.class)
class TailVerticleTest {

  private static final long T = 1_700_000_000_000L;

  @RegisterExtension
  final LogCapture logs = new LogCapture(ViewTail.class);
  private FakeMaterialize fake;

  @AfterEach
  void stop(Vertx vertx) {
    for (String id : vertx.deploymentIDs()) {
      Wait.on(vertx.undeploy(id).otherwiseEmpty()); // a child may already be gone with its parent
    }
    if (fake != null) {
      Wait.on(fake.stop());
    }
  }

  @Test
  void snapshotThenConsolidatedBatchesOneTimestampEach(Vertx vertx) {
    ScriptedTail script = new ScriptedTail()
      // the snapshot, with a NULL user (nullable columns) and a retracted-then-reinserted row (unconsolidated)
      .rows("user_edits",
        data(T, 1, "alice", 2), data(T, 1, "bob", 1), data(T, 1, null, 1),
        data(T, 1, "zed", 9), data(T, -1, "zed", 9),
        progress(T + 1))
      .rows("user_edits", progress(T + 1001))       // progress only: nothing to send
      .empty("user_edits")                          // an empty fetch
      .rows("user_edits",                           // one timestamp, several steps of the same rows
        data(T + 2000, -1, "alice", 2), data(T + 2000, 1, "alice", 3),
        data(T + 2000, -1, "alice", 3), data(T + 2000, 1, "alice", 4),
        data(T + 2000, -1, "bob", 1), data(T + 2000, 1, "bob", 1),
        data(T + 2000, 1, "carol", 1),
        progress(T + 2001))
      .rows("user_edits", data(T + 3000, 2, "dave", 1), progress(T + 3001))     // +N
      .rows("user_edits",                          // a later row closes the earlier timestamp, no progress between
        data(T + 4000, -2, "dave", 1), data(T + 5000, -1, null, 1), data(T + 5000, 1, null, 2))
      .rows("user_edits", progress(T + 5001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("five messages on views.user_edits", Wait.LONG, () -> bus.messages("user_edits").size() >= 5, () -> bus.messages("user_edits").toString());
    Wait.until("the script played out", () -> script.drained("user_edits"));
    List<JsonObject> got = bus.messages("user_edits");
    assertThat(got).hasSize(5);
    assertMessage(got.get(0), true, T, rows(row("alice", 2), row("bob", 1), row(null, 1)), rows());
    assertMessage(got.get(1), false, T + 2000, rows(row("alice", 4), row("carol", 1)), rows(row("alice", 2)));
    assertMessage(got.get(2), false, T + 3000, rows(row("dave", 1), row("dave", 1)), rows());
    assertMessage(got.get(3), false, T + 4000, rows(), rows(row("dave", 1), row("dave", 1)));
    assertMessage(got.get(4), false, T + 5000, rows(row(null, 2)), rows(row(null, 1)));
    assertThat(got).extracting(m -> m.getLong("previous"))
      .as("each batch names the message before it, so a subscriber can tell one was lost")
      .containsExactly(null, T, T + 2000, T + 3000, T + 4000);
    assertThat(got.get(0).getJsonArray("inserted").encode())
      .as("a snapshot lists rows in the view's order, NULL last")
      .isEqualTo("[[\"alice\",2],[\"bob\",1],[null,1]]");
    assertStrictlyIncreasing(got);

    // The replica answers snapshot requests with the latest state, as a reset-shaped message.
    Wait.until("the replica reached the last progress", () -> bus.snapshotTimestamp("user_edits") == T + 5000);
    JsonObject snap = bus.snapshot("user_edits");
    assertThat(ViewMessage.isSnapshot(snap)).isTrue();
    assertThat(snap.getJsonArray("inserted").encode()).isEqualTo("[[\"alice\",4],[null,2],[\"bob\",1],[\"carol\",1]]");
    assertThat(replay(got).rows()).isEqualTo(snap.getJsonArray("inserted"));
    assertThat(bus.counter("wikirecent_views_batches_published_total")).isEqualTo(4);
    assertThat(bus.counter("wikirecent_views_snapshots_published_total")).isEqualTo(1);
    assertThat(fake.unexpected()).isEmpty();
  }

  @Test
  void requestsAreAnsweredInOrderFromOneBuildPerChangeOffTheLoop(Vertx vertx) throws Exception {
    ScriptedTail script = new ScriptedTail().rows("user_edits", data(T, 1, "bob", 1), data(T, 1, "alice", 2), progress(T + 1));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);
    Wait.until("the session's snapshot", () -> bus.messages("user_edits").size() == 1);
    assertThat(bus.snapshot("user_edits").getJsonArray("inserted").encode())
      .as("answered from the session's snapshot, in order").isEqualTo("[[\"alice\",2],[\"bob\",1]]");
    assertThat(bus.counter("wikirecent_views_tail_snapshot_builds_total")).isZero();

    HeldPool builders = HeldPool.hold(vertx, TailVerticle.BUILDERS, TailVerticle.BUILDER_THREADS);

    script.rows("user_edits", data(T + 1000, 1, "carol", 3), progress(T + 1001));
    Wait.until("carol's batch", () -> bus.messages("user_edits").size() == 2);
    Future<JsonObject> first = bus.request("user_edits", null);
    Future<JsonObject> joins = bus.request("user_edits", null);
    Wait.until("one build waits for a builder", () -> bus.counter("wikirecent_views_tail_snapshot_builds_total") == 1);
    script.rows("user_edits", data(T + 2000, 1, "dave", 1), progress(T + 2001));
    Wait.until("the tail goes on meanwhile", () -> bus.messages("user_edits").size() == 3);
    Future<JsonObject> after = bus.request("user_edits", null);
    Thread.sleep(100);
    assertThat(List.of(first, joins, after)).as("no answer before a builder is free").noneMatch(Future::isComplete);

    builders.release();
    JsonObject a = Wait.on(first);
    assertThat(a.getJsonArray("inserted").encode()).as("the state it was asked in, in order")
      .isEqualTo("[[\"carol\",3],[\"alice\",2],[\"bob\",1]]");
    assertThat(a.getLong("timestamp")).isBetween(T + 1000, T + 1999);
    assertThat(Wait.on(joins)).as("a request during the build shares it").isEqualTo(a);
    JsonObject b = Wait.on(after);
    assertThat(b.getJsonArray("inserted").encode()).as("a request after a change gets a state with it, never the older build")
      .isEqualTo("[[\"carol\",3],[\"alice\",2],[\"bob\",1],[\"dave\",1]]");
    assertThat(b.getLong("timestamp")).isGreaterThanOrEqualTo(T + 2000);
    assertThat(bus.counter("wikirecent_views_tail_snapshot_builds_total")).isEqualTo(2);

    // No change since: answered from the last build, with progress moving only its timestamp.
    script.rows("user_edits", progress(T + 3001));
    Wait.until("the frontier reached T+3001", () -> bus.snapshotTimestamp("user_edits") == T + 3000);
    assertThat(bus.snapshot("user_edits").getJsonArray("inserted")).isEqualTo(b.getJsonArray("inserted"));
    assertThat(bus.counter("wikirecent_views_tail_snapshot_builds_total")).as("no rebuild without a change").isEqualTo(2);
    assertThat(bus.messages("user_edits")).hasSize(3);

    // Closing the part answers a request still waiting for its build.
    builders.holdAgain();
    script.rows("user_edits", data(T + 4000, 1, "erin", 1), progress(T + 4001));
    Wait.until("erin's batch", () -> bus.messages("user_edits").size() == 4);
    Future<JsonObject> waiting = bus.request("user_edits", null);
    Wait.until("its build waits", () -> bus.counter("wikirecent_views_tail_snapshot_builds_total") == 3);
    vertx.deploymentIDs().forEach(id -> Wait.on(vertx.undeploy(id)));
    assertThatThrownBy(() -> Wait.on(waiting)).hasRootCauseInstanceOf(ReplyException.class).hasMessageContaining("was closed");
    builders.close();
  }

  @Test
  void progressOnlyAdvancesTheSnapshotTimestampWithoutMessages(Vertx vertx) {
    ScriptedTail script = new ScriptedTail()
      .rows("counter", data(T, 1, 7L), progress(T + 1))
      .rows("counter", progress(T + 1001))
      .rows("counter", progress(T + 2001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("the frontier reached T+2001", () -> bus.snapshotTimestamp("counter") == T + 2000);
    assertThat(bus.messages("counter")).hasSize(1);
    assertMessage(bus.messages("counter").get(0), true, T, rows(row(7)), rows());
    assertThat(bus.snapshot("counter").getJsonArray("inserted").encode()).isEqualTo("[[7]]");
  }

  @Test
  void anEmptyViewHasAnEmptySnapshot(Vertx vertx) {
    ScriptedTail script = new ScriptedTail()
      .rows("top10", progress(T + 1))        // the session's first row: nothing before T+1, which says nothing about T+1
      .rows("top10", progress(T + 1001))     // nothing up to T+1000 either: the view is empty
      .rows("top10", data(T + 2000, 1, "alice", 1), progress(T + 2001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("two messages", () -> bus.messages("top10").size() >= 2);
    assertMessage(bus.messages("top10").get(0), true, T + 1000, rows(), rows());
    assertMessage(bus.messages("top10").get(1), false, T + 2000, rows(row("alice", 1)), rows());
  }

  @Test
  void anEmptyFetchAtTheRealTimeoutKeepsTheTailGoing(Vertx vertx) {
    ScriptedTail script = new ScriptedTail().rows("counter", data(T, 1, 1L), progress(T + 1));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0)).honourFetchTimeout();
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("the snapshot", () -> bus.messages("counter").size() == 1);
    long fetches = bus.counter("wikirecent_views_tail_fetches_total");
    Wait.until("two FETCHes answered empty after their 1 s timeout", () -> bus.counter("wikirecent_views_tail_fetches_total") >= fetches + 2);
    script.rows("counter", data(T + 5000, -1, 1L), data(T + 5000, 1, 2L), progress(T + 5001));
    Wait.until("the batch after the quiet time", () -> bus.messages("counter").size() == 2);
    assertMessage(bus.messages("counter").get(1), false, T + 5000, rows(row(2)), rows(row(1)));
    assertThat(bus.counter("wikirecent_views_tail_session_failures_total")).isZero();
  }

  @Test
  void aConnectionCutMidFetchReconnectsAndResetsWithAFreshSnapshot(Vertx vertx) {
    ScriptedTail script = new ScriptedTail()
      .rows("counter", data(T, 1, 10L), progress(T + 1))
      .rows("counter", data(T + 1000, -1, 10L), data(T + 1000, 1, 11L), progress(T + 1001))
      .drop("counter", data(T + 2000, -1, 11L), data(T + 2000, 1, 12L)) // never closed: never sent
      // The new session's snapshot is older than what was sent: it goes out just after it.
      .rows("counter", data(T + 500, 1, 12L), progress(T + 501))
      .rows("counter", data(T + 3000, -1, 12L), data(T + 3000, 1, 13L), progress(T + 3001))
      .drop("counter")
      // A newer snapshot keeps Materialize's time.
      .rows("counter", data(T + 9000, 1, 20L), progress(T + 9001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("five messages", Wait.LONG, () -> bus.messages("counter").size() >= 5, () -> bus.messages("counter").toString());
    List<JsonObject> got = bus.messages("counter");
    assertMessage(got.get(0), true, T, rows(row(10)), rows());
    assertMessage(got.get(1), false, T + 1000, rows(row(11)), rows(row(10)));
    assertMessage(got.get(2), true, T + 1001, rows(row(12)), rows());
    assertMessage(got.get(3), false, T + 3000, rows(row(13)), rows(row(12)));
    assertMessage(got.get(4), true, T + 9000, rows(row(20)), rows());
    assertThat(got).extracting(m -> m.getLong("previous")).as("the chain starts again at each reset snapshot")
      .containsExactly(null, T, null, T + 1001, null);
    assertStrictlyIncreasing(got);
    assertThat(script.declares("counter")).isEqualTo(3);
    assertThat(bus.counter("wikirecent_views_tail_session_failures_total")).isGreaterThanOrEqualTo(2);
    // Every session bootstrapped again before its TAIL.
    assertThat(bootstrapsBeforeEachTail(fake, "counter")).containsOnly(true).hasSize(3);
  }

  @Test
  void aProgressRowAtTheSnapshotTimeIsNotTheEndOfTheSnapshot(Vertx vertx) {
    ScriptedTail script = new ScriptedTail()
      // top10: Materialize announces the TAIL's AS OF with a progress row, then sends the snapshot at that time
      .rows("top10", progress(T))
      .rows("top10", data(T, 1, "alice", 2), data(T, 1, "bob", 1))
      .rows("top10", progress(T + 1))
      .rows("top10", data(T + 1000, 1, "carol", 1), progress(T + 1001))
      // user_edits: an empty view, known to be empty only once the frontier moves past T
      .rows("user_edits", progress(T), progress(T))
      .rows("user_edits", progress(T + 1000));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("the scripts played out", () -> script.drained("top10") && script.drained("user_edits"));
    Wait.until("two messages on top10", Wait.LONG, () -> bus.messages("top10").size() >= 2, () -> bus.messages("top10").toString());
    List<JsonObject> top10 = bus.messages("top10");
    assertMessage(top10.get(0), true, T, rows(row("alice", 2), row("bob", 1)), rows());
    assertMessage(top10.get(1), false, T + 1000, rows(row("carol", 1)), rows());
    Wait.until("user_edits' snapshot", () -> !bus.messages("user_edits").isEmpty());
    assertMessage(bus.messages("user_edits").get(0), true, T + 999, rows(), rows());
    assertThat(bus.messages("top10")).hasSize(2);
    assertThat(bus.messages("user_edits")).hasSize(1);
  }

  @Test
  void backsOffUntilMaterializeIsUpThenGoesLive(Vertx vertx) {
    int port = Ports.freePort();
    Bus bus = Bus.record(vertx);
    deploy(vertx, "postgresql://materialize@127.0.0.1:" + port + "/materialize", 30_000);

    Wait.until("a few failed attempts per view", () -> bus.counter("wikirecent_views_tail_session_failures_total") >= 9);
    JsonObject status = bus.status();
    assertThat(status.getString("part")).isEqualTo("views");
    assertThat(status.getBoolean("live")).isFalse();
    assertThat(status.getString("detail"))
      .contains("cannot connect to Materialize at 127.0.0.1:" + port)
      .doesNotContain(" live");
    assertThatThrownBy(() -> bus.snapshot("counter"))
      .hasRootCauseInstanceOf(ReplyException.class)
      .hasStackTraceContaining("no snapshot of counter yet");
    // Back-off, not a hot loop: with 20..200 ms waits, a second of refusals is a handful of attempts per view,
    // far below 40. The bound scales with the time really observed (a loaded machine may sleep longer).
    long start = System.nanoTime();
    long before = bus.counter("wikirecent_views_tail_session_failures_total");
    sleep(1000);
    long after = bus.counter("wikirecent_views_tail_session_failures_total");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(after - before).as("refusals in %.1f s", seconds).isLessThan((long) (ServedSets.always().size() * 40 * seconds));

    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T);
    fake = Wait.on(new FakeMaterialize(vertx, script).start(port));
    Wait.until("live", Wait.LONG, () -> bus.status().getBoolean("live"), () -> bus.status().encode());
    for (Views v : Views.values()) {
      assertThat(bus.messages(v.viewName())).hasSize(1);
      assertThat(ViewMessage.isSnapshot(bus.messages(v.viewName()).get(0))).isTrue();
    }
    assertThat(bus.status().getString("detail")).contains("counter live at " + T);
  }

  @Test
  void aSqlErrorIsLoggedWithItsStatementAndRetried(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T)
      .error("top10", "XX000", "Evaluation error: division by zero")
      .rows("top10", data(T + 50, 1, "bob", 3), progress(T + 51));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    fake.failNext("CREATE MATERIALIZED VIEW IF NOT EXISTS top10", "XX000", "boom in the catalog");
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("top10's second snapshot", () -> bus.messages("top10").size() >= 2);
    assertThat(logs.at(Level.ERROR)).anySatisfy(line -> assertThat(line)
      .contains("boom in the catalog", "XX000", "CREATE MATERIALIZED VIEW IF NOT EXISTS top10 AS SELECT"));
    assertThat(logs.at(Level.ERROR)).anySatisfy(line -> assertThat(line)
      .contains("division by zero", "XX000", "in: FETCH ALL c WITH (timeout='1s')"));
    assertThat(bus.counter("wikirecent_views_tail_sql_errors_total")).isEqualTo(2);
    assertMessage(bus.messages("top10").get(1), true, T + 50, rows(row("bob", 3)), rows());
    Wait.until("all live", () -> bus.status().getBoolean("live"));
  }

  @Test
  void onlyTheFixedViewNamesReachSqlAndOnlySimpleQueries(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T);
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);
    Wait.until("live", () -> bus.status().getBoolean("live"));

    // Parameters written to break out of a name are refused (400) before any SQL; the loop below then finds no
    // statement but the fixed ones.
    for (JsonObject hostile : List.of(new JsonObject().put("wiki", "x'; DROP VIEW top10; --"),
      new JsonObject().put("window", "1h; DROP VIEW top10"), new JsonObject().put("bot", "true) OR (1=1"))) {
      Throwable refused = Wait.on(bus.request("top10", hostile).map(m -> (Throwable) null).otherwise(e -> e));
      assertThat(refused).as(hostile.encode()).isInstanceOf(ReplyException.class);
      assertThat(((ReplyException) refused).failureCode()).as(hostile.encode()).isEqualTo(400);
    }
    List<String> bootstrap = SqlScript.load("/sql/views.sql");
    List<String> declares = List.of(
      "DECLARE c CURSOR FOR TAIL counter WITH (PROGRESS)",
      "DECLARE c CURSOR FOR TAIL user_edits WITH (PROGRESS)",
      "DECLARE c CURSOR FOR TAIL top10 WITH (PROGRESS)",
      "DECLARE c CURSOR FOR TAIL top_wikis WITH (PROGRESS)",
      "DECLARE c CURSOR FOR TAIL edits_per_minute WITH (PROGRESS)",
      "DECLARE c CURSOR FOR TAIL wiki_edits WITH (PROGRESS)");
    Set<String> expected = new java.util.HashSet<>(declares);
    expected.addAll(List.of("BEGIN", "FETCH ALL c WITH (timeout='1s')"));
    for (String sql : fake.statements()) {
      assertThat(bootstrap.contains(sql) || expected.contains(sql)).as(sql).isTrue();
    }
    assertThat(fake.statements().stream().filter(s -> s.startsWith("DECLARE")).collect(Collectors.toSet()))
      .as("every default set is tailed from the start, nothing else").containsExactlyInAnyOrderElementsOf(declares);
    assertThat(fake.unexpected()).as("extended-protocol messages or unknown SQL").isEmpty();
    assertThat(fake.catalog()).containsExactlyInAnyOrderElementsOf(SqlScriptTest.created().keySet());
    // One connection per view, each with the URL's user and database.
    assertThat(fake.startups()).hasSize(declares.size()).allSatisfy(p -> {
      assertThat(p).containsEntry("user", "materialize").containsEntry("database", "materialize")
        .containsEntry("application_name", "wikirecent-tail").containsEntry("client_encoding", "utf8");
    });
  }

  /**
   * A batch deleting a row the view does not hold ends the session, and the state it left half applied (bob's new
   * count in, zed's delete refused) is served to nobody: requests get 503 until the next session's snapshot.
   */
  @Test
  void aBatchThatDoesNotFitIsNeitherPublishedNorServed(Vertx vertx) {
    ScriptedTail script = new ScriptedTail()
      .rows("user_edits", data(T, 1, "alice", 2), data(T, 1, "bob", 1), progress(T + 1))
      .rows("user_edits", data(T + 1000, -1, "bob", 1), data(T + 1000, -1, "zed", 9), data(T + 1000, 1, "bob", 2),
        progress(T + 1001))
      .stall("user_edits");
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("the session ended on the batch",
      () -> logs.at(Level.WARN).stream().anyMatch(line -> line.contains("a batch deletes rows the view does not hold")));
    assertThat(bus.messages("user_edits")).hasSize(1);
    Throwable refused = Wait.on(bus.request("user_edits", null).map(m -> (Throwable) null).otherwise(e -> e));
    assertThat(refused).as("the answer to a snapshot request").isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) refused).failureCode()).isEqualTo(503);
  }

  @Test
  void aStalledFetchIsGivenUpAndTheTailStartsOver(Vertx vertx) {
    ScriptedTail script = new ScriptedTail()
      .rows("counter", data(T, 1, 1L), progress(T + 1))
      .stall("counter")
      .rows("counter", data(T + 7000, 1, 2L), progress(T + 7001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 500);

    Wait.until("the snapshot after the stall", () -> bus.messages("counter").size() >= 2);
    assertMessage(bus.messages("counter").get(1), true, T + 7000, rows(row(2)), rows());
    assertThat(bus.counter("wikirecent_views_tail_stalls_total")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aRestartedMaterializeThatLostItsCatalogIsBootstrappedAgain(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T);
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);
    Wait.until("live", () -> bus.status().getBoolean("live"));
    // What the script above sends, written out: each default set's snapshot before the restart.
    long minuteBefore = T / 1000 - T / 1000 % 60;
    Map<String, JsonArray> before = Map.of(
      "counter", rows(row(3)),
      "user_edits", rows(row("alice", 2), row("bob", 1)),
      "top10", rows(row("alice", 2), row("bob", 1)),
      "top_wikis", rows(row("enwiki", 2), row(null, 1)),
      "edits_per_minute", rows(row(minuteBefore, true, 2), row(minuteBefore, false, 1)),
      "wiki_edits", rows(row("enwiki", 2), row(null, 1)));
    assertThat(ServedSets.always()).extracting(ServedSets.Served::key).containsExactlyInAnyOrderElementsOf(before.keySet());
    for (String key : before.keySet()) {
      Wait.until(key + "'s snapshot", Wait.LONG, () -> !bus.messages(key).isEmpty(), () -> bus.messages(key).toString());
      assertThat(bus.messages(key)).as(key).hasSize(1);
      assertMessage(bus.messages(key).get(0), true, T, before.get(key), rows());
    }

    // Restart, and queue the new snapshots only once every old session is gone: a session still
    // fetching would take their rows as updates. Every set's rows after the restart differ from its
    // rows before, so a replica kept from before the restart shows.
    long failures = bus.counter("wikirecent_views_tail_session_failures_total");
    fake.restart(true);
    Wait.until("every tail saw the restart", () -> bus.counter("wikirecent_views_tail_session_failures_total") >= failures + ServedSets.always().size());
    long ts = T + 60_000;
    long minuteAfter = ts / 1000 - ts / 1000 % 60;
    script
      .rows("counter", data(ts, 1, 8L), progress(ts + 1))
      .rows("user_edits", data(ts, 1, "carol", 5), progress(ts + 1))
      .rows("top10", data(ts, 1, "dave", 4), data(ts, 1, "alice", 1), progress(ts + 1))
      .rows("top_wikis", data(ts, 1, "dewiki", 6), progress(ts + 1))
      .rows("edits_per_minute", data(ts, 1, minuteAfter, false, 7L), progress(ts + 1))
      .rows("wiki_edits", data(ts, 1, "frwiki", 3), data(ts, 1, null, 4), progress(ts + 1));
    Map<String, JsonArray> after = Map.of(
      "counter", rows(row(8)),
      "user_edits", rows(row("carol", 5)),
      "top10", rows(row("dave", 4), row("alice", 1)),
      "top_wikis", rows(row("dewiki", 6)),
      "edits_per_minute", rows(row(minuteAfter, false, 7)),
      "wiki_edits", rows(row("frwiki", 3), row(null, 4)));
    for (String key : after.keySet()) {
      Wait.until(key + "'s reset", Wait.LONG, () -> bus.messages(key).size() >= 2, () -> bus.messages(key).toString());
      assertThat(bus.messages(key)).as(key).hasSize(2);
      assertMessage(bus.messages(key).get(1), true, ts, after.get(key), rows());
      assertThat(sorted(bus.snapshot(key).getJsonArray("inserted"))).as("%s's replica answers with the new rows", key)
        .isEqualTo(sorted(after.get(key)));
    }
    Wait.until("live again", () -> bus.status().getBoolean("live"));
    assertThat(fake.catalog()).containsExactlyInAnyOrderElementsOf(SqlScriptTest.created().keySet());
  }

  @Test
  void unexpectedColumnsEndTheSessionWithAClearReason(Vertx vertx) {
    ScriptedTail script = new ScriptedTail().rows("counter", data(T, 1, 1L, "extra"), progress(T + 1));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    fake.columns("counter", List.of(new FakeMaterialize.Column("count", 20), new FakeMaterialize.Column("oops", 25)));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);

    Wait.until("a protocol error", () -> bus.counter("wikirecent_views_tail_protocol_errors_total") >= 1);
    assertThat(bus.messages("counter")).isEmpty();
    assertThat(logs.at(Level.WARN)).anySatisfy(line -> assertThat(line).contains("counter", "[mz_timestamp, mz_progressed, mz_diff, count, oops]"));
  }

  @Test
  void sslIsAskedForAndRefusedThenPlainTextWorks(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T);
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url() + "?sslmode=prefer", 30_000);

    Wait.until("live", Wait.LONG, () -> bus.status().getBoolean("live"), () -> bus.status().encode());
    assertThat(fake.sslRequests()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void theViewsRoleRunsTheTailWhenTheSourceIsMaterialize(Vertx vertx) {
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T);
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    JsonObject conf = new JsonObject()
      .put(Config.ROLES, "views")
      .put(Config.HTTP_PORT, 0) // the status server of a process without web
      .put(Config.SOURCE, "materialize")
      .put(Config.MATERIALIZE_URL, fake.url());
    Wait.on(vertx.deployVerticle(new wikirecent.MainVerticle(), new DeploymentOptions().setConfig(conf)));
    Wait.until("live", () -> bus.status().getBoolean("live"));
    assertThat(bus.snapshot("top10").getJsonArray("inserted").encode()).isEqualTo("[[\"alice\",2],[\"bob\",1]]");
  }

  @Test
  void itsMetersOnMetricsAreWhatPromtoolExpects(Vertx vertx) throws Exception {
    Promtool.require();
    ScriptedTail script = everyViewSnapshots(new ScriptedTail(), T)
      .rows("counter", data(T + 1000, -1, 3L), data(T + 1000, 1, 4L), progress(T + 1001));
    fake = Wait.on(new FakeMaterialize(vertx, script).start(0));
    Bus bus = Bus.record(vertx);
    deploy(vertx, fake.url(), 30_000);
    Wait.until("the counter's batch", () -> bus.messages("counter").size() == 2);
    StatusServer server = new StatusServer();
    Wait.on(vertx.deployVerticle(server, new DeploymentOptions().setConfig(Config.load(new JsonObject()
      .put(Config.ROLES, "views").put(Config.HTTP_PORT, 0), Map.of()))));

    String text = Http.get(vertx, server.port(), "/metrics").bodyAsString();
    Samples metrics = Samples.of(text);
    assertThat(metrics.value("wikirecent_views_batches_published_total", "view=\"counter\"")).isEqualTo(1.0);
    assertThat(metrics.value("wikirecent_views_snapshots_published_total", "view=\"top10\"")).isEqualTo(1.0);
    assertThat(metrics.value("wikirecent_views_tail_rows_total", "kind=\"data\",view=\"counter\"")).isEqualTo(3.0);
    assertThat(metrics.value("wikirecent_views_up", "")).isEqualTo(1.0);
    assertThat(text).contains("wikirecent_views_tail_fetches_total{", "wikirecent_views_tail_sessions_started_total{",
      "wikirecent_views_tail_session_failures_total{", "wikirecent_views_tail_sql_errors_total{",
      "wikirecent_views_tail_protocol_errors_total{", "wikirecent_views_tail_stalls_total{");
    assertThat(Promtool.complaints(text)).filteredOn(line -> line.contains("wikirecent_")).isEmpty();
  }

  @Test
  void aUrlThatIsNotPostgresFailsTheDeploymentClearly(Vertx vertx) {
    JsonObject conf = Config.load(new JsonObject().put(Config.MATERIALIZE_URL, "mysql://materialized:6875/x"), Map.of());
    assertThatThrownBy(() -> Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(conf))))
      .hasMessageContaining("materialize.url is not a postgresql:// URL");
  }

  @Test
  void aPasswordInTheUrlShowsNeitherInStartUpErrorsNorInConnectionErrors(Vertx vertx) {
    String password = "pa55-w0rd-1234";
    JsonObject bad = Config.load(new JsonObject().put(Config.MATERIALIZE_URL, "postgresql://mz:" + password + "@materialized:notaport/db"), Map.of());
    Throwable failure = Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(bad))
      .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())));
    assertThat(failure).hasMessageContaining("materialize.url is not a postgresql:// URL")
      .hasMessageContaining("postgresql://***@materialized:notaport/db");
    assertThat(failure.getMessage()).doesNotContain(password);

    // A URL the client takes, to a port nobody listens on: connection errors, in the log and the status.
    deploy(vertx, "postgresql://mz:" + password + "@127.0.0.1:" + Ports.freePort() + "/db?password=" + password, 30_000);
    Bus bus = Bus.record(vertx);
    Wait.until("a failed connection", () -> logs.lines().stream().anyMatch(l -> l.contains("cannot connect")));
    assertThat(bus.status().encode()).doesNotContain(password);
    assertThat(logs.lines()).allSatisfy(l -> assertThat(l).doesNotContain(password));
  }

  // --- helpers

  private static void deploy(Vertx vertx, String url, long stallMillis) {
    JsonObject conf = Config.load(new JsonObject()
      .put(Config.SOURCE, "materialize")
      .put(Config.MATERIALIZE_URL, url)
      .put(Config.MATERIALIZE_RETRY_MIN_MILLIS, 20)
      .put(Config.MATERIALIZE_RETRY_MAX_MILLIS, 200)
      .put(Config.MATERIALIZE_STALL_MILLIS, stallMillis), Map.of());
    Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(conf)));
  }

  static ScriptedTail everyViewSnapshots(ScriptedTail script, long ts) {
    return script
      .rows("counter", data(ts, 1, 3L), progress(ts + 1))
      .rows("user_edits", data(ts, 1, "alice", 2), data(ts, 1, "bob", 1), progress(ts + 1))
      .rows("top10", data(ts, 1, "alice", 2), data(ts, 1, "bob", 1), progress(ts + 1))
      .rows("top_wikis", data(ts, 1, "enwiki", 2), data(ts, 1, null, 1), progress(ts + 1))
      .rows("edits_per_minute", data(ts, 1, ts / 1000 - ts / 1000 % 60, true, 2L), data(ts, 1, ts / 1000 - ts / 1000 % 60, false, 1L), progress(ts + 1))
      .rows("wiki_edits", data(ts, 1, "enwiki", 2), data(ts, 1, null, 1), progress(ts + 1));
  }

  /** For each TAIL on {@code view}: did its connection run the whole bootstrap, in order, before the DECLARE? */
  private static List<Boolean> bootstrapsBeforeEachTail(FakeMaterialize fake, String view) {
    List<String> bootstrap = SqlScript.load("/sql/views.sql");
    List<Boolean> out = new ArrayList<>();
    List<FakeMaterialize.Statement> all = fake.statementsWithConnection();
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).sql().equals("DECLARE c CURSOR FOR TAIL " + view + " WITH (PROGRESS)")) {
        int connection = all.get(i).connection();
        List<String> before = all.subList(0, i).stream().filter(s -> s.connection() == connection).map(FakeMaterialize.Statement::sql).toList();
        List<String> expected = new ArrayList<>(bootstrap);
        expected.add("BEGIN");
        out.add(before.equals(expected));
      }
    }
    return out;
  }


  static JsonArray row(Object... values) {
    JsonArray row = new JsonArray();
    for (Object v : values) {
      row.add(v instanceof Integer i ? Long.valueOf(i) : v);
    }
    return row;
  }

  static JsonArray rows(JsonArray... rows) {
    JsonArray out = new JsonArray();
    for (JsonArray r : rows) {
      out.add(r);
    }
    return out;
  }

  /** Compares a message with the expected one; rows within inserted/deleted in any order. */
  static void assertMessage(JsonObject msg, boolean snapshot, long ts, JsonArray inserted, JsonArray deleted) {
    assertThat(ViewMessage.isSnapshot(msg)).as("snapshot flag of %s", msg).isEqualTo(snapshot);
    assertThat(msg.getLong("timestamp")).as("timestamp of %s", msg).isEqualTo(ts);
    assertThat(sorted(msg.getJsonArray("inserted"))).as("inserted of %s", msg).isEqualTo(sorted(inserted));
    assertThat(sorted(msg.getJsonArray("deleted"))).as("deleted of %s", msg).isEqualTo(sorted(deleted));
  }

  private static List<String> sorted(JsonArray rows) {
    List<String> out = new ArrayList<>();
    for (Object r : rows) {
      out.add(new JsonArray(ViewTable.normalize((JsonArray) r)).encode());
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  static void assertStrictlyIncreasing(List<JsonObject> messages) {
    for (int i = 1; i < messages.size(); i++) {
      assertThat(messages.get(i).getLong("timestamp")).isGreaterThan(messages.get(i - 1).getLong("timestamp"));
    }
  }

  static ViewTable replay(List<JsonObject> messages) {
    ViewTable table = new ViewTable(ViewMessage.view(messages.get(0)));
    for (JsonObject m : messages) {
      assertThat(table.apply(m)).as("applies cleanly: %s", m).isTrue();
    }
    return table;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
