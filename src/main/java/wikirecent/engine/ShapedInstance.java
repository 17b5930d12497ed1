package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One live parameter set of {@link ShapedCore}: the count of each of its groups over the events that
 * match it (its wiki, bot and window), kept up to date by the core, and what it looked like when the
 * current batch started. Groups are keyed by a long: 0 for the counter, the user or wiki id, or
 * {@code minute * 2 + bot} for edits per minute.
 */
final class ShapedInstance {

  /**
   * Groups a top list keeps in order, 10 shown and the rest spare (see {@link ShapedTop}). In ShapedBench's day
   * (100 near-equal bots) a list of 10 rescanned its 100k users about once a second per large instance; 20 and
   * up, never after the first build.
   */
  static final int TOP_CAPACITY = 40;

  final ViewParams params;
  final int bot; // -1: any, else 0 / 1
  int wiki; // id; -1: any; -2: a wiki no event has named yet (nothing matches)

  private final NameIds users;
  private final NameIds wikis;
  private final LongCounts counts = new LongCounts();
  private final ShapedTop top;

  private boolean touched;
  private List<ShapedTop.Row> topAtStart = List.of();
  private final LongCounts atStart = new LongCounts(); // touched group -> its count at batch start + 1

  ShapedInstance(ViewParams params, int wiki, NameIds users, NameIds wikis) {
    this.params = params;
    this.wiki = wiki;
    this.bot = params.bot() == null ? -1 : params.bot() ? 1 : 0;
    this.users = users;
    this.wikis = wikis;
    this.top = switch (params.view()) {
      case TOP10 -> new ShapedTop(Views.TOP_N, TOP_CAPACITY, id -> users.name((int) id));
      case TOP_WIKIS -> new ShapedTop(Views.TOP_N, TOP_CAPACITY, id -> wikis.name((int) id));
      default -> null;
    };
  }

  boolean botMatches(boolean isBot) {
    return bot < 0 || (bot == 1) == isBot;
  }

  /**
   * {@code delta} (1 or -1) events of group {@code groupKey} (see {@link Groups#key}) at second {@code ts}.
   * Returns true when this is the batch's first change, so the core lists the instance once.
   */
  boolean add(long groupKey, long ts, long delta) {
    long key = keyOf(groupKey, ts);
    long now = counts.add(key, delta);
    if (top != null) {
      top.changed(key, now, delta);
    } else if (atStart.get(key) == 0) {
      atStart.add(key, now - delta + 1);
    }
    boolean first = !touched;
    touched = true;
    return first;
  }

  /** Adds a whole group's count while the instance is being built (before any batch). */
  void addBuilding(long groupKey, long ts, long n) {
    counts.add(keyOf(groupKey, ts), n);
  }

  private long keyOf(long groupKey, long ts) {
    return switch (params.view()) {
      case COUNTER -> 0;
      case USER_EDITS, TOP10 -> Groups.user(groupKey);
      case TOP_WIKIS, WIKI_EDITS -> Groups.wiki(groupKey);
      case EDITS_PER_MINUTE -> (ts - ts % 60) * 2 + (Groups.bot(groupKey) ? 1 : 0);
    };
  }

  /** Ends building: the list is computed, and the state now is where the first batch starts from. */
  void built() {
    if (top != null) {
      top.invalidate();
    }
    markBatchStart();
  }

  private void markBatchStart() {
    touched = false;
    atStart.clear();
    if (top != null) {
      topAtStart = top.rows(counts);
    }
  }

  /** The current rows: top lists in rank order, edits per minute by minute then bot. */
  JsonArray rows() {
    if (top != null) {
      return rowsOf(top.rows(counts));
    }
    return rowsOf(current());
  }

  /**
   * The rows as the last batch left them (the instance's creation, for a new one): a snapshot that
   * the next batch's diff applies to, even when events came since.
   */
  JsonArray rowsAtBatchStart() {
    if (top != null) {
      return rowsOf(topAtStart);
    }
    List<ShapedTop.Row> rows = new ArrayList<>();
    counts.forEach((key, count) -> {
      if (atStart.get(key) == 0) {
        rows.add(new ShapedTop.Row(key, count));
      }
    });
    atStart.forEach((key, startPlusOne) -> {
      if (startPlusOne > 1) {
        rows.add(new ShapedTop.Row(key, startPlusOne - 1));
      }
    });
    return rowsOf(rows);
  }

  private List<ShapedTop.Row> current() {
    List<ShapedTop.Row> rows = new ArrayList<>(counts.size());
    counts.forEach((key, count) -> rows.add(new ShapedTop.Row(key, count)));
    return rows;
  }

  /** The consolidated change since the batch started, or null if the rows are as they were; starts the next batch. */
  JsonObject closeBatch(long timestamp) {
    JsonArray inserted = new JsonArray();
    JsonArray deleted = new JsonArray();
    if (top != null) {
      List<ShapedTop.Row> now = top.rows(counts);
      minus(now, topAtStart, inserted);
      minus(topAtStart, now, deleted);
    } else {
      atStart.forEach((key, startPlusOne) -> {
        long before = startPlusOne - 1;
        long now = counts.get(key);
        if (before != now) {
          if (before > 0 || params.view() == ViewParams.View.COUNTER) {
            deleted.add(row(key, before));
          }
          if (now > 0 || params.view() == ViewParams.View.COUNTER) {
            inserted.add(row(key, now));
          }
        }
      });
    }
    markBatchStart();
    if (inserted.isEmpty() && deleted.isEmpty()) {
      return null;
    }
    return withParams(ViewMessage.batch(params.view().viewName(), timestamp, inserted, deleted));
  }

  JsonObject snapshot(long timestamp) {
    return withParams(ViewMessage.snapshot(params.view().viewName(), timestamp, rowsAtBatchStart()));
  }

  private JsonObject withParams(JsonObject message) {
    return params.isDefault() ? message : message.put(ViewMessage.PARAMS, params.toJson());
  }

  private void minus(List<ShapedTop.Row> a, List<ShapedTop.Row> b, JsonArray out) {
    Set<ShapedTop.Row> drop = new HashSet<>(b);
    for (ShapedTop.Row r : a) {
      if (!drop.contains(r)) {
        out.add(row(r.key(), r.count()));
      }
    }
  }

  private JsonArray rowsOf(List<ShapedTop.Row> rows) {
    if (params.view() == ViewParams.View.COUNTER) {
      return new JsonArray().add(row(0, rows.isEmpty() ? 0 : rows.get(0).count()));
    }
    if (params.view() == ViewParams.View.EDITS_PER_MINUTE) {
      rows.sort((a, b) -> Long.compare(a.key(), b.key()));
    }
    JsonArray out = new JsonArray();
    for (ShapedTop.Row r : rows) {
      out.add(row(r.key(), r.count()));
    }
    return out;
  }

  private JsonArray row(long key, long count) {
    return switch (params.view()) {
      case COUNTER -> new JsonArray().add(count);
      case USER_EDITS, TOP10 -> new JsonArray().add(users.name((int) key)).add(count);
      case TOP_WIKIS, WIKI_EDITS -> new JsonArray().add(wikis.name((int) key)).add(count);
      case EDITS_PER_MINUTE -> new JsonArray().add(key >> 1).add((key & 1) != 0).add(count);
    };
  }
}
