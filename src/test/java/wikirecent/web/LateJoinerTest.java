package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import wikirecent.bus.ViewMessage;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Joining late, starting before the source, upstream resets and divergence: every client ends
 * with exactly the source's state.
 */
@ExtendWith(VertxExtension.class)
class LateJoinerTest {

  @Test
  void aLateJoinersStateEqualsAnEarlyOnes(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").statusCode() == 200);
    StreamWatcher earlyStream = StreamWatcher.connect(vertx, web.port(), "user_edits");
    BridgeWatcher earlyBridge = BridgeWatcher.connect(vertx, web.port());
    earlyBridge.follow("user_edits");

    Random random = new Random(7);
    StreamWatcher lateStream = null;
    BridgeWatcher lateBridge = null;
    for (int i = 0; i < 300; i++) {
      // not awaited: batches keep coming while the late clients join
      source.edit(StreamTest.randomUsers(random, 1 + random.nextInt(3)));
      if (i == 150) {
        // Late for real: the early client has had batches by now (edits are not awaited, and a
        // busy node merges batches, so how many is not fixed).
        Wait.until("the early client has seen batches", () -> earlyStream.count() >= 3);
        lateStream = StreamWatcher.connect(vertx, web.port(), "user_edits");
        lateBridge = BridgeWatcher.connect(vertx, web.port());
        lateBridge.follow("user_edits");
      }
    }
    long last = Wait.on(source.lastTimestamp("user_edits"));
    JsonArray expected = Wait.on(source.expected("user_edits"));
    for (StreamWatcher w : List.of(earlyStream, lateStream)) {
      Wait.until("stream caught up", () -> w.timestamp() >= last);
      assertThat(w.diverged()).isFalse();
      assertThat(w.rows()).isEqualTo(expected);
    }
    for (BridgeWatcher b : List.of(earlyBridge, lateBridge)) {
      Wait.until("bridge caught up", () -> b.timestamp() >= last);
      assertThat(b.diverged()).isFalse();
      assertThat(b.rows()).isEqualTo(expected);
    }
    assertThat(lateStream.rows()).isEqualTo(earlyStream.rows());
    assertThat(lateStream.messages().get(0).getBoolean("snapshot")).isTrue();
    assertThat(lateStream.count()).isLessThan(earlyStream.count());
  }

  @ParameterizedTest(name = "source publishes its snapshot on start: {0}")
  @ValueSource(booleans = {true, false})
  void aWebNodeStartedBeforeTheSourceCatchesUpWhenItAppears(boolean snapshotOnStart, Vertx vertx) {
    WebNode web = Wait.on(WebNode.start(vertx, null));
    StreamWatcher watcher = StreamWatcher.connect(vertx, web.port(), "top10");
    assertThat(Http.get(vertx, web.port(), "/api/views/top10").statusCode()).isEqualTo(503);

    ScriptedViewSource source = new ScriptedViewSource(snapshotOnStart);
    Wait.on(vertx.deployVerticle(source));
    Wait.on(source.edit("Alice", "Bob", "Alice"));
    Wait.until("the early client got a snapshot", () -> watcher.snapshots() >= 1);
    Wait.on(source.edit("Bob", "Bob"));
    long last = Wait.on(source.lastTimestamp("top10"));
    Wait.until("caught up", () -> watcher.timestamp() >= last);
    assertThat(watcher.messages().get(0).getBoolean("snapshot")).isTrue();
    assertThat(watcher.rows()).isEqualTo(Wait.on(source.expected("top10")));
    assertThat(watcher.rows().encode()).isEqualTo("[[\"Bob\",3],[\"Alice\",2]]");
  }

