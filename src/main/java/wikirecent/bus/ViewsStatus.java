package wikirecent.bus;

import io.vertx.core.json.JsonObject;

/** The views part's status; {@code source} is {@code embedded} or {@code materialize}. */
public record ViewsStatus(boolean live, String source, String detail) implements PartStatus {

  public static final String PART = "views";

  public ViewsStatus {
    if (source == null || detail == null) {
      throw new IllegalArgumentException("source and detail may be empty, not null");
    }
  }

  @Override
  public String part() {
    return PART;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("part", PART).put("live", live).put("source", source).put("detail", detail);
  }

  public static ViewsStatus fromJson(Object body) {
    JsonObject json = PartStatus.check(body, PART);
    Object source = json.getValue("source", "");
    if (!(source instanceof String)) {
      throw new IllegalArgumentException("\"source\" is not a string");
    }
    return new ViewsStatus(json.getBoolean("live"), (String) source, json.getString("detail"));
  }
}
