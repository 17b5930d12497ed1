package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.testsupport.Wait;
import wikirecent.testsupport.WebSockets;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SockJS's WebSocket transport as the node frames it itself ({@link SockJsWebSocket}): a real WebSocket client
 * speaking the transport's framing, against the same bridge a raw-endpoint client uses.
 */
@ExtendWith(VertxExtension.class)
class SockJsWebSocketTest {

  @Test
  void aBrowserOnTheWebSocketTransportFollowsAViewAsARawEndpointClientDoes(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Bob", "Bob"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);

    BridgeWatcher framed = BridgeWatcher.connectSockJs(vertx, web.port());
    BridgeWatcher raw = BridgeWatcher.connect(vertx, web.port());
    framed.follow("top10");
    raw.follow("top10");
    Wait.until("both have the snapshot", () -> framed.snapshotsApplied() == 1 && raw.snapshotsApplied() == 1);
    assertThat(framed.transportFrames().get(0)).isEqualTo("o");

    List<JsonObject> batches = Wait.on(source.edit("Carol", "Carol", "Carol", "Dave \"quoted\" \\ ☃ \u2028"));
    JsonObject top10 = batches.stream().filter(b -> b.getString("view").equals("top10")).findFirst().orElseThrow();
    Wait.until("the batch on both", () -> framed.frame(f -> top10.equals(f.getValue("body"))) != null
      && raw.frame(f -> top10.equals(f.getValue("body"))) != null);
    assertThat(framed.frame(f -> top10.equals(f.getValue("body"))))
      .isEqualTo(raw.frame(f -> top10.equals(f.getValue("body"))));
    JsonArray expected = Wait.on(source.expected("top10"));
    Wait.until("both states are the view", () -> framed.rows().equals(expected) && raw.rows().equals(expected));
    assertThat(framed.diverged()).isFalse();
    framed.close();
    raw.close();
  }

  @Test
  void everyMessageOfAFrameIsHandledAndAnEmptyFrameIsNothing(Vertx vertx) {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource()));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/counter").statusCode() == 200);
    BridgeWatcher c = BridgeWatcher.connectSockJs(vertx, web.port());

    JsonObject ask1 = new JsonObject().put("type", "send").put("address", "views.counter.snapshot").put("replyAddress", "r1");
    JsonObject ask2 = ask1.copy().put("replyAddress", "r2");
    JsonObject ask3 = ask1.copy().put("replyAddress", "r3");
    c.sendText("");
    c.sendText(new JsonArray().add(ask1.encode()).add(ask2.encode()).encode());
    c.sendText(new JsonArray().add(ask3.encode()).encode().replaceFirst("^\\[", "").replaceFirst("]$", "")); // one string
    for (String r : List.of("r1", "r2", "r3")) {
      Wait.until("the reply to " + r, () -> c.frame(f -> r.equals(f.getString("address"))) != null);
      assertThat(c.frame(f -> r.equals(f.getString("address"))).getJsonObject("body"))
        .isEqualTo(Http.get(vertx, web.port(), "/api/views/counter").bodyAsJsonObject());
    }
    assertThat(c.isClosed()).isFalse();
    c.close();
  }

  @Test
  void brokenFramingEndsThatSessionOnly(Vertx vertx) {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource()));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    for (String bad : List.of("this is not json", "{\"type\":\"register\",\"address\":\"views.top10\"}", "[1,2]", "[\"ok\",{}]", "42")) {
      BridgeWatcher c = BridgeWatcher.connectSockJs(vertx, web.port());
      c.sendText(bad);
      Wait.until("closed after " + bad, () -> c.closeStatus() != null);
      assertThat(c.closeStatus()).as(bad).isEqualTo((short) 1002);
    }
    BridgeWatcher good = BridgeWatcher.connectSockJs(vertx, web.port());
    good.follow("counter");
    Wait.until("a fresh session still works", () -> good.snapshotsApplied() == 1);
    good.close();
  }

  @Test
  void notAnUpgradeGoesOnToTheStockHandlerAndItsOtherEndpointsStillAnswer(Vertx vertx) {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource()));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    var plain = Http.get(vertx, web.port(), "/eventbus/000/abcdef/websocket");
    assertThat(plain.statusCode()).isEqualTo(400);
    assertThat(plain.bodyAsString()).contains("Upgrade");
    var info = Http.get(vertx, web.port(), "/eventbus/info");
    assertThat(info.statusCode()).isEqualTo(200);
    assertThat(info.bodyAsJsonObject().getBoolean("websocket")).isTrue();
  }

  @Test
  void heartbeatsComeOnTheEndpointsTimerAndStopWithItAndAClosingServerSaysGoAway(Vertx vertx) throws InterruptedException {
    List<SockJsWebSocket> sockets = new CopyOnWriteArrayList<>();
    // The endpoint alone, echoing what it gets: heartbeats at 100 ms instead of 25 s.
    Router router = Router.router(vertx);
    SockJsEndpoint endpoint = new SockJsEndpoint(vertx, 65536, 100, (s, connection) -> {
      sockets.add((SockJsWebSocket) s);
      s.start(m -> s.write(m), v -> { });
    });
    router.get("/eventbus/:server/:session/websocket").handler(endpoint::handle);
    HttpServer server = Wait.on(vertx.createHttpServer().requestHandler(router).listen(0));
    List<String> got = new CopyOnWriteArrayList<>();
    WebSocket ws = WebSockets.open(vertx, vertx.createWebSocketClient(), server.actualPort(), "/eventbus/1/a/websocket",
      w -> w.textMessageHandler(got::add));
    List<String> other = new CopyOnWriteArrayList<>();
    WebSockets.open(vertx, vertx.createWebSocketClient(), server.actualPort(), "/eventbus/1/b/websocket",
      w -> w.textMessageHandler(other::add));
    Wait.until("three heartbeats", () -> got.stream().filter("h"::equals).count() >= 3);
    Wait.on(ws.writeTextMessage("[\"hello \\\"you\\\"\"]"));
    Wait.until("the echo", () -> got.contains("a[\"hello \\\"you\\\"\"]"));
    assertThat(got.get(0)).isEqualTo("o");

    vertx.runOnContext(v -> sockets.get(0).close());
    Wait.until("closed", ws::isClosed);
    assertThat(got.get(got.size() - 1)).isEqualTo("c[3000,\"Go away!\"]");

    // A closed endpoint sends its open sockets no more heartbeats.
    Wait.until("the other socket's heartbeats", () -> other.stream().filter("h"::equals).count() >= 1);
    vertx.runOnContext(v -> endpoint.close());
    Thread.sleep(150); // a heartbeat already on its way when the timer went
    long heartbeats = other.stream().filter("h"::equals).count();
    Thread.sleep(500); // five intervals
    assertThat(other.stream().filter("h"::equals).count()).isEqualTo(heartbeats);
  }

  /** What a frame's bytes are: one JSON string in an array, so quotes, backslashes and U+2028 survive. */
  @Test
  void aMessageFrameIsTheMessageAsTheOneStringOfAnArray() {
    String m = "{\"a\":\"\\\"☃\u2028\"}";
    String frame = SockJsWebSocket.messageFrame(m);
    assertThat(frame).startsWith("a[");
    assertThat(new JsonArray(frame.substring(1)).getString(0)).isEqualTo(m);
    assertThat(new JsonArray(frame.substring(1)).size()).isEqualTo(1);
    assertThat(Buffer.buffer(frame).length()).isGreaterThan(m.length());
  }
}
