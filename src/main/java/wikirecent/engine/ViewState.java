package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ObjLongConsumer;

/**
 * The three views over a prefix of the file, maintained per event: {@code counter} (one row),
 * {@code user_edits} (a count per user, NULL included) and {@code top10}. Pure: no Vert.x, no
 * files. Feed it events, then {@link #closeBatch} turns what changed since the last batch into
 * consolidated messages, one per view that changed, all at one timestamp.
 * <p>
 * While {@link #tracking} is off (catching up, nothing is published) events cost no batch
 * bookkeeping at all.
 */
public final class ViewState {

  private final UserCounts counts;
  private final TopN top = new TopN(Views.TOP_N);
  private final EventParser parser = new EventParser();
  private long nullCount;
  private long total;
  private long skipped;

  private boolean tracking;
  private final Map<String, Long> countsAtStart = new HashMap<>(); // touched group -> count at batch start
  private long totalAtStart;
  private List<TopN.Row> topAtStart = List.of();

  public ViewState() {
    this(0);
  }

  private ViewState(int expectedUsers) {
    counts = new UserCounts(expectedUsers);
  }

  /** One {@code data:} line's text (after {@code "data: "}). Returns false (and counts a skip) if it is not an event. */
  public boolean applyLine(byte[] b, int off, int len) {
    if (parser.parse(b, off, len)) {
      add(parser.user());
      return true;
    }
    skipped++;
    return false;
  }

  /** The parser of the last line {@link #applyLine} accepted: the engine feeds the shaped core from the same parse. */
  EventParser parser() {
    return parser;
  }

  /** One event of {@code user} (null: SQL NULL). */
  public void add(String user) {
    long count = user == null ? ++nullCount : counts.add(user, 1);
    total++;
    if (tracking) {
      countsAtStart.putIfAbsent(user, count - 1);
    }
    top.raised(user, count);
  }

  /** Starts batch bookkeeping: from now on {@link #closeBatch} reports changes relative to this point. */
  public void startTracking() {
    tracking = true;
    markBatchStart();
  }

  public boolean tracking() {
    return tracking;
  }

  /** True if some view changed since the batch started. */
  public boolean changed() {
    return tracking && total != totalAtStart;
  }

  /**
   * The consolidated changes since the batch started, as messages at {@code timestamp}: one per
   * view that changed, none if nothing did. Starts the next batch.
   */
  public List<JsonObject> closeBatch(long timestamp) {
    if (!tracking) {
      throw new IllegalStateException("closeBatch needs startTracking first");
    }
    List<JsonObject> out = new ArrayList<>(3);
    if (total != totalAtStart) {
      out.add(ViewMessage.batch(Views.COUNTER.viewName(), timestamp,
        new JsonArray().add(new JsonArray().add(total)), new JsonArray().add(new JsonArray().add(totalAtStart))));
      JsonArray inserted = new JsonArray();
      JsonArray deleted = new JsonArray();
      countsAtStart.forEach((user, before) -> {
        if (before > 0) {
          deleted.add(row(user, before));
        }
        inserted.add(row(user, count(user))); // counts only grow: a touched group always changed
      });
      out.add(ViewMessage.batch(Views.USER_EDITS.viewName(), timestamp, inserted, deleted));
      List<TopN.Row> now = top.rows();
      if (!now.equals(topAtStart)) {
        out.add(ViewMessage.batch(Views.TOP10.viewName(), timestamp, minus(now, topAtStart), minus(topAtStart, now)));
      }
    }
    markBatchStart();
    return out;
  }

  private void markBatchStart() {
    countsAtStart.clear();
    totalAtStart = total;
    topAtStart = top.rows();
  }

  private static JsonArray minus(List<TopN.Row> a, List<TopN.Row> b) {
    Set<TopN.Row> drop = new HashSet<>(b);
    JsonArray out = new JsonArray();
    for (TopN.Row r : a) {
      if (!drop.contains(r)) {
        out.add(row(r.user(), r.count()));
      }
    }
    return out;
  }

  private static JsonArray row(String user, long count) {
    return new JsonArray().add(user).add(count);
  }

  /** A view's current rows in column order; top10 in rank order, user_edits in no particular order. */
  public JsonArray rows(Views view) {
    JsonArray out = new JsonArray();
    switch (view) {
      case COUNTER -> out.add(new JsonArray().add(total));
      case USER_EDITS -> forEachGroup((user, count) -> out.add(row(user, count)));
      case TOP10 -> top.rows().forEach(r -> out.add(row(r.user(), r.count())));
    }
    return out;
  }

  public JsonObject snapshot(Views view, long timestamp) {
    return ViewMessage.snapshot(view.viewName(), timestamp, rows(view));
  }

  /** Every group (the NULL group as a null user) with its count. */
  public void forEachGroup(ObjLongConsumer<String> action) {
    counts.forEach(action);
    if (nullCount > 0) {
      action.accept(null, nullCount);
    }
  }

  /** Events of {@code user} (null: the NULL group). */
  public long count(String user) {
    return user == null ? nullCount : counts.get(user);
  }

  /** Valid events so far: the counter. */
  public long total() {
    return total;
  }

  /** Lines skipped as invalid so far. */
  public long skipped() {
    return skipped;
  }

  /** Rows of user_edits (the NULL group included). */
  public long groups() {
    return counts.size() + (nullCount > 0 ? 1 : 0);
  }

  long nullCount() {
    return nullCount;
  }

  /** Rebuilds a state from checkpointed groups: call {@link #restoreGroup} for each. */
  static ViewState restored(long skipped, int groups) {
    ViewState s = new ViewState(groups);
    s.skipped = skipped;
    return s;
  }

  void restoreGroup(String user, long count) {
    long now = user == null ? (nullCount += count) : counts.add(user, count);
    total += count;
    top.raised(user, now);
  }
}
