package wikirecent.bus;

import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * A view source's memory of what it last published on each view. Each batch is stamped with the
 * timestamp of the view's message before it ({@link ViewMessage#PREVIOUS}), so a subscriber whose
 * replica is older than that knows it missed one. A snapshot starts the chain again.
 */
public final class LastPublished {

  private final Map<String, Long> timestamps = new HashMap<>();

  /** Stamps the message (a batch gets "previous" when the view published before), remembers it, returns it. */
  public JsonObject stamp(JsonObject message) {
    Long before = timestamps.put(ViewMessage.view(message), ViewMessage.timestamp(message));
    if (before != null && !ViewMessage.isSnapshot(message)) {
      message.put(ViewMessage.PREVIOUS, before);
    }
    return message;
  }
}
