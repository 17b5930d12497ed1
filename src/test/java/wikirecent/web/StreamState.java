package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewParams;
import wikirecent.testsupport.WebSockets;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One raw WebSocket on {@code /api/stream/<key>} and the rows a client builds from it, written from the message
 * shape alone (not with the product's table): a snapshot replaces the rows, a diff takes each deleted row out
 * once and puts each inserted row in once (a multiset). Anything that does not fit is kept as a problem: a
 * diff before any snapshot or not newer than the state, a deleted row that is not there, a message of another
 * view or other params.
 */
final class StreamState {

  private final ViewParams params;
  private final Map<List<Object>, Integer> rows = new HashMap<>();
  private final List<String> problems = new ArrayList<>();
  private boolean synced;
  private long timestamp;
  private int snapshots;
  private int diffs;
  private boolean closed;

  private StreamState(ViewParams params) {
    this.params = params;
  }

  /** Connects and waits for the upgrade (the snapshot may come a moment later). */
  static StreamState open(Vertx vertx, WebSocketClient client, int port, ViewParams params) {
    StreamState s = new StreamState(params);
    WebSockets.open(vertx, client, port, "/api/stream/" + params, ws -> {
      ws.textMessageHandler(text -> s.receive(new JsonObject(text)));
      ws.closeHandler(v -> s.closed());
    });
    return s;
  }

  private synchronized void closed() {
    closed = true;
  }

  private synchronized void receive(JsonObject m) {
    JsonObject expectedParams = params.isDefault() ? null : params.toJson();
    if (!params.view().viewName().equals(m.getString("view")) || !java.util.Objects.equals(expectedParams, m.getJsonObject("params"))) {
      problems.add("a message of " + m.getString("view") + " " + m.getJsonObject("params"));
      return;
    }
    if (m.getBoolean("snapshot", false)) {
      snapshots++;
      synced = true;
      timestamp = m.getLong("timestamp");
      rows.clear();
      for (Object r : m.getJsonArray("inserted")) {
        rows.merge(row((JsonArray) r), 1, Integer::sum);
      }
      return;
    }
    diffs++;
    if (!synced) {
      problems.add("a diff before any snapshot");
      return;
    }
    long ts = m.getLong("timestamp");
    if (ts <= timestamp) {
      problems.add("a diff at " + ts + ", not after the state's " + timestamp);
    }
    timestamp = ts;
    for (Object r : m.getJsonArray("deleted")) {
      List<Object> row = row((JsonArray) r);
      Integer n = rows.get(row);
      if (n == null) {
        problems.add("deleted " + row + ", which is not there");
      } else if (n == 1) {
        rows.remove(row);
      } else {
        rows.put(row, n - 1);
      }
    }
    for (Object r : m.getJsonArray("inserted")) {
      rows.merge(row((JsonArray) r), 1, Integer::sum);
    }
  }

  /** A JSON row as a list, integral numbers as Long (as PostgreSQL's bigint reads). */
  static List<Object> row(JsonArray a) {
    List<Object> out = new ArrayList<>();
    for (Object v : a) {
      out.add(v instanceof Integer || v instanceof Short ? Long.valueOf(((Number) v).longValue()) : v);
    }
    return out;
  }

  /** The rows, each as often as held, or null before the first snapshot. */
  synchronized List<List<Object>> rows() {
    if (!synced) {
      return null;
    }
    List<List<Object>> out = new ArrayList<>();
    rows.forEach((row, n) -> {
      for (int i = 0; i < n; i++) {
        out.add(row);
      }
    });
    return out;
  }

  synchronized List<String> problems() {
    return new ArrayList<>(problems);
  }

  synchronized boolean isClosed() {
    return closed;
  }

  synchronized int diffs() {
    return diffs;
  }

  synchronized int snapshots() {
    return snapshots;
  }

  ViewParams params() {
    return params;
  }
}
