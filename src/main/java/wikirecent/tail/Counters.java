package wikirecent.tail;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tail part's counters (snake_case: the web part renders them as {@code wikirecent_views_<name>}). Event-loop only. */
final class Counters {

  static final List<String> NAMES = List.of(
    "fetches", "tail_rows", "progress_rows", "snapshots_published", "batches_published",
    "sessions_started", "session_failures", "sql_errors", "protocol_errors", "stalls");

  private final Map<String, Long> values = new LinkedHashMap<>();

  Counters() {
    NAMES.forEach(n -> values.put(n, 0L));
  }

  void inc(String name) {
    add(name, 1);
  }

  void add(String name, long n) {
    if (!values.containsKey(name)) {
      throw new IllegalArgumentException("unknown counter " + name);
    }
    values.merge(name, n, Long::sum);
  }

  long get(String name) {
    return values.get(name);
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject();
    values.forEach(json::put);
    return json;
  }
}
