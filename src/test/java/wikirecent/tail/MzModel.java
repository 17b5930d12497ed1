package wikirecent.tail;

import io.vertx.core.json.JsonArray;
import wikirecent.engine.EventParser;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a view of {@code sql/views.sql} holds in Materialize, computed here from scratch for tests:
 * the events' fields as the contract defines them (read by the embedded engine's parser, which is
 * tested against PostgreSQL), filtered by the set's bot and by its window against Materialize's
 * clock (an event is in window W while {@code clock < (ts + W) * 1000}), counted in maps and
 * sorted. The view is named by its SQL name ({@code top10_bot_false_5m}), parsed here by the
 * naming rule of the views, independently of the tail's table.
 */
final class MzModel {

  record Event(String user, String wiki, boolean bot, long ts) {

    /** The fields of a {@code data:} line's JSON. */
    static Event of(String json) {
      EventParser p = new EventParser();
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      if (!p.parse(b, 0, b.length)) {
        throw new IllegalArgumentException("not an event: " + json);
      }
      return new Event(p.user(), p.wiki(), p.bot(), p.ts());
    }

    boolean hasTs() {
      return ts != EventParser.NO_TS;
    }
  }

  private static final String[] BASES = {"edits_per_minute", "wiki_edits", "user_edits", "top_wikis", "top10", "counter"};

  private MzModel() {
  }

  /** The rows of {@code sqlView} over {@code events} at Materialize time {@code clockMillis}, sorted. */
  static List<List<Object>> rows(String sqlView, List<Event> events, long clockMillis) {
    String base = Arrays.stream(BASES).filter(sqlView::startsWith).findFirst()
      .orElseThrow(() -> new IllegalArgumentException("no such view: " + sqlView));
    String rest = sqlView.substring(base.length());
    Boolean bot = null;
    if (rest.startsWith("_bot_true")) {
      bot = true;
      rest = rest.substring("_bot_true".length());
    } else if (rest.startsWith("_bot_false")) {
      bot = false;
      rest = rest.substring("_bot_false".length());
    }
    long window = switch (rest) {
      case "" -> base.equals("edits_per_minute") ? 3600 : 0;
      case "_24h" -> 86400;
      case "_1h" -> 3600;
      case "_5m" -> 300;
      default -> throw new IllegalArgumentException("no such view: " + sqlView);
    };
    List<Event> matching = new ArrayList<>();
    for (Event e : events) {
      boolean inWindow = window == 0 || (e.hasTs() && clockMillis < (e.ts() + window) * 1000);
      if (inWindow && (bot == null || e.bot() == bot)) {
        matching.add(e);
      }
    }
    return switch (base) {
      case "counter" -> List.of(List.of((long) matching.size()));
      case "user_edits" -> counts(matching, Event::user, Integer.MAX_VALUE);
      case "top10" -> counts(matching, Event::user, 10);
      case "wiki_edits" -> counts(matching, Event::wiki, Integer.MAX_VALUE);
      case "top_wikis" -> counts(matching, Event::wiki, 10);
      default -> perMinute(matching);
    };
  }

  /** The same rows as a JSON array, as messages carry them. */
  static JsonArray json(List<List<Object>> rows) {
    JsonArray out = new JsonArray();
    rows.forEach(r -> out.add(new JsonArray(new ArrayList<>(r))));
    return out;
  }

  // [name, count] rows: count descending, then the name by code point, NULL last; the first 'limit'.
  private static List<List<Object>> counts(List<Event> events, java.util.function.Function<Event, String> name, int limit) {
    Map<String, Long> counts = new HashMap<>(); // HashMap takes the NULL name as a key
    for (Event e : events) {
      counts.merge(name.apply(e), 1L, Long::sum);
    }
    List<List<Object>> rows = new ArrayList<>();
    counts.forEach((k, c) -> rows.add(java.util.Arrays.asList(k, c)));
    rows.sort(Comparator.<List<Object>, Long>comparing(r -> (Long) r.get(1)).reversed()
      .thenComparing(r -> (String) r.get(0), Comparator.nullsLast(MzModel::byCodePoint)));
    return rows.subList(0, Math.min(limit, rows.size()));
  }

  private static List<List<Object>> perMinute(List<Event> events) {
    Map<List<Object>, Long> counts = new HashMap<>();
    for (Event e : events) {
      counts.merge(List.of(e.ts() - e.ts() % 60, e.bot()), 1L, Long::sum);
    }
    List<List<Object>> rows = new ArrayList<>();
    counts.forEach((k, c) -> rows.add(List.of(k.get(0), k.get(1), c)));
    rows.sort(Comparator.<List<Object>, Long>comparing(r -> (Long) r.get(0)).thenComparing(r -> (Boolean) r.get(1)));
    return rows;
  }

  private static int byCodePoint(String a, String b) {
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }
}
