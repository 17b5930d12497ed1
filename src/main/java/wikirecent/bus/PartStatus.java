package wikirecent.bus;

import io.vertx.core.json.JsonObject;

/**
 * What a part answers on its status address ({@link Addresses#STATUS_INGEST}, {@link Addresses#STATUS_VIEWS}):
 * whether it is live, and a sentence saying what it is doing. JSON on the bus, since the part may run on
 * another cluster node. Its numbers are meters in its own process's {@code /metrics}, not part of the answer.
 */
public sealed interface PartStatus permits IngestStatus, ViewsStatus {

  /** The part's name, as in {@code roles} and {@code /health}. */
  String part();

  boolean live();

  String detail();

  JsonObject toJson();

  /** The JSON fields every status has; throws {@link IllegalArgumentException} saying what is wrong. */
  static JsonObject check(Object body, String part) {
    if (!(body instanceof JsonObject json)) {
      throw new IllegalArgumentException("a status is a JSON object, not " + (body == null ? "null" : body.getClass().getSimpleName()));
    }
    if (!part.equals(json.getValue("part"))) {
      throw new IllegalArgumentException("a status of " + part + " says \"part\": " + json.getValue("part"));
    }
    if (!(json.getValue("live") instanceof Boolean)) {
      throw new IllegalArgumentException("\"live\" is not true or false");
    }
    if (!(json.getValue("detail") instanceof String)) {
      throw new IllegalArgumentException("\"detail\" is not a string");
    }
    return json;
  }
}
