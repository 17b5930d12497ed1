package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.Addresses;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event-bus bridge with a real client on SockJS's raw WebSocket endpoint: what it lets a
 * browser do (follow a view, ask its snapshot) and everything it refuses. Snapshots are held to the rows the test's
 * source was given (its own model), not to the node's REST answer, which is built from the same encoded snapshot; names
 * with characters of 2, 3 and 4 bytes in UTF-8 are among them.
 */
@ExtendWith(VertxExtension.class)
class BridgeTest {

  @Test
  void aClientFollowsAViewAndGetsItsSnapshotOnRequest(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "B\u00f6\u2603\ud83d\ude00b", "B\u00f6\u2603\ud83d\ude00b"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);
    JsonArray expected = new JsonArray().add(new JsonArray().add("B\u00f6\u2603\ud83d\ude00b").add(2L))
      .add(new JsonArray().add("Alice").add(1L));
    assertThat(Wait.on(source.expected("top10"))).as("the source's model").isEqualTo(expected);

    BridgeWatcher client = BridgeWatcher.connect(vertx, web.port());
    client.follow("top10");
    Wait.until("the snapshot reply", () -> client.snapshotsApplied() == 1);
    JsonObject reply = client.frame(f -> "rec".equals(f.getString("type")) && f.getJsonObject("body").getBoolean("snapshot", false));
    assertSnapshot(reply.getJsonObject("body"), "top10", expected);

