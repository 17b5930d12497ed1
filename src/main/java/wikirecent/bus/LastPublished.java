package wikirecent.bus;

import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * A view source's memory of what it last published on each view instance (by canonical key, see
 * {@link ViewMessage#key}). Each batch is stamped with the timestamp of the instance's message before it
 * ({@link ViewMessage#PREVIOUS}), so a subscriber whose replica is older than that knows it missed one.
 * A snapshot starts the chain again.
 */
public final class LastPublished {

  private final Map<String, Long> timestamps = new HashMap<>();

  /** Stamps the message (a batch gets "previous" when the instance published before), remembers it, returns it. */
  public JsonObject stamp(JsonObject message) {
    return stamp(ViewMessage.key(message), message);
  }

  /** Same, for a message whose key the caller already has. */
  public JsonObject stamp(String key, JsonObject message) {
    Long before = timestamps.put(key, ViewMessage.timestamp(message));
    if (before != null && !ViewMessage.isSnapshot(message)) {
      message.put(ViewMessage.PREVIOUS, before);
    }
    return message;
  }

  /**
   * A new instance of {@code key} starts with the snapshot at {@code timestamp} that only its openers got (a
   * reply, not published): its first batch names it as "previous".
   */
  public void started(String key, long timestamp) {
    timestamps.put(key, timestamp);
  }

  /** What was last published on {@code key} (or the snapshot it started from); null when nothing is known. */
  public Long last(String key) {
    return timestamps.get(key);
  }

  /** The instance is gone (dropped, or the source started over): nothing published on it counts any more. */
  public void forget(String key) {
    timestamps.remove(key);
  }

  public void clear() {
    timestamps.clear();
  }
}
