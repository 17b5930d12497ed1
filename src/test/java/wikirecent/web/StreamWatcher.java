package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.common.ViewMessage;
import wikirecent.common.ViewTable;

import java.util.ArrayList;
import java.util.List;

/** A real WebSocket client of {@code /api/stream/<view>} that keeps every message and the state they build. */
final class StreamWatcher {

  private final String view;
  private final ViewTable table;
  private final List<JsonObject> messages = new ArrayList<>();
  private final WebSocketClient client;
  private WebSocket ws;
  private boolean diverged;
  private boolean closed;
  private final boolean keepMessages;
  private int count;
  private int snapshots;

  private StreamWatcher(Vertx vertx, String view, boolean keepMessages) {
    this.view = view;
    this.keepMessages = keepMessages;
    this.table = new ViewTable(view);
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024));
  }

  static StreamWatcher connect(Vertx vertx, int port, String view) {
    return connect(vertx, port, view, true);
  }

  /** With {@code keepMessages} false only the state and counts are kept (for long runs that watch the heap). */
  static StreamWatcher connect(Vertx vertx, int port, String view, boolean keepMessages) {
    StreamWatcher w = new StreamWatcher(vertx, view, keepMessages);
    // Handlers go on before the connect future returns: the snapshot frame follows the upgrade at once.
    w.ws = Wait.on(w.client.connect(port, "localhost", "/api/stream/" + view).onSuccess(ws -> {
      ws.textMessageHandler(text -> w.receive(new JsonObject(text)));
      ws.closeHandler(v -> {
        synchronized (w) {
          w.closed = true;
        }
      });
    }));
    return w;
  }

  private synchronized void receive(JsonObject message) {
    count++;
    if (ViewMessage.isSnapshot(message)) {
      snapshots++;
    }
    if (keepMessages) {
      messages.add(message);
    }
    if (!table.apply(message)) {
      diverged = true;
    }
  }

  synchronized List<JsonObject> messages() {
    return new ArrayList<>(messages);
  }

  synchronized int count() {
    return count;
  }

  synchronized long timestamp() {
    return table.timestamp();
  }

  synchronized boolean diverged() {
    return diverged;
  }

  synchronized boolean closed() {
    return closed;
  }

  synchronized JsonArray rows() {
    return table.rows();
  }

  synchronized long snapshotsReceived() {
    return snapshots;
  }

  String view() {
    return view;
  }

  void close() {
    client.close();
  }
}
