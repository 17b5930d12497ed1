package wikirecent.tail;

import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The canonical key a snapshot request on {@code views.<view>.snapshot} asks for: the body is null
 * (the default set) or the params object as {@link ViewParams#toJson} writes it. Throws
 * {@link IllegalArgumentException} with a message fit for the client (a 400).
 */
final class SetRequest {

  private SetRequest() {
  }

  static String key(String viewName, Object body) {
    if (body != null && !(body instanceof JsonObject)) {
      throw new IllegalArgumentException("params must be a JSON object");
    }
    JsonObject params = body == null ? new JsonObject() : (JsonObject) body;
    List<Map.Entry<String, String>> query = new ArrayList<>();
    for (Map.Entry<String, Object> e : params) {
      query.add(Map.entry(e.getKey(), text(e.getKey(), e.getValue())));
    }
    return ViewParams.parse(viewName, query).toString();
  }

  // The params object has strings, and bot as a JSON boolean: their text as in a query. Another key's
  // value does not matter: ViewParams refuses the key.
  private static String text(String key, Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Boolean b && key.equals(ViewParams.BOT)) {
      return b.toString();
    }
    if (key.equals(ViewParams.WIKI) || key.equals(ViewParams.BOT) || key.equals(ViewParams.WINDOW)) {
      throw new IllegalArgumentException(key + " has a value of the wrong type (" + (value == null ? "null" : value.getClass().getSimpleName()) + ")");
    }
    return "";
  }
}
