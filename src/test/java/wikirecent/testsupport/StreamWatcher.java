package wikirecent.testsupport;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;

import java.util.ArrayList;
import java.util.List;

/**
 * A browser stand-in: a real WebSocket on {@code /api/stream/<view>} of one web node that applies every
 * message to a {@link ViewTable} (noting a message that does not fit: diverged) and keeps the messages
 * (unless told not to, for long runs that watch the heap).
 */
public final class StreamWatcher {

  private final String node;
  private final String view;
  private final boolean keepMessages;
  private final ViewTable table;
  private final List<JsonObject> messages = new ArrayList<>();
  private final WebSocketClient client;
  private int count;
  private int snapshots;
  private boolean diverged;
  private boolean closed;
  private Short closeStatus;
  private String closeReason;

  private StreamWatcher(Vertx vertx, String node, String view, boolean keepMessages) {
    this.node = node;
    this.view = view;
    this.keepMessages = keepMessages;
    this.table = new ViewTable(view);
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024));
  }

  public static StreamWatcher connect(Vertx vertx, int port, String view) {
    return connect(vertx, "localhost:" + port, port, view, true);
  }

  /** With {@code keepMessages} false only the state and counts are kept. */
  public static StreamWatcher connect(Vertx vertx, int port, String view, boolean keepMessages) {
    return connect(vertx, "localhost:" + port, port, view, keepMessages);
  }

  /** A watcher named after its {@code node} (in messages and {@link #toString()}). */
  public static StreamWatcher connect(Vertx vertx, String node, int port, String view) {
    return connect(vertx, node, port, view, true);
  }

  private static StreamWatcher connect(Vertx vertx, String node, int port, String view, boolean keepMessages) {
    StreamWatcher w = new StreamWatcher(vertx, node, view, keepMessages);
    // The snapshot frame follows the upgrade at once: the handlers must be on before it is read.
    WebSockets.open(vertx, w.client, port, "/api/stream/" + view, ws -> {
      ws.textMessageHandler(text -> w.receive(new JsonObject(text)));
      ws.closeHandler(v -> w.markClosed(ws.closeStatusCode(), ws.closeReason()));
    });
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

  private synchronized void markClosed(Short status, String reason) {
    closed = true;
    closeStatus = status;
    closeReason = reason;
  }

  public String node() {
    return node;
  }

  public String view() {
    return view;
  }

  /** Every message so far (empty if not keeping them). */
  public synchronized List<JsonObject> messages() {
    return new ArrayList<>(messages);
  }

  /** Messages received so far, snapshots and batches. */
  public synchronized int count() {
    return count;
  }

  public synchronized int snapshots() {
    return snapshots;
  }

  /** Batches (not snapshots) received so far. */
  public synchronized int batches() {
    return count - snapshots;
  }

  public synchronized long timestamp() {
    return table.timestamp();
  }

  public synchronized JsonArray rows() {
    return table.rows();
  }

  /** True once a message did not fit the state built so far. */
  public synchronized boolean diverged() {
    return diverged;
  }

  /** True once the server closed the socket. */
  public synchronized boolean closed() {
    return closed;
  }

  /** The status of the close frame the server sent (null if none), e.g. 4429 when the source refused the instance. */
  public synchronized Short closeStatus() {
    return closeStatus;
  }

  public synchronized String closeReason() {
    return closeReason;
  }

  /** The batches after the first snapshot with {@code from < timestamp <= to}, in arrival order. */
  public synchronized List<JsonObject> batchesBetween(long from, long to) {
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

  /**
   * Where its batches start to be each as its node got it: the timestamp of the first message after its last snapshot
   * (a client that joined while that snapshot was built gets the batches sent meanwhile merged into that one), or the
   * snapshot's if none followed yet; -1 before any snapshot.
   */
  public synchronized long unmergedFrom() {
    long from = -1;
    boolean next = false;
    for (JsonObject m : messages) {
      if (ViewMessage.isSnapshot(m) || next) {
        from = ViewMessage.timestamp(m);
      }
      next = ViewMessage.isSnapshot(m);
    }
    return from;
  }

  /** Batches received after the last snapshot so far. */
  public synchronized int batchesSinceLastSnapshot() {
    int n = 0;
    for (JsonObject m : messages) {
      n = ViewMessage.isSnapshot(m) ? 0 : n + 1;
    }
    return n;
  }

  /** The timestamp of the first snapshot, or -1. */
  public synchronized long firstSnapshotTimestamp() {
    for (JsonObject m : messages) {
      if (ViewMessage.isSnapshot(m)) {
        return ViewMessage.timestamp(m);
      }
    }
    return -1;
  }

  public void close() {
    client.close();
  }

  @Override
  public synchronized String toString() {
    return view + "@" + node + " (" + count + " messages, " + snapshots + " snapshots, at " + table.timestamp()
      + (diverged ? ", DIVERGED" : "") + (closed ? ", closed" : "") + ")";
  }
}
