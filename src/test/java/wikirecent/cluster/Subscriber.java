package wikirecent.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.common.ViewMessage;
import wikirecent.common.ViewTable;
import wikirecent.web.Wait;

import java.util.ArrayList;
import java.util.List;

/** A browser stand-in: a WebSocket on {@code /api/stream/<view>} of one web node, keeping every message and the state they build. */
final class Subscriber {

  final String node;
  final String view;
  private final WebSocketClient client;
  private final List<JsonObject> messages = new ArrayList<>();
  private final ViewTable table;
  private int snapshots;
  private boolean diverged;
  private boolean closed;

  private Subscriber(Vertx vertx, String node, String view) {
    this.node = node;
    this.view = view;
    this.table = new ViewTable(view);
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024));
  }

  static Subscriber connect(Vertx vertx, String node, int port, String view) {
    Subscriber s = new Subscriber(vertx, node, view);
    Wait.on(s.client.connect(port, "localhost", "/api/stream/" + view).onSuccess(ws -> {
      ws.textMessageHandler(text -> s.receive(new JsonObject(text)));
      ws.closeHandler(v -> s.markClosed());
    }));
    return s;
  }

  private synchronized void receive(JsonObject m) {
    messages.add(m);
    if (ViewMessage.isSnapshot(m)) {
      snapshots++;
    }
    if (!table.apply(m)) {
      diverged = true;
    }
  }

  private synchronized void markClosed() {
    closed = true;
  }

  synchronized List<JsonObject> messages() {
    return new ArrayList<>(messages);
  }

  /** Batches (not snapshots) received so far. */
  synchronized int batches() {
    return messages.size() - snapshots;
  }

  synchronized int snapshots() {
    return snapshots;
  }

  synchronized long timestamp() {
    return table.timestamp();
  }

  synchronized JsonArray rows() {
    return table.rows();
  }

  synchronized boolean diverged() {
    return diverged;
  }

  synchronized boolean closed() {
    return closed;
  }

  /** The batches after the first snapshot with {@code from < timestamp <= to}, in arrival order. */
  synchronized List<JsonObject> batchesBetween(long from, long to) {
    List<JsonObject> out = new ArrayList<>();
    boolean afterSnapshot = false;
    for (JsonObject m : messages) {
      if (ViewMessage.isSnapshot(m)) {
        afterSnapshot = true;
        continue;
      }
      long ts = ViewMessage.timestamp(m);
      if (afterSnapshot && ts > from && ts <= to) {
        out.add(m);
      }
    }
    return out;
  }

  /** The timestamp of the first snapshot, or -1. */
  synchronized long firstSnapshotTimestamp() {
    for (JsonObject m : messages) {
      if (ViewMessage.isSnapshot(m)) {
        return ViewMessage.timestamp(m);
      }
    }
    return -1;
  }

  void close() {
    client.close();
  }

  @Override
  public synchronized String toString() {
    return view + "@" + node + " (" + messages.size() + " messages, " + snapshots + " snapshots, at " + table.timestamp()
      + (diverged ? ", DIVERGED" : "") + (closed ? ", closed" : "") + ")";
  }
}
