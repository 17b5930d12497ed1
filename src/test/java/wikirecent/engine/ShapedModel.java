package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;
import wikirecent.bus.ViewTable;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Shaped views written plainly for the tests: events as records, every view recomputed from the whole
 * event list (filter, group, sort) with nothing kept between calls, and random events whose times jump
 * forward, come late or are missing.
 */
final class ShapedModel {

  /** One event; {@code ts} null when it has none. */
  record Ev(String user, String wiki, boolean bot, Long ts) {
    void applyTo(ShapedCore core) {
      core.apply(user, wiki, bot, ts == null ? EventParser.NO_TS : ts);
    }
  }

  /** How an event's time is made from the current largest time: missing, ahead by {@code delta}, or behind by it. */
  record Time(int kind, long delta) {
    static final int MISSING = 0;
    static final int AHEAD = 1;
    static final int LATE = 2;

    Long resolve(Long wm, long start) {
      if (kind == MISSING) {
        return null;
      }
      long base = wm == null ? start : wm;
      return kind == AHEAD ? base + delta : Math.max(0, base - delta);
    }
  }

  /** An event before its time is resolved. */
  record Draft(String user, String wiki, boolean bot, Time time) {
  }

  static final List<String> USERS = Arrays.asList("Alice", "Bob", "bob", "Carol", "Dave", "Eve", "Frank", "Grace",
    "Heidi", "Ivan", "Judy", "Mallory", "Ärger", "\uD83D\uDE00bot", "\uFF21dmin", "", null);
  /** nowiki appears rarely (instances wait for it), zzwiki never. */
  /** Enough wikis for top_wikis to fill up and push wikis out. */
  static final List<String> MINOR_WIKIS = List.of("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9");
  static final List<String> PARAM_WIKIS = Arrays.asList(null, "enwiki", "dewiki", "nowiki", "zzwiki");

  private ShapedModel() {
  }

  static Arbitrary<Time> time() {
    Arbitrary<Long> boundary = Arbitraries.of(59L, 60L, 61L, 299L, 300L, 301L, 3599L, 3600L, 3601L, 86399L, 86400L, 86401L);
    Arbitrary<Long> delta = Arbitraries.frequencyOf(
      Tuple.of(36, Arbitraries.longs().between(0, 3)),
      Tuple.of(12, Arbitraries.longs().between(0, 400)),
      Tuple.of(9, boundary),
      Tuple.of(3, Arbitraries.longs().between(0, 100_000)),
      Tuple.of(1, Arbitraries.just(5_000_000L)));
    return Arbitraries.frequencyOf(
      Tuple.of(1, Arbitraries.just(new Time(Time.MISSING, 0))),
      Tuple.of(7, delta.map(d -> new Time(Time.AHEAD, d))),
      Tuple.of(3, delta.map(d -> new Time(Time.LATE, d))));
  }

  static Arbitrary<Draft> draft() {
    Arbitrary<String> user = Arbitraries.frequencyOf(
      Tuple.of(6, Arbitraries.of(USERS.subList(0, 3))),
      Tuple.of(6, Arbitraries.of(USERS)));
    Arbitrary<String> wiki = Arbitraries.frequencyOf(
      Tuple.of(8, Arbitraries.just("enwiki")), Tuple.of(4, Arbitraries.just("dewiki")), Tuple.of(2, Arbitraries.just("frwiki")),
      Tuple.of(2, Arbitraries.just((String) null)), Tuple.of(1, Arbitraries.just("nowiki")),
      Tuple.of(3, Arbitraries.of(MINOR_WIKIS)));
    return Combinators.combine(user, wiki, Arbitraries.integers().between(0, 9).map(i -> i < 3), time()).as(Draft::new);
  }

  /** Every parameter set the tests use, over the test wikis. */
  static List<ViewParams> allParams() {
    List<ViewParams> out = new ArrayList<>();
    for (View view : View.values()) {
      if (view.params().isEmpty()) {
        out.add(ViewParams.of(view));
        continue;
      }
      for (String wiki : PARAM_WIKIS) {
        if (view == View.EDITS_PER_MINUTE) {
          out.add(ViewParams.of(view).withWiki(wiki));
          continue;
        }
        for (Boolean bot : Arrays.asList(null, true, false)) {
          for (Window window : Window.values()) {
            out.add(new ViewParams(view, wiki, bot, window));
          }
        }
      }
    }
    return out;
  }

  static Arbitrary<ViewParams> params() {
    return Arbitraries.of(allParams());
  }

  /** The largest event time, or null. */
  static Long watermark(List<Ev> events) {
    Long wm = null;
    for (Ev e : events) {
      if (e.ts() != null && (wm == null || e.ts() > wm)) {
        wm = e.ts();
      }
    }
    return wm;
  }

  /** The view's rows recomputed from every event: ordered as the view orders them (user_edits and wiki_edits by the same rule). */
  static List<List<Object>> expected(ViewParams p, List<Ev> events) {
    Long wm = watermark(events);
    long window = p.view() == View.EDITS_PER_MINUTE ? 3600 : wikirecent.testsupport.WindowLengths.seconds(p.window());
    List<Ev> matching = new ArrayList<>();
    for (Ev e : events) {
      boolean wikiOk = p.wiki() == null || p.wiki().equals(e.wiki());
      boolean botOk = p.bot() == null || p.bot() == e.bot();
      boolean inWindow = window == 0 || (e.ts() != null && e.ts() > wm - window);
      if (wikiOk && botOk && inWindow) {
        matching.add(e);
      }
    }
    List<List<Object>> rows = new ArrayList<>();
    switch (p.view()) {
      case COUNTER -> rows.add(List.of((long) matching.size()));
      case USER_EDITS, TOP10, TOP_WIKIS, WIKI_EDITS -> {
        Map<String, Long> groups = new HashMap<>();
        boolean byWiki = p.view() == View.TOP_WIKIS || p.view() == View.WIKI_EDITS;
        for (Ev e : matching) {
          groups.merge(byWiki ? e.wiki() : e.user(), 1L, Long::sum);
        }
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort(Oracle.TOP10_ORDER);
        if (p.view() == View.TOP10 || p.view() == View.TOP_WIKIS) {
          sorted = sorted.subList(0, Math.min(10, sorted.size()));
        }
        for (Map.Entry<String, Long> g : sorted) {
          rows.add(Arrays.asList(g.getKey(), g.getValue()));
        }
      }
      case EDITS_PER_MINUTE -> {
        Map<Map.Entry<Long, Boolean>, Long> groups = new HashMap<>();
        for (Ev e : matching) {
          groups.merge(new AbstractMap.SimpleImmutableEntry<>(e.ts() - e.ts() % 60, e.bot()), 1L, Long::sum);
        }
        groups.forEach((k, n) -> rows.add(List.of(k.getKey(), k.getValue(), n)));
        rows.sort(Comparator.comparing((List<Object> r) -> (Long) r.get(0)).thenComparing(r -> (Boolean) r.get(1)));
      }
    }
    return rows;
  }

  /** Rows of a message or table, as plain lists with Long numbers. */
  static List<List<Object>> plain(JsonArray rows) {
    List<List<Object>> out = new ArrayList<>();
    for (Object r : rows) {
      out.add(ViewTable.normalize((JsonArray) r));
    }
    return out;
  }

  /** The next event, its time resolved against the largest time of those before it. */
  static Ev resolve(List<Ev> before, Draft d, long start) {
    return new Ev(d.user(), d.wiki(), d.bot(), d.time().resolve(watermark(before), start));
  }
}
