package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The one message shape, on the event bus, the SockJS bridge and the raw WebSocket:
 * {@code {"view":"top10","timestamp":1732512000123,"inserted":[["Alice",42]],"deleted":[["Alice",41]]}},
 * plus {@code "snapshot":true} on a snapshot (all rows in {@code inserted}, {@code deleted} empty).
 * <p>
 * On the event bus a batch also carries {@code "previous"}: the timestamp of the message its source
 * published on the view before it ({@link LastPublished}). A clustered event bus delivers at most once,
 * and a lost batch that only inserts rows would otherwise never be noticed. Web nodes check it and do
 * not pass it on, so browsers and curl see the shape above.
 * <p>
 * A message of a parameterised instance ({@link ViewParams} not the default set) also carries
 * {@code "params"}: the non-default parameters, {@code {"wiki":"enwiki","bot":false,"window":"1h"}}; the
 * default sets' messages have none. The keep-alive request on {@link Addresses#VIEWS_WANTED} is
 * {@code {"keys":[canonical keys]}}, its reply {@code {"unknown":[keys with no live instance]}}.
 */
public final class ViewMessage {

  public static final String VIEW = "view";
  public static final String TIMESTAMP = "timestamp";
  public static final String INSERTED = "inserted";
  public static final String DELETED = "deleted";
  public static final String SNAPSHOT = "snapshot";
  public static final String PREVIOUS = "previous";
  public static final String PARAMS = "params";
  /** The keep-alive request's list of canonical keys, and its reply's list of those the source has no live instance of. */
  public static final String KEYS = "keys";
  public static final String UNKNOWN = "unknown";
  public static final String PUBLISHED = "published";

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

  /**
   * The message if it has this shape for one instance (its view; its parameters, {@code params} null for the default
   * set; a numeric timestamp, and {@code previous} if any; rows that fit the view's columns), else null.
   */
  public static JsonObject ofInstance(ViewParams.View view, JsonObject params, Object body) {
    if (!(body instanceof JsonObject m)) {
      return null;
    }
    Object p = m.getValue(PARAMS);
    boolean paramsFit = params == null ? p == null || p instanceof JsonObject o && o.isEmpty() : params.equals(p);
    if (!view.viewName().equals(m.getValue(VIEW))
      || !paramsFit
      || !(m.getValue(TIMESTAMP) instanceof Number)
      || !(m.getValue(INSERTED) instanceof JsonArray)
      || !(m.getValue(DELETED) instanceof JsonArray)
      || m.containsKey(PREVIOUS) && !(m.getValue(PREVIOUS) instanceof Number)) {
      return null;
    }
    for (String rows : new String[]{INSERTED, DELETED}) {
      for (Object row : m.getJsonArray(rows)) {
        if (!(row instanceof JsonArray r) || !view.fits(r)) {
          return null;
        }
      }
    }
    return m;
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

  /** The message's params object, or null for a default set. */
  public static JsonObject params(JsonObject message) {
    return message.getJsonObject(PARAMS);
  }

  /** The canonical key of the instance the message is of ({@code top10}, {@code top10?window=1h}): its address is {@code views.<key>}. */
  public static String key(JsonObject message) {
    return ViewParams.key(view(message), params(message));
  }

  /** The keep-alive request: {@code {"keys":[...]}}. */
  public static JsonObject wanted(Collection<String> keys) {
    return new JsonObject().put(KEYS, new JsonArray(List.copyOf(keys)));
  }

  /** The keep-alive reply: {@code {"unknown":[...]}}. */
  public static JsonObject unknown(Collection<String> keys) {
    return new JsonObject().put(UNKNOWN, new JsonArray(List.copyOf(keys)));
  }

  /**
   * The keep-alive reply with, per asked instance the source has, the timestamp it last published on it:
   * {@code {"unknown":[...],"published":{"counter":1700000000000,...}}}. A node that has not reached a timestamp
   * one keep-alive later has lost its subscription.
   */
  public static JsonObject keepAliveReply(Collection<String> unknown, Map<String, Long> published) {
    JsonObject p = new JsonObject();
    published.forEach(p::put);
    return unknown(unknown).put(PUBLISHED, p);
  }
}
