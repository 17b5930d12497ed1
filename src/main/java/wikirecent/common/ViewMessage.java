package wikirecent.common;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The one message shape, on the event bus, the SockJS bridge and the raw WebSocket:
 * {@code {"view":"top10","timestamp":1732512000123,"inserted":[["Alice",42]],"deleted":[["Alice",41]]}},
 * plus {@code "snapshot":true} on a snapshot (all rows in {@code inserted}, {@code deleted} empty).
 */
public final class ViewMessage {

  public static final String VIEW = "view";
  public static final String TIMESTAMP = "timestamp";
  public static final String INSERTED = "inserted";
  public static final String DELETED = "deleted";
  public static final String SNAPSHOT = "snapshot";

  private ViewMessage() {
  }

  public static JsonObject batch(String view, long timestamp, JsonArray inserted, JsonArray deleted) {
    return new JsonObject()
      .put(VIEW, view)
      .put(TIMESTAMP, timestamp)
      .put(INSERTED, inserted)
      .put(DELETED, deleted);
  }

  public static JsonObject snapshot(String view, long timestamp, JsonArray rows) {
    return batch(view, timestamp, rows, new JsonArray()).put(SNAPSHOT, true);
  }

  public static boolean isSnapshot(JsonObject message) {
    return message.getBoolean(SNAPSHOT, false);
  }

  public static long timestamp(JsonObject message) {
    return message.getLong(TIMESTAMP);
  }

  public static String view(JsonObject message) {
    return message.getString(VIEW);
  }
}