    List<JsonObject> batches = Wait.on(source.edit("Carol", "Carol", "Carol"));
    JsonObject top10 = batches.stream().filter(b -> b.getString("view").equals("top10")).findFirst().orElseThrow();
    Wait.until("the batch on views.top10", () -> client.frame(f -> top10.equals(f.getValue("body"))) != null);
    JsonObject delivered = client.frame(f -> top10.equals(f.getValue("body")));
    assertThat(delivered.getString("type")).isEqualTo("rec");
    assertThat(delivered.getString("address")).isEqualTo("views.top10");
    Wait.until("the client's state is the view", () -> client.rows().equals(Wait.on(source.expected("top10"))));
    client.close();
  }

  @Test
  void registeringAnywhereButAViewIsRefused(Vertx vertx) {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource()));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    BridgeWatcher client = BridgeWatcher.connect(vertx, web.port());

    for (String address : List.of(Addresses.STATUS_INGEST, "views.nope", "views.top10.snapshot", "views.*", "views.", "recentchanges.appended")) {
      client.send(new JsonObject().put("type", "register").put("address", address));
      Wait.until("refusal of " + address, () -> client.frame(f -> address.equals(f.getString("address"))) != null);
      JsonObject err = client.frame(f -> address.equals(f.getString("address")));
      assertThat(err.getString("type")).isEqualTo("err");
      assertThat(err.getString("failureType")).isEqualTo("access_denied");
      assertThat(err.getString("message")).isEqualTo("access_denied");
    }
    // And such a registration really gets nothing: a message there never reaches the client.
    vertx.eventBus().publish(Addresses.STATUS_INGEST, new JsonObject().put("secret", 1));
    client.follow("counter");
    Wait.until("the counter snapshot", () -> client.snapshotsApplied() == 1);
    assertThat(client.frames()).noneMatch(f -> f.encode().contains("secret"));
    client.close();
  }

  @Test
  void publishingAndSendingAreRefusedAndNeverReachTheBus(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    List<Object> seenOnTop10 = new CopyOnWriteArrayList<>();
    Wait.on(vertx.eventBus().consumer(Addresses.view("top10"), m -> seenOnTop10.add(m.body())).completion());
    AtomicInteger statusAsked = new AtomicInteger();
    Wait.on(vertx.eventBus().consumer(Addresses.STATUS_INGEST, m -> {
      statusAsked.incrementAndGet();
      m.reply(new JsonObject().put("live", true));
    }).completion());
    BridgeWatcher client = BridgeWatcher.connect(vertx, web.port());

    JsonObject evil = new JsonObject().put("view", "top10").put("timestamp", Long.MAX_VALUE)
      .put("inserted", List.of(List.of("evil", 1_000_000))).put("deleted", List.of());
    client.send(new JsonObject().put("type", "publish").put("address", "views.top10").put("body", evil));
    client.send(new JsonObject().put("type", "send").put("address", Addresses.STATUS_INGEST).put("replyAddress", "r-status"));
    client.send(new JsonObject().put("type", "send").put("address", "views.top10").put("replyAddress", "r-view").put("body", evil));
    client.send(new JsonObject().put("type", "send").put("address", "views.top10.snapshot")); // no reply address
    client.sendText("this is not json");
    client.send(new JsonObject().put("type", "dance").put("address", "views.top10"));
    Wait.until("six refusals", Wait.LONG, () -> client.frames().size() == 6, () -> client.frames().toString());

    List<JsonObject> frames = client.frames();
    assertThat(frames).allMatch(f -> f.getString("type").equals("err"));
    assertThat(frames.get(0).getString("failureType")).isEqualTo("access_denied");
    assertThat(frames.get(1).getString("address")).isEqualTo("r-status");
    assertThat(frames.get(1).getString("failureType")).isEqualTo("access_denied");
    assertThat(frames.get(2).getString("address")).isEqualTo("r-view");
    assertThat(frames.get(2).getString("failureType")).isEqualTo("access_denied");
    assertThat(frames.get(3).getString("failureType")).isEqualTo("invalid_reply_address");
    assertThat(frames.get(4).getString("failureType")).isEqualTo("invalid_json");
    assertThat(frames.get(5).getString("failureType")).isEqualTo("invalid_type");

    // Anything the client had put on the bus would be there before the next real batch.
    List<JsonObject> batches = Wait.on(source.edit("Dave"));
    Wait.until("the real batch reached the bus consumer", () -> seenOnTop10.contains(batches.get(batches.size() - 1)));
    assertThat(seenOnTop10).doesNotContain(evil).allMatch(b -> !b.toString().contains("evil"));
    assertThat(statusAsked).hasValue(0);
    assertThat(Http.get(vertx, web.port(), "/api/views/top10").bodyAsString()).doesNotContain("evil");
    client.close();
  }

  /** Browsers without WebSockets fall back to SockJS's XHR streaming: same bridge, same rules. */
  @Test
  void theBridgeWorksOverSockJsXhrStreamingToo(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource(true);
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "\ud83d\ude00", "\ud83d\ude00"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").statusCode() == 200);
    JsonArray expected = new JsonArray().add(new JsonArray().add("\ud83d\ude00").add(2L)).add(new JsonArray().add("Alice").add(1L));
    assertThat(Wait.on(source.expected("user_edits"))).as("the source's model").isEqualTo(expected);
    io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    // bytes, decoded whole: a 4-byte character may be split between two chunks
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Supplier<String> received = () -> bytes.toString(StandardCharsets.UTF_8);
    String session = "/eventbus/000/" + java.util.UUID.randomUUID().toString().substring(0, 8);
    Wait.on(http.request(io.vertx.core.http.HttpMethod.POST, web.port(), "localhost", session + "/xhr_streaming")
      .compose(req -> req.send().onSuccess(resp -> resp.handler(b -> bytes.write(b.getBytes(), 0, b.length())))));
    Wait.until("the session opens", () -> received.get().contains("\no\n"));

    java.util.function.Consumer<JsonObject> send = frame -> {
      io.vertx.core.http.HttpClientResponse r = Wait.on(http.request(io.vertx.core.http.HttpMethod.POST, web.port(), "localhost", session + "/xhr_send")
        .compose(req -> req.send(new io.vertx.core.json.JsonArray().add(frame.encode()).encode())));
      assertThat(r.statusCode()).isEqualTo(204);
    };
    send.accept(new JsonObject().put("type", "send").put("address", "views.user_edits.snapshot").put("replyAddress", "r1"));
    send.accept(new JsonObject().put("type", "publish").put("address", "views.counter").put("body", new JsonObject()));
    Wait.until("the snapshot and the refusal arrive", Wait.LONG,
      () -> received.get().contains("r1") && received.get().contains("access_denied"), received);
    // SockJS wraps each message as a JSON string in an "a[...]" frame: unwrap and compare.
    JsonObject reply = received.get().lines().filter(l -> l.startsWith("a[")).map(l -> new io.vertx.core.json.JsonArray(l.substring(1)))
      .flatMap(a -> a.stream().map(m -> new JsonObject((String) m)))
      .filter(m -> "r1".equals(m.getString("address"))).findFirst().orElseThrow();
    assertThat(reply.getString("type")).isEqualTo("rec");
    assertSnapshot(reply.getJsonObject("body"), "user_edits", expected);
    http.close();
  }

  private static void assertSnapshot(JsonObject message, String view, JsonArray rows) {
    assertThat(message.getString("view")).isEqualTo(view);
    assertThat(message.getBoolean("snapshot")).isTrue();
    assertThat(message.getJsonArray("deleted")).isEmpty();
    assertThat(message.getJsonArray("inserted")).isEqualTo(rows);
  }
}
