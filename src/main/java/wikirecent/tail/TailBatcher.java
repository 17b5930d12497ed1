package wikirecent.tail;

import io.vertx.core.json.JsonArray;
import wikirecent.bus.ViewTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns one TAIL session's rows into closed, consolidated timestamps.
 * <p>
 * {@code mz_timestamp} never goes back within a TAIL, and a progress row ({@code mz_progressed}) at T says
 * only that no more rows will come at times before T: rows at T itself may still follow (Materialize may
 * announce the TAIL's {@code AS OF} with a progress row before the snapshot rows at that time). So a
 * timestamp is complete once a row with a larger timestamp arrives, data or progress. Within a timestamp the
 * same row may be retracted and inserted again (Materialize does not consolidate its TAIL output), so diffs are summed per row and
 * rows that net to zero vanish. The first closed timestamp of a session is its snapshot; an empty view's
 * snapshot is known once a progress row moves past the first timestamp the session saw.
 */
final class TailBatcher {

  enum Kind { SNAPSHOT, BATCH, PROGRESS }

  /**
   * A closed timestamp. For {@code PROGRESS} (nothing changed) the timestamp is the last one
   * known complete: the progress frontier minus one.
   */
  record Closed(Kind kind, long timestamp, JsonArray inserted, JsonArray deleted) {
  }

  private final Consumer<Closed> out;
  private final Map<List<Object>, Long> open = new LinkedHashMap<>();
  private long openTimestamp;
  private boolean hasOpen;
  private long frontier = Long.MIN_VALUE;
  private long lastClosed = Long.MIN_VALUE;
  private boolean snapshotDone;
  private boolean started;
  private long firstTimestamp; // of the session's first row: the snapshot is at this time or later

  TailBatcher(Consumer<Closed> out) {
    this.out = out;
  }

  /** A data row: {@code diff} copies of {@code row} inserted (or deleted, if negative) at {@code timestamp}. */
  void data(long timestamp, long diff, JsonArray row) {
    if (timestamp < frontier) {
      throw new TailProtocolException("row at " + timestamp + " after progress to " + frontier);
    }
    if (hasOpen && timestamp < openTimestamp) {
      throw new TailProtocolException("timestamp went back from " + openTimestamp + " to " + timestamp);
    }
    if (hasOpen && timestamp > openTimestamp) {
      close();
    }
    start(timestamp);
    hasOpen = true;
    openTimestamp = timestamp;
    if (diff != 0) {
      open.merge(ViewTable.normalize(row), diff, Long::sum);
    }
  }

  /** A progress row: no more rows will come at times before {@code timestamp} (rows at it may). */
  void progress(long timestamp) {
    if (timestamp < frontier) {
      throw new TailProtocolException("progress went back from " + frontier + " to " + timestamp);
    }
    frontier = timestamp;
    if (hasOpen && openTimestamp < timestamp) {
      close();
    }
    if (!started) {
      start(timestamp); // nothing before the session's first time: that says nothing about the view
      return;
    }
    if (hasOpen || timestamp - 1 <= lastClosed) {
      return; // rows at the frontier itself may still come; or nothing new is known
    }
    if (!snapshotDone) {
      if (timestamp <= firstTimestamp) {
        return;
      }
      // Every time from the first one up to the frontier is complete, without a row: the view is empty.
      snapshotDone = true;
      lastClosed = timestamp - 1;
      out.accept(new Closed(Kind.SNAPSHOT, lastClosed, new JsonArray(), new JsonArray()));
      return;
    }
    lastClosed = timestamp - 1;
    out.accept(new Closed(Kind.PROGRESS, lastClosed, new JsonArray(), new JsonArray()));
  }

  private void start(long timestamp) {
    if (!started) {
      started = true;
      firstTimestamp = timestamp;
    }
  }

  private void close() {
    JsonArray inserted = new JsonArray();
    JsonArray deleted = new JsonArray();
    for (Map.Entry<List<Object>, Long> e : open.entrySet()) {
      long net = e.getValue();
      JsonArray target = net > 0 ? inserted : deleted;
      for (long i = 0; i < Math.abs(net); i++) {
        target.add(new JsonArray(new ArrayList<>(e.getKey())));
      }
    }
    open.clear();
    hasOpen = false;
    lastClosed = openTimestamp;
    if (!snapshotDone) {
      if (!deleted.isEmpty()) {
        throw new TailProtocolException("the snapshot at " + openTimestamp + " retracts rows it never had: " + deleted.encode());
      }
      snapshotDone = true;
      out.accept(new Closed(Kind.SNAPSHOT, openTimestamp, inserted, deleted));
    } else if (inserted.isEmpty() && deleted.isEmpty()) {
      out.accept(new Closed(Kind.PROGRESS, openTimestamp, inserted, deleted));
    } else {
      out.accept(new Closed(Kind.BATCH, openTimestamp, inserted, deleted));
    }
  }
}
