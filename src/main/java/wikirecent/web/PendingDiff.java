package wikirecent.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batches of one view that a client has not been sent yet, merged into one: the net change per
 * row, stamped with the newest timestamp. Sending one merged frame instead of several keeps a
 * loaded node's frames per second bounded, and the result is still a consolidated minimal diff.
 */
final class PendingDiff {

  private final String view;
  private final JsonObject params;
  private final Map<List<Object>, Integer> net = new LinkedHashMap<>();
  private long lastTimestamp = -1;

  PendingDiff(String view) {
    this(view, null);
  }

  /** @param params the instance's parameters, put on the merged batch; null for a view's default set */
  PendingDiff(String view, JsonObject params) {
    this.view = view;
    this.params = params;
  }

  /** Adds a batch newer than everything merged so far. */
  void add(JsonObject batch) {
    long ts = ViewMessage.timestamp(batch);
    if (ts <= lastTimestamp) {
      throw new IllegalArgumentException("batch " + ts + " is not after " + lastTimestamp);
    }
    for (Object row : batch.getJsonArray(ViewMessage.DELETED)) {
      net.merge(ViewTable.normalize((JsonArray) row), -1, Integer::sum);
    }
    for (Object row : batch.getJsonArray(ViewMessage.INSERTED)) {
      net.merge(ViewTable.normalize((JsonArray) row), 1, Integer::sum);
    }
    lastTimestamp = ts;
  }

  /** The merged batch (it may be empty: changes that cancelled out), and starts over. */
  JsonObject take() {
    JsonArray inserted = new JsonArray();
    JsonArray deleted = new JsonArray();
    net.forEach((row, n) -> {
      for (int i = 0; i < Math.abs(n); i++) {
        (n > 0 ? inserted : deleted).add(new JsonArray(new ArrayList<>(row)));
      }
    });
    JsonObject merged = ViewMessage.batch(view, lastTimestamp, inserted, deleted);
    if (params != null) {
      merged.put(ViewMessage.PARAMS, params.copy());
    }
    net.clear();
    lastTimestamp = -1;
    return merged;
  }
}
