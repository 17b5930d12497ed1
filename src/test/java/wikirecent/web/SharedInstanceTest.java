package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.config.Config;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One instance at the source, however many web nodes and clients follow it: every node's clients get the
 * same batches, a late joiner ends where the early ones are, and the instance lives while any node wants it.
 */
@ExtendWith(VertxExtension.class)
class SharedInstanceTest {

  private static final String KEY = "top10?bot=false&window=1h";

  @Test
  void twoWebNodesShareOneInstanceAndTheirClientsGetTheSameBatches(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode a = Wait.on(WebNode.start(vertx, null));
    WebNode b = Wait.on(WebNode.start(vertx, null));
    Shaped shaped = new Shaped(77);
    Wait.on(source.edit(shaped.edits(100)));

    StreamWatcher onA = StreamWatcher.connect(vertx, "a", a.port(), KEY);
    StreamWatcher onB = StreamWatcher.connect(vertx, "b", b.port(), KEY);
    BridgeWatcher bridgeOnB = BridgeWatcher.connect(vertx, b.port());
    bridgeOnB.follow(KEY);
    Wait.until("every snapshot", () -> onA.count() == 1 && onB.count() == 1 && bridgeOnB.snapshotsApplied() == 1);
    for (int i = 0; i < 80; i++) {
      Wait.on(source.edit(shaped.edits(1 + shaped.random().nextInt(3))));
    }
    long last = Wait.on(source.lastTimestamp(KEY));
    Wait.until("all caught up", Wait.LONG, () -> onA.timestamp() >= last && onB.timestamp() >= last && bridgeOnB.timestamp() >= last);

    assertThat(Wait.on(source.opens(KEY))).as("one instance at the source").isEqualTo(1);
    assertThat(Wait.on(source.requests(KEY))).as("one snapshot request per node").isEqualTo(2);
    long from = Math.max(onA.firstSnapshotTimestamp(), onB.firstSnapshotTimestamp());
    List<JsonObject> batchesA = onA.batchesBetween(from, last);
    assertThat(batchesA).hasSizeGreaterThan(5);
    assertThat(onB.batchesBetween(from, last)).isEqualTo(batchesA);
    JsonArray expected = Wait.on(source.expected(KEY));
    assertThat(onA.rows()).isEqualTo(expected);
    assertThat(onB.rows()).isEqualTo(expected);
    assertThat(bridgeOnB.rows()).isEqualTo(expected);
    assertThat(Http.get(vertx, a.port(), "/api/views/" + KEY).bodyAsString()).isEqualTo(Http.get(vertx, b.port(), "/api/views/" + KEY).bodyAsString());
    onA.close();
    onB.close();
    bridgeOnB.close();
  }

  @Test
  void aLateJoinerOfAnInstanceEndsWhereAnEarlyOneIs(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Shaped shaped = new Shaped(88);
    Wait.on(source.edit(shaped.edits(50)));
    StreamWatcher early = StreamWatcher.connect(vertx, web.port(), KEY);
    BridgeWatcher earlyBridge = BridgeWatcher.connect(vertx, web.port());
    earlyBridge.follow(KEY);
    Wait.until("the early snapshots", () -> early.count() == 1 && earlyBridge.snapshotsApplied() == 1);

    StreamWatcher late = null;
    BridgeWatcher lateBridge = null;
    for (int i = 0; i < 300; i++) {
      source.edit(shaped.edits(1 + shaped.random().nextInt(3))); // not awaited: batches keep coming while the late ones join
      if (i == 150) {
        Wait.until("the early client has seen batches", () -> early.count() >= 3);
        late = StreamWatcher.connect(vertx, web.port(), KEY);
        lateBridge = BridgeWatcher.connect(vertx, web.port());
        lateBridge.follow(KEY);
      }
    }
    long last = Wait.on(source.lastTimestamp(KEY));
    JsonArray expected = Wait.on(source.expected(KEY));
    for (StreamWatcher w : List.of(early, late)) {
      Wait.until("stream caught up", Wait.LONG, () -> w.timestamp() >= last, w::toString);
      assertThat(w.diverged()).isFalse();
      assertThat(w.rows()).isEqualTo(expected);
    }
    for (BridgeWatcher bw : List.of(earlyBridge, lateBridge)) {
      Wait.until("bridge caught up", Wait.LONG, () -> bw.timestamp() >= last);
      assertThat(bw.diverged()).isFalse();
      assertThat(bw.rows()).isEqualTo(expected);
    }
    assertThat(late.messages().get(0).getBoolean("snapshot")).isTrue();
    assertThat(late.count()).isLessThan(early.count());
    assertThat(Wait.on(source.opens(KEY))).isEqualTo(1);
  }

  @Test
  void anInstanceStaysAtTheSourceWhileAnyNodeWantsIt(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    Wait.on(source.idleMillis(1000));
    JsonObject settings = new JsonObject().put(Config.WEB_REPLICA_LINGER_SECONDS, 1).put(Config.VIEWS_KEEP_ALIVE_MILLIS, 100);
    WebNode a = Wait.on(WebNode.start(vertx, settings));
    WebNode b = Wait.on(WebNode.start(vertx, settings));
    Shaped shaped = new Shaped(99);
    Wait.on(source.edit(shaped.edits(60)));
    StreamWatcher onA = StreamWatcher.connect(vertx, "a", a.port(), KEY);
    StreamWatcher onB = StreamWatcher.connect(vertx, "b", b.port(), KEY);
    Wait.until("both snapshots", () -> onA.count() == 1 && onB.count() == 1);

    onA.close();
    Shaped.awaitMetric(vertx, a.port(), "wikirecent_web_replicas_dropped_total", 1.0); // the nodes share one registry here
    int before = Wait.on(source.wanted()).size();
    Wait.until("many idle spans of the source later", Wait.LONG, () -> Wait.on(source.wanted()).size() >= before + 40);
    assertThat(Wait.on(source.live(KEY))).isTrue();
    assertThat(Wait.on(source.opens(KEY))).isEqualTo(1);
    Wait.on(source.edit(shaped.edits(20)));
    long last = Wait.on(source.lastTimestamp(KEY));
    Wait.until("b's client follows", () -> onB.timestamp() >= last);
    assertThat(onB.rows()).isEqualTo(Wait.on(source.expected(KEY)));

    onB.close();
    Wait.until("nobody wants it: the source drops it", Wait.LONG, () -> !Wait.on(source.live(KEY)));
  }
}
