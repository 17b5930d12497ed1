package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The one message shape, on the event bus, the SockJS bridge and the raw WebSocket:
 * {@code {"view":"top10","timestamp":1732512000123,"inserted":[["Alice",42]],"deleted":[["Alice",41]]}},
 * plus {@code "snapshot":true} on a snapshot (all rows in {@code inserted}, {@code deleted} empty).
 * <p>
 * On the event bus a batch also carries {@code "previous"}: the timestamp of the message its source
 * published on the view before it ({@link LastPublished}). A clustered event bus delivers at most once,
 * and a lost batch that only inserts rows would otherwise never be noticed. Web nodes check it and do
 * not pass it on, so browsers and curl see the shape above.
 */
public final class ViewMessage {

  public static final String VIEW = "view";
  public static final String TIMESTAMP = "timestamp";
  public static final String INSERTED = "inserted";
  public static final String DELETED = "deleted";
  public static final String SNAPSHOT = "snapshot";
  public static final String PREVIOUS = "previous";
  /** The parameters of a shaped instance ({@link ViewParams#toJson()}); absent on a view's default set. */
  public static final String PARAMS = "params";

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

  /** The timestamp of the source's message before this batch, or -1 when the batch does not say. */
  public static long previous(JsonObject message) {
    return message.getLong(PREVIOUS, -1L);
  }

  public static String view(JsonObject message) {
    return message.getString(VIEW);
  }
}
