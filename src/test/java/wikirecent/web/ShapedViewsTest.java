package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.ViewMessage;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every web surface with parameters, against the scripted source speaking the shaped-views protocol:
 * REST, the raw WebSocket and the bridge serve an instance and its batches; bad parameters are 400 before
 * anything is opened; the source's 429, 501 and 503 reach the client as they are, before any upgrade.
 */
@ExtendWith(VertxExtension.class)
class ShapedViewsTest {

  private static final String KEY = "top10?wiki=enwiki&bot=false&window=1h";
  private static final JsonObject PARAMS = new JsonObject().put("wiki", "enwiki").put("bot", false).put("window", "1h");

  @Test
  void restStreamAndBridgeServeAnInstanceWithItsParameters(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Shaped shaped = new Shaped(11);
    Wait.on(source.edit(shaped.edits(300)));
    JsonArray expectedAtFirst = Wait.on(source.expected(KEY));
    assertThat(expectedAtFirst).as("the instance has rows, and not those of the default set")
      .isNotEmpty().isNotEqualTo(Wait.on(source.expected("top10")));

    // Any order of the query names the same instance.
    HttpResponse<Buffer> rest = Http.get(vertx, web.port(), "/api/views/top10?window=1h&bot=false&wiki=enwiki");
    assertThat(rest.statusCode()).isEqualTo(200);
    assertThat(rest.getHeader("content-type")).startsWith("application/json");
    JsonObject snapshot = rest.bodyAsJsonObject();
    assertThat(snapshot.getString("view")).isEqualTo("top10");
    assertThat(snapshot.getJsonObject("params")).isEqualTo(PARAMS);
    assertThat(snapshot.getBoolean("snapshot")).isTrue();
    assertThat(snapshot.getJsonArray("inserted")).isEqualTo(expectedAtFirst);

    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), KEY);
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.follow(KEY);
    Wait.until("both have the snapshot", () -> stream.count() >= 1 && bridge.snapshotsApplied() >= 1);
    for (int i = 0; i < 60; i++) {
      Wait.on(source.edit(shaped.edits(1 + shaped.random().nextInt(4))));
    }
    long last = Wait.on(source.lastTimestamp(KEY));
    Wait.until("both caught up", Wait.LONG, () -> stream.timestamp() >= last && bridge.timestamp() >= last,
      () -> stream + " / bridge at " + bridge.timestamp() + ", last " + last);
    JsonArray expected = Wait.on(source.expected(KEY));
    assertThat(stream.diverged()).isFalse();
    assertThat(bridge.diverged()).isFalse();
    assertThat(stream.rows()).isEqualTo(expected);
    assertThat(bridge.rows()).isEqualTo(expected);
    assertThat(stream.batches()).as("batches of the instance arrived").isPositive();

    List<JsonObject> messages = stream.messages();
    assertThat(ViewMessage.isSnapshot(messages.get(0))).isTrue();
    assertThat(messages).allSatisfy(m -> {
      assertThat(m.getString("view")).isEqualTo("top10");
      assertThat(m.getJsonObject("params")).isEqualTo(PARAMS);
      assertThat(m.containsKey("previous")).isFalse();
    });
    assertThat(bridge.frames()).filteredOn(f -> "rec".equals(f.getString("type")))
      .allSatisfy(f -> assertThat(f.getJsonObject("body").getJsonObject("params")).isEqualTo(PARAMS))
      .anySatisfy(f -> assertThat(f.getString("address")).isEqualTo("views." + KEY));

    JsonObject restAfter = Http.get(vertx, web.port(), "/api/views/" + KEY).bodyAsJsonObject();
    assertThat(restAfter.getJsonArray("inserted")).isEqualTo(expected);
    assertThat(restAfter.getLong("timestamp")).isEqualTo(stream.timestamp());
    assertThat(Wait.on(source.opens(KEY))).as("one instance at the source for every client of the node").isEqualTo(1);
    stream.close();
    bridge.close();
  }

  @Test
  void theDefaultsWrittenOutAreTheViewItself(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit(new Shaped(3).edits(50)));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);

    String plain = Http.get(vertx, web.port(), "/api/views/top10").bodyAsString();
    assertThat(new JsonObject(plain).containsKey("params")).isFalse();
    assertThat(Http.get(vertx, web.port(), "/api/views/top10?wiki=any&bot=any&window=all").bodyAsString()).isEqualTo(plain);
    // The default sets of the newer views are served on demand, without params either.
    HttpResponse<Buffer> wikis = Http.get(vertx, web.port(), "/api/views/top_wikis");
    assertThat(wikis.statusCode()).isEqualTo(200);
    assertThat(wikis.bodyAsJsonObject().containsKey("params")).isFalse();
    assertThat(wikis.bodyAsJsonObject().getJsonArray("inserted")).isEqualTo(Wait.on(source.expected("top_wikis")));
    JsonObject perMinute = Http.get(vertx, web.port(), "/api/views/edits_per_minute?wiki=enwiki").bodyAsJsonObject();
    assertThat(perMinute.getJsonObject("params")).isEqualTo(new JsonObject().put("wiki", "enwiki"));
    assertThat(perMinute.getJsonArray("inserted")).isEqualTo(Wait.on(source.expected("edits_per_minute?wiki=enwiki")));
  }

  @Test
  void badParametersAre400OnRestAndStreamAndAskNothingOfTheSource(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("top10?window=2h", "window must be 5m, 1h, 24h or all, not '2h'");
    bad.put("top10?color=red", "top10 takes wiki, bot and window, not 'color'");
    bad.put("user_edits?wiki=enwiki", "user_edits takes no parameters, not 'wiki'");
    bad.put("edits_per_minute?bot=true", "edits_per_minute takes only wiki, not 'bot'");
    bad.put("top10?wiki=En%20Wiki", "wiki must match [a-z0-9_]{1,64}, not 'En Wiki'");
    bad.put("counter?wiki=enwiki&wiki=dewiki", "wiki given twice");
    bad.put("counter?bot=maybe", "bot must be true, false or any, not 'maybe'");
    bad.forEach((query, error) -> {
      String view = query.substring(0, query.indexOf('?'));
      HttpResponse<Buffer> r = Http.get(vertx, web.port(), "/api/views/" + query);
      assertThat(r.statusCode()).as(query).isEqualTo(400);
      assertThat(r.getHeader("content-type")).startsWith("application/json");
      assertThat(r.bodyAsJsonObject()).as(query).isEqualTo(new JsonObject().put("error", error).put("view", view));

      UpgradeRejectedException ws = Shaped.refusedStream(vertx, web.port(), query);
      assertThat(ws.getStatus()).as(query).isEqualTo(400);
      assertThat(Shaped.body(ws)).as(query).isEqualTo(new JsonObject().put("error", error).put("view", view));
    });
    HttpResponse<Buffer> unknown = Http.get(vertx, web.port(), "/api/views/nope?window=1h");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "unknown view").put("view", "nope"));
    assertThat(Shaped.refusedStream(vertx, web.port(), "nope?window=1h").getStatus()).isEqualTo(404);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_opened_total")).isEqualTo(0.0);
  }

  @Test
  void tooManyInstancesIs429PassedThroughAndRememberedBriefly(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    Wait.on(source.maxInstances(1));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit(new Shaped(5).edits(40)));
    assertThat(Http.get(vertx, web.port(), "/api/views/top10?window=1h").statusCode()).isEqualTo(200);

    String key = "counter?bot=true";
    long started = System.nanoTime();
    HttpResponse<Buffer> first = Http.get(vertx, web.port(), "/api/views/" + key);
    assertThat(first.statusCode()).isEqualTo(429);
    assertThat(first.getHeader("retry-after")).isNotNull();
    assertThat(first.bodyAsJsonObject()).isEqualTo(new JsonObject()
      .put("error", "too many live instances (views.maxInstances = 1)").put("view", "counter").put("key", key));
    UpgradeRejectedException ws = Shaped.refusedStream(vertx, web.port(), key);
    assertThat(ws.getStatus()).isEqualTo(429);
    assertThat(Shaped.body(ws).getString("error")).isEqualTo("too many live instances (views.maxInstances = 1)");
    int tries = 20;
    for (int i = 0; i < tries; i++) {
      assertThat(Http.get(vertx, web.port(), "/api/views/" + key).statusCode()).isEqualTo(429);
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000;
    // Asked again at most once per memory span, however often clients ask.
    int asked = Wait.on(source.requests(key));
    assertThat(asked).isBetween(1, (int) (1 + seconds / (Replicas.REFUSAL_MEMORY_MILLIS / 1000)));
    assertThat(asked).isLessThan(tries);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_refused_total{code=\"429\"}")).isEqualTo(asked);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas{view=\"counter\"}")).as("only the permanent one").isEqualTo(1.0);

    // Briefly: once the source has room, the key is asked for again after the memory span, and served.
    Wait.on(source.maxInstances(5));
    Wait.until("served once the refusal is forgotten", () -> Http.get(vertx, web.port(), "/api/views/" + key).statusCode() == 200);
    assertThat(Wait.on(source.requests(key))).isGreaterThan(asked);
  }

  @Test
  void notAvailableWithThisSourceIs501OnEverySurface(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    Wait.on(source.unavailable(p -> !p.isDefault()));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Bob"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);

    HttpResponse<Buffer> rest = Http.get(vertx, web.port(), "/api/views/top_wikis?window=24h");
    assertThat(rest.statusCode()).isEqualTo(501);
    assertThat(rest.bodyAsJsonObject()).isEqualTo(new JsonObject()
      .put("error", "top_wikis?window=24h is not available with this view source").put("view", "top_wikis").put("key", "top_wikis?window=24h"));
    UpgradeRejectedException ws = Shaped.refusedStream(vertx, web.port(), "top10?bot=true");
    assertThat(ws.getStatus()).isEqualTo(501);
    assertThat(Shaped.body(ws).getString("error")).isEqualTo("top10?bot=true is not available with this view source");

    // On the bridge: a registration the source refuses after the fact, and a snapshot request.
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.send(new JsonObject().put("type", "register").put("address", "views.counter?window=5m"));
    bridge.send(new JsonObject().put("type", "send").put("address", "views.top10.snapshot?wiki=dewiki").put("replyAddress", "r1"));
    Wait.until("two failures", Wait.LONG, () -> bridge.frames().size() == 2, () -> bridge.frames().toString());
    JsonObject onAddress = bridge.frame(f -> "views.counter?window=5m".equals(f.getString("address")));
    assertThat(onAddress.getString("type")).isEqualTo("err");
    assertThat(onAddress.getInteger("failureCode")).isEqualTo(501);
    assertThat(onAddress.getString("failureType")).isEqualTo("RECIPIENT_FAILURE");
    assertThat(onAddress.getString("message")).isEqualTo("counter?window=5m is not available with this view source");
    JsonObject reply = bridge.frame(f -> "r1".equals(f.getString("address")));
    assertThat(reply.getString("type")).isEqualTo("err");
    assertThat(reply.getInteger("failureCode")).isEqualTo(501);
    bridge.close();
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_refused_total{code=\"501\"}")).isEqualTo(4.0);
  }

  @Test
  void aSourceCatchingUpIs503UntilItServesTheInstance(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit(new Shaped(8).edits(60)));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);
    Wait.on(source.catchingUp(true));

    String key = "top10?window=24h";
    HttpResponse<Buffer> rest = Http.get(vertx, web.port(), "/api/views/" + key);
    assertThat(rest.statusCode()).isEqualTo(503);
    assertThat(rest.getHeader("retry-after")).isEqualTo("1");
    assertThat(rest.bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "catching up on the file").put("view", "top10").put("key", key));
    UpgradeRejectedException ws = Shaped.refusedStream(vertx, web.port(), key);
    assertThat(ws.getStatus()).isEqualTo(503);
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.send(new JsonObject().put("type", "send").put("address", "views.top10.snapshot?window=24h").put("replyAddress", "r1"));
    Wait.until("the reply", () -> bridge.frame(f -> "r1".equals(f.getString("address"))) != null);
    assertThat(bridge.frame(f -> "r1".equals(f.getString("address"))).getInteger("failureCode")).isEqualTo(503);

    Wait.on(source.catchingUp(false));
    Wait.until("served once the source is live", Wait.LONG, () -> Http.get(vertx, web.port(), "/api/views/" + key).statusCode() == 200);
    assertThat(Http.get(vertx, web.port(), "/api/views/" + key).bodyAsJsonObject().getJsonArray("inserted"))
      .isEqualTo(Wait.on(source.expected(key)));
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), key);
    Wait.until("the snapshot", () -> stream.count() == 1);
    assertThat(stream.rows()).isEqualTo(Wait.on(source.expected(key)));
    bridge.close();
    stream.close();
  }

  /**
   * A socket asks for an instance's snapshot once at a time (repeats while the answer is on its way are refused: each
   * would cost the node the answer's bytes again), and follows at most {@link BridgeClient#MAX_FOLLOWED} instances.
   */
  @Test
  void aSocketAsksOnceAtATimeAndFollowsBoundedlyMany(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    Wait.on(source.edit(new Shaped(8).edits(60)));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    BridgeWatcher bridge = BridgeWatcher.connectSockJs(vertx, web.port());
    String key = "top10?window=24h";
    // Three requests in one SockJS frame, so all come before the new instance can be open: one is answered.
    JsonArray three = new JsonArray();
    for (String reply : List.of("a1", "a2", "a3")) {
      three.add(new JsonObject().put("type", "send").put("address", BridgeWatcher.snapshotAddress(key)).put("replyAddress", reply).encode());
    }
    bridge.sendText(three.encode());
    Wait.until("three replies", () -> List.of("a1", "a2", "a3").stream().allMatch(r -> bridge.frame(f -> r.equals(f.getString("address"))) != null));
    JsonObject answer = bridge.frame(f -> "a1".equals(f.getString("address")));
    assertThat(answer.getString("type")).isEqualTo("rec");
    assertThat(answer.getJsonObject("body").getJsonArray("inserted")).isEqualTo(Wait.on(source.expected(key)));
    for (String repeat : List.of("a2", "a3")) {
      JsonObject err = bridge.frame(f -> repeat.equals(f.getString("address")));
      assertThat(err.getString("type")).isEqualTo("err");
      assertThat(err.getInteger("failureCode")).isEqualTo(503);
      assertThat(err.getString("failureType")).isEqualTo("already_asked");
    }
    bridge.send(new JsonObject().put("type", "send").put("address", BridgeWatcher.snapshotAddress(key)).put("replyAddress", "a4"));
    Wait.until("answered, it may be asked again", () -> bridge.frame(f -> "a4".equals(f.getString("address"))) != null);
    assertThat(bridge.frame(f -> "a4".equals(f.getString("address"))).getString("type")).isEqualTo("rec");

    for (int i = 0; i < BridgeClient.MAX_FOLLOWED; i++) {
      bridge.send(new JsonObject().put("type", "register").put("address", "views.counter?wiki=w" + i));
    }
    bridge.send(new JsonObject().put("type", "register").put("address", "views.counter?wiki=w0")); // already followed
    bridge.send(new JsonObject().put("type", "register").put("address", "views.counter?wiki=one_too_many"));
    Wait.until("the refusal", () -> bridge.frame(f -> "views.counter?wiki=one_too_many".equals(f.getString("address"))) != null);
    JsonObject err = bridge.frame(f -> "views.counter?wiki=one_too_many".equals(f.getString("address")));
    assertThat(err.getInteger("failureCode")).isEqualTo(429);
    assertThat(err.getString("failureType")).isEqualTo("too_many_views");
    assertThat(bridge.frame(f -> "err".equals(f.getString("type")) && f.getString("address", "").startsWith("views.counter?wiki=w")))
      .as("no refusal of the first " + BridgeClient.MAX_FOLLOWED).isNull();
    assertThat(Wait.on(source.opens("counter?wiki=one_too_many"))).isZero();
    bridge.close();
  }

  @Test
  void theBridgeTakesOnlyCanonicalAddressesAndNamesThem(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());

    record Case(String type, String address, int code, String failureType, String message) {
    }
    List<Case> cases = List.of(
      new Case("register", "views.top10?window=1h&bot=false", 400, "not_canonical",
        "not the canonical address of this instance: use views.top10?bot=false&window=1h"),
      new Case("register", "views.top10?window=all", 400, "not_canonical", "not the canonical address of this instance: use views.top10"),
      new Case("register", "views.top10?wiki=any&bot=true", 400, "not_canonical",
        "not the canonical address of this instance: use views.top10?bot=true"),
      new Case("register", "views.top10?window=2h", 400, "bad_params", "window must be 5m, 1h, 24h or all, not '2h'"),
      new Case("register", "views.user_edits?wiki=enwiki", 400, "bad_params", "user_edits takes no parameters, not 'wiki'"),
      new Case("register", "views.top10?", 400, "bad_params", "'' is not key=value"),
      new Case("register", "views.nope?window=1h", 403, "access_denied", "access_denied"),
      new Case("unregister", "views.top10?bot=false&wiki=enwiki", 400, "not_canonical",
        "not the canonical address of this instance: use views.top10?wiki=enwiki&bot=false"),
      new Case("send", "views.top10.snapshot?window=1h&bot=false", 400, "not_canonical",
        "not the canonical address of this instance's snapshot: use views.top10.snapshot?bot=false&window=1h"),
      new Case("send", "views.top10?window=1h.snapshot", 403, "access_denied", "access_denied"),
      new Case("send", "views.counter.snapshot?window=1d", 400, "bad_params", "window must be 5m, 1h, 24h or all, not '1d'"));
    for (Case c : cases) {
      String reply = UUID.randomUUID().toString();
      JsonObject frame = new JsonObject().put("type", c.type()).put("address", c.address());
      if (c.type().equals("send")) {
        frame.put("replyAddress", reply);
      }
      String routedTo = c.type().equals("send") ? reply : c.address();
      bridge.send(frame);
      Wait.until("the refusal of " + c, () -> bridge.frame(f -> routedTo.equals(f.getString("address"))) != null);
      JsonObject err = bridge.frame(f -> routedTo.equals(f.getString("address")));
      assertThat(err.getString("type")).as(c.toString()).isEqualTo("err");
      assertThat(err.getInteger("failureCode")).as(c.toString()).isEqualTo(c.code());
      assertThat(err.getString("failureType")).as(c.toString()).isEqualTo(c.failureType());
      assertThat(err.getString("message")).as(c.toString()).isEqualTo(c.message());
    }
    // None of them opened anything, on this node or at the source.
    for (String key : List.of("top10?bot=false&window=1h", "top10?bot=true", "top10?wiki=enwiki&bot=false")) {
      assertThat(Wait.on(source.requests(key))).as(key).isZero();
    }
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_replicas_opened_total")).isEqualTo(0.0);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_bridge_refused_total{type=\"register\"}")).isEqualTo(7.0);

    // The canonical forms work.
    Wait.on(source.edit(new Shaped(2).edits(30)));
    bridge.follow("top10?bot=false&window=1h");
    Wait.until("the snapshot", () -> bridge.snapshotsApplied() >= 1);
    assertThat(bridge.rows()).isEqualTo(Wait.on(source.expected("top10?bot=false&window=1h")));
    bridge.close();
  }
}
