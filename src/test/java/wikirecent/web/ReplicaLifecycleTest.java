package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.config.Config;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How long a node holds a replica of an instance and how it keeps the source's instance alive: held while
 * followed, lingering, then dropped; named in keep-alives while held, and reopened when the source says it
 * no longer has it or starts again; ended, with its clients told, when the source refuses it; bounded per node.
 */
@ExtendWith(VertxExtension.class)
class ReplicaLifecycleTest {

  private static final String KEY = "top10?wiki=enwiki&window=1h";

  private static JsonObject settings(int lingerSeconds, long keepAliveMillis) {
    return new JsonObject().put(Config.WEB_REPLICA_LINGER_SECONDS, lingerSeconds).put(Config.VIEWS_KEEP_ALIVE_MILLIS, keepAliveMillis);
  }

  @Test
  void aFollowedInstanceIsKeptAliveThenLingersAndIsDropped(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    Wait.on(source.idleMillis(1000));
    WebNode web = Wait.on(WebNode.start(vertx, settings(1, 100)));
    Shaped shaped = new Shaped(21);
    Wait.on(source.edit(shaped.edits(80)));

    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), KEY);
    Wait.until("the snapshot", () -> stream.count() == 1);
    // Kept alive for many idle spans of the source: named in keep-alives, never dropped, opened once.
    Wait.until("keep-alives naming the instance", Wait.LONG, () -> Wait.on(source.wanted()).stream().filter(k -> k.contains(KEY)).count() >= 40);
    assertThat(Wait.on(source.live(KEY))).isTrue();
    assertThat(Wait.on(source.opens(KEY))).isEqualTo(1);
    // Named besides it: the original views, so the node can tell whether their batches still reach it.
    assertThat(Wait.on(source.wanted())).as("the instance and no other shaped one").allSatisfy(keys -> assertThat(keys)
      .contains(KEY).allMatch(k -> k.equals(KEY) || List.of("counter", "user_edits", "top10").contains(k)));
    Wait.on(source.edit(shaped.edits(20)));
    long last = Wait.on(source.lastTimestamp(KEY));
    Wait.until("the stream follows", () -> stream.timestamp() >= last);
    assertThat(stream.rows()).isEqualTo(Wait.on(source.expected(KEY)));
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas{view=\"top10\"}")).isEqualTo(2.0);

    stream.close();
    Shaped.awaitMetric(vertx, web.port(), "wikirecent_web_replicas_dropped_total", 1.0);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas{view=\"top10\"}")).as("the permanent one is left").isEqualTo(1.0);
    // No longer named, so the source lets its instance go.
    Wait.until("the source drops the instance", Wait.LONG, () -> !Wait.on(source.live(KEY)));
  }

  /**
   * Stopping the node while an instance is being opened, with no linger: failing the open releases the replica,
   * which drops it from the node's map at once. Stopped while iterating that map, the web part failed to stop.
   */
  @Test
  void aNodeStoppedWhileAnInstanceOpensStopsCleanly(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, settings(0, 100).put(Config.WEB_OPEN_TIMEOUT_MILLIS, 60_000)));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);
    source.answerSnapshots(false);
    Future<HttpResponse<Buffer>> pending =
      WebClient.create(vertx).get(web.port(), "127.0.0.1", "/api/views/" + KEY).send();
    Shaped.awaitMetric(vertx, web.port(), "wikirecent_web_replicas{view=\"top10\"}", 2.0); // the instance's, opening
    assertThat(pending.isComplete()).isFalse();
    Wait.on(web.stop());
    assertThat(vertx.deploymentIDs()).as("only the source is left").hasSize(1);
  }

  @Test
  void aLingeringReplicaServesTheNextClientWithoutAskingTheSourceAgain(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, settings(30, 10_000)));
    Wait.on(source.edit(new Shaped(4).edits(50)));

    for (int i = 0; i < 5; i++) {
      HttpResponse<Buffer> r = Http.get(vertx, web.port(), "/api/views/" + KEY);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject().getJsonArray("inserted")).isEqualTo(Wait.on(source.expected(KEY)));
    }
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), KEY);
    Wait.until("the snapshot", () -> stream.count() == 1);
    stream.close();
    assertThat(Http.get(vertx, web.port(), "/api/views/" + KEY).statusCode()).isEqualTo(200);
    assertThat(Wait.on(source.requests(KEY))).isEqualTo(1);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_opened_total")).isEqualTo(1.0);
  }

  @Test
  void anInstanceTheSourceNoLongerHasIsReopenedAndItsClientsRestartFromItsSnapshot(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, settings(30, 100)));
    Shaped shaped = new Shaped(33);
    Wait.on(source.edit(shaped.edits(80)));
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), KEY);
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.follow(KEY);
    Wait.until("both have the snapshot", () -> stream.count() == 1 && bridge.snapshotsApplied() == 1);

    // The source forgets the instance (as after an idle spell); what changes meanwhile is published to nobody.
    assertThat(Wait.on(source.dropInstance(KEY))).isTrue();
    Wait.on(source.edit(shaped.edits(30)));
    Wait.until("reopened after a keep-alive said unknown", Wait.LONG, () -> Wait.on(source.opens(KEY)) == 2);
    Wait.on(source.edit(shaped.edits(30)));
    long last = Wait.on(source.lastTimestamp(KEY));
    JsonArray expected = Wait.on(source.expected(KEY));
    Wait.until("both caught up", Wait.LONG, () -> stream.timestamp() >= last && bridge.timestamp() >= last && stream.rows().equals(expected));
    assertThat(stream.snapshots()).as("a fresh snapshot after the reopen").isEqualTo(2);
    assertThat(stream.diverged()).isFalse();
    assertThat(bridge.rows()).isEqualTo(expected);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_reopened_total{reason=\"unknown\"}")).isEqualTo(1.0);
    stream.close();
    bridge.close();
  }

  @Test
  void aSourceThatStartsAgainIsAskedForEveryInstanceAgain(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    // Keep-alives rarely: here only views.started can tell the node.
    WebNode web = Wait.on(WebNode.start(vertx, settings(30, 600_000)));
    Shaped shaped = new Shaped(44);
    Wait.on(source.edit(shaped.edits(80)));
    List<String> keys = List.of(KEY, "counter?bot=true", "edits_per_minute?wiki=dewiki");
    List<StreamWatcher> streams = keys.stream().map(k -> StreamWatcher.connect(vertx, web.port(), k)).toList();
    StreamWatcher plain = StreamWatcher.connect(vertx, web.port(), "top10");
    Wait.until("every snapshot", () -> streams.stream().allMatch(s -> s.count() == 1) && plain.count() == 1);

    Wait.on(source.restart());
    for (String k : keys) {
      Wait.until(k + " reopened", Wait.LONG, () -> Wait.on(source.opens(k)) == 2);
    }
    Wait.on(source.edit(shaped.edits(40)));
    for (StreamWatcher s : streams) {
      long last = Wait.on(source.lastTimestamp(s.view()));
      JsonArray expected = Wait.on(source.expected(s.view()));
      Wait.until(s.view() + " caught up", Wait.LONG, () -> s.timestamp() >= last && s.rows().equals(expected), s::toString);
      assertThat(s.snapshots()).as(s.view()).isEqualTo(2);
    }
    long last = Wait.on(source.lastTimestamp("top10"));
    Wait.until("the default view caught up", () -> plain.timestamp() >= last);
    assertThat(plain.snapshots()).as("the published reset snapshot, as always").isEqualTo(2);
    assertThat(plain.rows()).isEqualTo(Wait.on(source.expected("top10")));
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_reopened_total{reason=\"started\"}")).isEqualTo(3.0);
  }

  @Test
  void anInstanceRefusedLaterEndsAndItsClientsAreTold(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, settings(30, 600_000)));
    Wait.on(source.edit(new Shaped(55).edits(40)));
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), KEY);
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.follow(KEY);
    Wait.until("both have the snapshot", () -> stream.count() == 1 && bridge.snapshotsApplied() == 1);

    // The source comes back with room for no instance at all.
    Wait.on(source.maxInstances(0));
    Wait.on(source.restart());
    Wait.until("the stream is closed", Wait.LONG, stream::closed);
    assertThat(stream.closeStatus()).isEqualTo((short) 4429);
    assertThat(stream.closeReason()).isEqualTo("too many live instances (views.maxInstances = 0)");
    Wait.until("the bridge is told", () -> bridge.frame(f -> "err".equals(f.getString("type"))) != null);
    JsonObject err = bridge.frame(f -> "err".equals(f.getString("type")));
    assertThat(err.getString("address")).isEqualTo("views." + KEY);
    assertThat(err.getInteger("failureCode")).isEqualTo(429);
    assertThat(err.getString("message")).isEqualTo("too many live instances (views.maxInstances = 0)");
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas{view=\"top10\"}")).isEqualTo(1.0);
    // The bridge client follows it no more: a later instance of the key does not reach it unasked.
    Wait.on(source.maxInstances(10));
    int frames = bridge.frames().size();
    Wait.until("open again", Wait.LONG, () -> Http.get(vertx, web.port(), "/api/views/" + KEY).statusCode() == 200);
    Wait.on(source.edit(new Shaped(56).edits(40)));
    Wait.on(source.edit(new Shaped(57).edits(40)));
    // The node's replica holds the last edits: whatever it sent any follower of them is written by now.
    long last = Wait.on(source.lastTimestamp(KEY));
    JsonArray expected = Wait.on(source.expected(KEY));
    Wait.until("the replica took the edits", Wait.LONG, () -> {
      HttpResponse<Buffer> r = Http.get(vertx, web.port(), "/api/views/" + KEY);
      return r.statusCode() == 200 && r.bodyAsJsonObject().getLong("timestamp") >= last;
    });
    assertThat(Http.get(vertx, web.port(), "/api/views/" + KEY).bodyAsJsonObject().getJsonArray("inserted")).isEqualTo(expected);
    // A barrier on the same socket: the answer to a request made now is written after anything already written to
    // it, so once it is here, so is any frame of the instance. Asked of a view the socket does not follow (asking for
    // one it follows would hold that view's batches back until the answer).
    String barrier = UUID.randomUUID().toString();
    bridge.send(new JsonObject().put("type", "send").put("address", BridgeWatcher.snapshotAddress("top10")).put("replyAddress", barrier));
    Wait.until("the barrier's answer", () -> bridge.frame(f -> barrier.equals(f.getString("address"))) != null);
    List<JsonObject> all = bridge.frames();
    List<JsonObject> since = all.subList(frames, all.size());
    assertThat(since).as("after the refusal: the barrier's answer and nothing else")
      .extracting(f -> f.getString("type") + " " + f.getString("address")).containsExactly("rec " + barrier);
    bridge.close();
  }

  @Test
  void aNodeHoldsAtMostMaxReplicasAndMakesRoomFromLingeringOnes(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, settings(60, 10_000).put(Config.WEB_MAX_REPLICAS, 2)));
    Wait.on(source.edit(new Shaped(66).edits(40)));
    StreamWatcher a = StreamWatcher.connect(vertx, web.port(), "top10?window=1h");
    StreamWatcher b = StreamWatcher.connect(vertx, web.port(), "top10?window=5m");
    Wait.until("both snapshots", () -> a.count() == 1 && b.count() == 1);

    HttpResponse<Buffer> third = Http.get(vertx, web.port(), "/api/views/top10?window=24h");
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.bodyAsJsonObject().getString("error")).contains("web.maxReplicas = 2");
    assertThat(Wait.on(source.requests("top10?window=24h"))).as("the source is not asked").isZero();
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_refused_total{code=\"429\"}")).isEqualTo(1.0);

    // Once one only lingers, it makes room.
    a.close();
    Wait.until("top10?window=24h opens", Wait.LONG, () -> Http.get(vertx, web.port(), "/api/views/top10?window=24h").statusCode() == 200);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_dropped_total")).isEqualTo(1.0);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas{view=\"top10\"}")).isEqualTo(3.0);
    Wait.on(source.edit(new Shaped(67).edits(20)));
    long last = Wait.on(source.lastTimestamp("top10?window=5m"));
    Wait.until("the followed one still follows", () -> b.timestamp() >= last);
    assertThat(b.rows()).isEqualTo(Wait.on(source.expected("top10?window=5m")));
    b.close();
  }
}
