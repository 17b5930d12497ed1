package wikirecent.bus;

import io.vertx.core.json.JsonObject;

/** The ingest part's status; {@code lastId} is the id of the last record in the file ("" if none). */
public record IngestStatus(boolean live, String detail, String lastId) implements PartStatus {

  public static final String PART = "ingest";

  public IngestStatus {
    if (detail == null || lastId == null) {
      throw new IllegalArgumentException("detail and lastId may be empty, not null");
    }
  }

  @Override
  public String part() {
    return PART;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("part", PART).put("live", live).put("detail", detail).put("lastId", lastId);
  }

  public static IngestStatus fromJson(Object body) {
    JsonObject json = PartStatus.check(body, PART);
    Object lastId = json.getValue("lastId", "");
    if (!(lastId instanceof String)) {
      throw new IllegalArgumentException("\"lastId\" is not a string");
    }
    return new IngestStatus(json.getBoolean("live"), json.getString("detail"), (String) lastId);
  }
}
