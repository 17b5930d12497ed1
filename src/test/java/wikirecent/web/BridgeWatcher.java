package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.testsupport.Wait;
import wikirecent.testsupport.WebSockets;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A real client of the event-bus bridge, on SockJS's raw WebSocket endpoint ({@code /eventbus/websocket}: one
 * bridge JSON frame per WebSocket message) or on SockJS's WebSocket transport as sockjs-client speaks it
 * ({@code /eventbus/<server>/<session>/websocket}: {@code o}, {@code a[...]}, {@code h}, {@code c[...]}; it sends
 * {@code ["..."]}), decoded here by the protocol's rules. It can follow a view the way a browser must: register,
 * request the snapshot, hold batches, apply the newer.
 */
final class BridgeWatcher {

  private final List<JsonObject> frames = new ArrayList<>();
  private final WebSocketClient client;
  private WebSocket ws;
  private String view;
  private ViewTable table;
  private String snapshotReply;
  private final List<JsonObject> held = new ArrayList<>();
  private boolean diverged;
  private int snapshotsApplied;
  private final boolean keepFrames;
  private boolean framed;
  /** SockJS's own frames on the framed transport, in order: {@code o}, {@code h}, {@code c[...]} ({@code a} counted). */
  private final List<String> transportFrames = new ArrayList<>();
  private volatile Short closeStatus;

  private BridgeWatcher(Vertx vertx, boolean keepFrames) {
    this.keepFrames = keepFrames;
    client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024));
  }

  static BridgeWatcher connect(Vertx vertx, int port) {
    return connect(vertx, port, true);
  }

  /** With {@code keepFrames} false only the followed view's state is kept (for long runs that watch the heap). */
  static BridgeWatcher connect(Vertx vertx, int port, boolean keepFrames) {
    BridgeWatcher w = new BridgeWatcher(vertx, keepFrames);
    // The raw endpoint sends a Buffer as a binary message, a String as text: take both.
    w.ws = WebSockets.open(vertx, w.client, port, "/eventbus/websocket", ws -> {
      ws.binaryMessageHandler(b -> w.receive(new JsonObject(b)));
      ws.textMessageHandler(t -> w.receive(new JsonObject(t)));
    });
    return w;
  }

  /** On SockJS's WebSocket transport, as a browser's sockjs-client connects (server and session made up). */
  static BridgeWatcher connectSockJs(Vertx vertx, int port) {
    BridgeWatcher w = new BridgeWatcher(vertx, true);
    w.framed = true;
    String path = "/eventbus/" + (int) (Math.random() * 1000) + "/" + UUID.randomUUID().toString().substring(0, 8) + "/websocket";
    w.ws = WebSockets.open(vertx, w.client, port, path, ws -> {
      ws.textMessageHandler(w::receiveSockJs);
      ws.binaryMessageHandler(b -> w.receiveSockJs("binary:" + b));
      ws.closeHandler(v -> w.closeStatus = ws.closeStatusCode());
    });
    return w;
  }

  private void receiveSockJs(String text) {
    if (text.startsWith("a[")) {
      synchronized (this) {
        transportFrames.add("a");
      }
      for (Object m : new JsonArray(text.substring(1))) {
        receive(new JsonObject((String) m));
      }
    } else {
      synchronized (this) {
        transportFrames.add(text);
      }
    }
  }

  void send(JsonObject frame) {
    Wait.on(ws.writeTextMessage(framed ? new JsonArray().add(frame.encode()).encode() : frame.encode()));
  }

  synchronized List<String> transportFrames() {
    return new ArrayList<>(transportFrames);
  }

  /** The WebSocket's close status once closed (null while open, or closed without one). */
  Short closeStatus() {
    return closeStatus;
  }

  boolean isClosed() {
    return ws.isClosed();
  }

  void sendText(String text) {
    Wait.on(ws.writeTextMessage(text));
  }

  /**
   * Follows a view instance (a view name, or a canonical key such as {@code top10?window=1h}) with the
   * late-joiner protocol; {@link #rows()} is then its state.
   */
  void follow(String key) {
    String reply = UUID.randomUUID().toString();
    synchronized (this) {
      this.view = key;
      this.table = new ViewTable(key);
      this.snapshotReply = reply;
    }
    send(new JsonObject().put("type", "register").put("address", Addresses.view(key)));
    send(new JsonObject().put("type", "send").put("address", snapshotAddress(key)).put("replyAddress", reply));
  }

  /** Where the bridge answers an instance's snapshot: {@code views.top10.snapshot?window=1h}, written out here. */
  static String snapshotAddress(String key) {
    int q = key.indexOf('?');
    return q < 0 ? "views." + key + ".snapshot" : "views." + key.substring(0, q) + ".snapshot" + key.substring(q);
  }

  private synchronized void receive(JsonObject frame) {
    if (keepFrames) {
      frames.add(frame);
    }
    if (view == null || !"rec".equals(frame.getString("type"))) {
      return;
    }
    Object body = frame.getValue("body");
    if (snapshotReply != null && snapshotReply.equals(frame.getString("address"))) {
      applySnapshot((JsonObject) body);
    } else if (Addresses.view(view).equals(frame.getString("address"))) {
      JsonObject m = (JsonObject) body;
      if (ViewMessage.isSnapshot(m)) {
        applySnapshot(m);
      } else if (!table.hasSnapshot()) {
        held.add(m);
      } else if (!table.apply(m)) {
        diverged = true;
      }
    }
  }

  private void applySnapshot(JsonObject snapshot) {
    table.apply(snapshot);
    snapshotsApplied++;
    for (JsonObject m : held) {
      if (!table.apply(m)) {
        diverged = true;
      }
    }
    held.clear();
  }

  synchronized List<JsonObject> frames() {
    return new ArrayList<>(frames);
  }

  /** The first frame matching, or null. */
  synchronized JsonObject frame(java.util.function.Predicate<JsonObject> p) {
    return frames.stream().filter(p).findFirst().orElse(null);
  }

  synchronized JsonArray rows() {
    return table.rows();
  }

  synchronized long timestamp() {
    return table.timestamp();
  }

  synchronized boolean diverged() {
    return diverged;
  }

  synchronized int snapshotsApplied() {
    return snapshotsApplied;
  }

  void close() {
    client.close();
  }
}
