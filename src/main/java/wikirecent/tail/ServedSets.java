package wikirecent.tail;

import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewParams;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parameter sets {@code source=materialize} serves, each with the view of {@code sql/views.sql}
 * its TAIL names: a fixed table. A request only ever picks a row of it by its canonical key; its
 * text never reaches SQL. A set not in the table (any {@code wiki}, for one) is not served.
 */
final class ServedSets {

  /** One parameter set: its canonical key, the view name its messages carry, its params (null for the default set). */
  record Served(String key, String viewName, String sqlView, JsonObject params, List<Views.Column> columns) {

    /** The default set of its view: tailed all the time, as the embedded engine keeps it live. */
    boolean always() {
      return params == null;
    }
  }

  // canonical key -> view in sql/views.sql
  private static final String[][] TABLE = {
    {"counter", "counter"},
    {"user_edits", "user_edits"},
    {"top10", "top10"},
    {"top_wikis", "top_wikis"},
    {"edits_per_minute", "edits_per_minute"},
    {"wiki_edits", "wiki_edits"},

    {"counter?window=24h", "counter_24h"},
    {"counter?window=1h", "counter_1h"},
    {"counter?window=5m", "counter_5m"},
    {"counter?bot=true", "counter_bot_true"},
    {"counter?bot=true&window=24h", "counter_bot_true_24h"},
    {"counter?bot=true&window=1h", "counter_bot_true_1h"},
    {"counter?bot=true&window=5m", "counter_bot_true_5m"},
    {"counter?bot=false", "counter_bot_false"},
    {"counter?bot=false&window=24h", "counter_bot_false_24h"},
    {"counter?bot=false&window=1h", "counter_bot_false_1h"},
    {"counter?bot=false&window=5m", "counter_bot_false_5m"},

    {"top10?window=24h", "top10_24h"},
    {"top10?window=1h", "top10_1h"},
    {"top10?window=5m", "top10_5m"},
    {"top10?bot=true", "top10_bot_true"},
    {"top10?bot=true&window=24h", "top10_bot_true_24h"},
    {"top10?bot=true&window=1h", "top10_bot_true_1h"},
    {"top10?bot=true&window=5m", "top10_bot_true_5m"},
    {"top10?bot=false", "top10_bot_false"},
    {"top10?bot=false&window=24h", "top10_bot_false_24h"},
    {"top10?bot=false&window=1h", "top10_bot_false_1h"},
    {"top10?bot=false&window=5m", "top10_bot_false_5m"},

    {"top_wikis?window=24h", "top_wikis_24h"},
    {"top_wikis?window=1h", "top_wikis_1h"},
    {"top_wikis?window=5m", "top_wikis_5m"},
    {"top_wikis?bot=true", "top_wikis_bot_true"},
    {"top_wikis?bot=true&window=24h", "top_wikis_bot_true_24h"},
    {"top_wikis?bot=true&window=1h", "top_wikis_bot_true_1h"},
    {"top_wikis?bot=true&window=5m", "top_wikis_bot_true_5m"},
    {"top_wikis?bot=false", "top_wikis_bot_false"},
    {"top_wikis?bot=false&window=24h", "top_wikis_bot_false_24h"},
    {"top_wikis?bot=false&window=1h", "top_wikis_bot_false_1h"},
    {"top_wikis?bot=false&window=5m", "top_wikis_bot_false_5m"},
  };

  private static final Map<String, Served> BY_KEY = build();

  private ServedSets() {
  }

  private static Map<String, Served> build() {
    Map<String, Served> sets = new LinkedHashMap<>();
    for (String[] row : TABLE) {
      String key = row[0];
      ViewParams p = ViewParams.parse(key);
      if (!p.toString().equals(key)) {
        throw new IllegalStateException(key + " is not a canonical key (" + p + ")");
      }
      Served set = new Served(key, p.view().viewName(), row[1], p.isDefault() ? null : p.toJson(), p.view().columns());
      if (!TailSql.isIdentifier(set.sqlView()) || sets.put(key, set) != null) {
        throw new IllegalStateException("bad row in the served table: " + key);
      }
    }
    return Collections.unmodifiableMap(sets);
  }

  static Optional<Served> byKey(String key) {
    return Optional.ofNullable(BY_KEY.get(key));
  }

  static List<Served> all() {
    return List.copyOf(BY_KEY.values());
  }

  /** The default sets: tailed from start to stop. */
  static List<Served> always() {
    List<Served> out = new ArrayList<>();
    for (Served s : BY_KEY.values()) {
      if (s.always()) {
        out.add(s);
      }
    }
    return out;
  }
}