  @Test
  void anUpstreamResetGivesEveryClientTheNewSnapshot(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Alice", "Bob"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").bodyAsJsonObject().getJsonArray("inserted").size() == 2);
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "top10");
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.follow("top10");
    Wait.until("both have the first state", () -> stream.count() == 1 && bridge.snapshotsApplied() == 1);

    // The source comes back from other data: what was there is gone, not merely changed.
    Wait.on(source.resetTo(Map.of("Zed", 5L, "Yan", 1L)));
    Wait.on(source.edit("Yan"));
    long last = Wait.on(source.lastTimestamp("top10"));
    Wait.until("both caught up", () -> stream.timestamp() >= last && bridge.timestamp() >= last);
    assertThat(stream.snapshots()).isEqualTo(2);
    assertThat(bridge.snapshotsApplied()).isEqualTo(2);
    assertThat(stream.rows().encode()).isEqualTo("[[\"Zed\",5],[\"Yan\",2]]");
    assertThat(bridge.rows()).isEqualTo(stream.rows());
    assertThat(Http.get(vertx, web.port(), "/api/views/top10").bodyAsJsonObject().getJsonArray("inserted")).isEqualTo(stream.rows());
  }

  @Test
  void aBatchThatDoesNotFitMakesTheNodeTakeAFreshSnapshot(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Bob"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").bodyAsJsonObject().getJsonArray("inserted").size() == 2);
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "top10");
    Wait.until("snapshot", () -> stream.count() == 1);

    // As if the node had missed a batch: this one deletes a row the replica does not have.
    long ts = Wait.on(source.lastTimestamp()) + 1;
    Wait.on(source.publishRaw("top10", ViewMessage.batch("top10", ts,
      new JsonArray().add(new JsonArray().add("Ghost").add(2)), new JsonArray().add(new JsonArray().add("Ghost").add(1)))));
    Wait.on(source.edit("Carol"));
    long last = Wait.on(source.lastTimestamp("top10"));
    Wait.until("caught up", () -> stream.timestamp() >= last);
    assertThat(stream.snapshots()).as("a fresh snapshot after the divergence").isEqualTo(2);
    assertThat(stream.rows()).isEqualTo(Wait.on(source.expected("top10")));
    assertThat(stream.rows().encode()).doesNotContain("Ghost");
    String metrics = Http.get(vertx, web.port(), "/metrics").bodyAsString();
    assertThat(metrics).contains("wikirecent_web_divergences_total{view=\"top10\"} 1.0");
  }

  @Test
  void aBatchLostOnTheBusIsNoticedByTheNextOne(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsJsonObject().getJsonArray("inserted").size() == 1);
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "user_edits");
    Wait.until("snapshot", () -> stream.count() == 1);

    // Bob's batch only inserts a row, so nothing in the next batch contradicts the replica: only its
    // "previous" tells the node that a batch went missing.
    Wait.on(source.loseNextBatch("user_edits"));
    Wait.on(source.edit("Bob"));
    Wait.on(source.edit("Carol"));
    long last = Wait.on(source.lastTimestamp("user_edits"));
    Wait.until("caught up", () -> stream.timestamp() >= last);
    JsonArray expected = Wait.on(source.expected("user_edits"));
    assertThat(expected.encode()).contains("Bob");
    assertThat(stream.rows()).isEqualTo(expected);
    assertThat(stream.snapshots()).as("a fresh snapshot after the gap").isEqualTo(2);
    assertThat(Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsJsonObject().getJsonArray("inserted")).isEqualTo(expected);
    assertThat(stream.messages()).allSatisfy(f -> assertThat(f.containsKey("previous")).as("sent to a client: " + f).isFalse());
    String metrics = Http.get(vertx, web.port(), "/metrics").bodyAsString();
    assertThat(metrics).contains("wikirecent_web_divergences_total{view=\"user_edits\"} 1.0");
  }

  @Test
  void aNodeThatFallsFarBehindLosesNoChangeSilently(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").statusCode() == 200);
    StreamWatcher watcher = StreamWatcher.connect(vertx, web.port(), "user_edits", false);
    Wait.until("snapshot", () -> watcher.count() == 1);

    // Keep the web node's event loop busy while 1500 batches are published, then let it go: the whole
    // burst reaches the replica back to back and must be applied, and sent on, in full and in order.
    // Each batch adds a new user, so a batch lost on the way would never be noticed by a later one.
    // (Vert.x queues each delivery as a task on the stalled loop; the consumer's own buffer of 1000
    // messages only fills while a consumer is paused, and the replica never pauses its consumer.)
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(1);
    web.runOnWebContext(() -> {
      blocked.countDown();
      try {
        release.await(60, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(blocked.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    int n = 1500;
    io.vertx.core.Future<?> lastEdit = null;
    for (int i = 0; i < n; i++) {
      lastEdit = source.edit("new user " + i);
    }
    Wait.on(lastEdit);
    release.countDown();

    long last = Wait.on(source.lastTimestamp("user_edits"));
    Wait.until("the client caught up", () -> watcher.timestamp() >= last);
    JsonArray expected = Wait.on(source.expected("user_edits"));
    assertThat(expected).hasSize(n);
    assertThat(watcher.rows()).isEqualTo(expected);
    // Applied in full, not healed: a lost batch would have cost a divergence and a second snapshot.
    assertThat(watcher.snapshots()).as("no fresh snapshot: no batch was missed").isEqualTo(1);
    assertThat(watcher.diverged()).isFalse();
    assertThat(Http.get(vertx, web.port(), "/metrics").bodyAsString()).doesNotContainPattern("wikirecent_web_divergences_total\\{view=\"user_edits\"\\} [1-9]");
    assertThat(Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsJsonObject().getJsonArray("inserted")).isEqualTo(expected);
  }
}
